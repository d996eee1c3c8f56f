"""ListOffsets (API key 2): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 2
VERSIONS = "0-9"
FLEXIBLE = "6+"

define_message(
    globals(),
    "ListOffsetsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("replica_id", "int32"),
        F("isolation_level", "int8", "2+"),
        F(
            "topics",
            "[]ListOffsetsTopic",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]ListOffsetsPartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("current_leader_epoch", "int32", "4+", default="-1"),
                        F("timestamp", "int64"),
                        F("max_num_offsets", "int32", "0-0", default="1"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "ListOffsetsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "2+"),
        F(
            "topics",
            "[]ListOffsetsTopicResponse",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]ListOffsetsPartitionResponse",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("old_style_offsets", "[]int64", "0-0"),
                        F("timestamp", "int64", "1+", default="-1"),
                        F("offset", "int64", "1+", default="-1"),
                        F("leader_epoch", "int32", "4+", default="-1"),
                    ],
                ),
            ],
        ),
    ],
)
