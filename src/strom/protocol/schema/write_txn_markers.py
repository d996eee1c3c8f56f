"""WriteTxnMarkers (API key 27): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 27
VERSIONS = "0-1"
FLEXIBLE = "1+"

define_message(
    globals(),
    "WriteTxnMarkersRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "markers",
            "[]WritableTxnMarker",
            fields=[
                F("producer_id", "int64"),
                F("producer_epoch", "int16"),
                F("transaction_result", "bool"),
                F(
                    "topics",
                    "[]WritableTxnMarkerTopic",
                    fields=[
                        F("name", "string"),
                        F("partition_indexes", "[]int32"),
                    ],
                ),
                F("coordinator_epoch", "int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "WriteTxnMarkersResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "markers",
            "[]WritableTxnMarkerResult",
            fields=[
                F("producer_id", "int64"),
                F(
                    "topics",
                    "[]WritableTxnMarkerTopicResult",
                    fields=[
                        F("name", "string"),
                        F(
                            "partitions",
                            "[]WritableTxnMarkerPartitionResult",
                            fields=[
                                F("partition_index", "int32"),
                                F("error_code", "int16"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
)
