"""OffsetFetch (API key 9): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 9
VERSIONS = "0-9"
FLEXIBLE = "6+"

define_message(
    globals(),
    "OffsetFetchRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string", "0-7"),
        F("topics", "[]OffsetFetchRequestTopic", "0-7", nullable="2-7", fields=[F("name", "string"), F("partition_indexes", "[]int32")]),
        F(
            "groups",
            "[]OffsetFetchRequestGroup",
            "8+",
            fields=[
                F("group_id", "string"),
                F("member_id", "string", "9+", nullable="9+", default="null"),
                F("member_epoch", "int32", "9+", default="-1"),
                F("topics", "[]OffsetFetchRequestTopics", nullable="8+", fields=[F("name", "string"), F("partition_indexes", "[]int32")]),
            ],
        ),
        F("require_stable", "bool", "7+"),
    ],
)

define_message(
    globals(),
    "OffsetFetchResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "3+"),
        F(
            "topics",
            "[]OffsetFetchResponseTopic",
            "0-7",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]OffsetFetchResponsePartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("committed_offset", "int64"),
                        F("committed_leader_epoch", "int32", "5+", default="-1"),
                        F("metadata", "string", nullable="0+"),
                        F("error_code", "int16"),
                    ],
                ),
            ],
        ),
        F("error_code", "int16", "2-7"),
        F(
            "groups",
            "[]OffsetFetchResponseGroup",
            "8+",
            fields=[
                F("group_id", "string"),
                F(
                    "topics",
                    "[]OffsetFetchResponseTopics",
                    fields=[
                        F("name", "string"),
                        F(
                            "partitions",
                            "[]OffsetFetchResponsePartitions",
                            fields=[
                                F("partition_index", "int32"),
                                F("committed_offset", "int64"),
                                F("committed_leader_epoch", "int32", default="-1"),
                                F("metadata", "string", nullable="8+"),
                                F("error_code", "int16"),
                            ],
                        ),
                    ],
                ),
                F("error_code", "int16"),
            ],
        ),
    ],
)
