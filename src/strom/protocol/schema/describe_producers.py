"""DescribeProducers (API key 61): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 61
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeProducersRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "topics",
            "[]TopicRequest",
            fields=[
                F("name", "string"),
                F("partition_indexes", "[]int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "DescribeProducersResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "topics",
            "[]TopicResponse",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]PartitionResponse",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("error_message", "string", nullable="0+", default="null"),
                        F(
                            "active_producers",
                            "[]ProducerState",
                            fields=[
                                F("producer_id", "int64"),
                                F("producer_epoch", "int32"),
                                F("last_sequence", "int32", default="-1"),
                                F("last_timestamp", "int64", default="-1"),
                                F("coordinator_epoch", "int32"),
                                F("current_txn_start_offset", "int64", default="-1"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
)
