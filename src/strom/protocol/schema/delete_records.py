"""DeleteRecords (API key 21): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 21
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "DeleteRecordsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "topics",
            "[]DeleteRecordsTopic",
            fields=[
                F("name", "string"),
                F("partitions", "[]DeleteRecordsPartition", fields=[F("partition_index", "int32"), F("offset", "int64")]),
            ],
        ),
        F("timeout_ms", "int32"),
    ],
)

define_message(
    globals(),
    "DeleteRecordsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "topics",
            "[]DeleteRecordsTopicResult",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]DeleteRecordsPartitionResult",
                    fields=[F("partition_index", "int32"), F("low_watermark", "int64"), F("error_code", "int16")],
                ),
            ],
        ),
    ],
)
