"""OffsetCommit (API key 8): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 8
VERSIONS = "0-9"
FLEXIBLE = "8+"

define_message(
    globals(),
    "OffsetCommitRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("generation_id_or_member_epoch", "int32", "1+", default="-1"),
        F("member_id", "string", "1+"),
        F("group_instance_id", "string", "7+", nullable="7+", default="null"),
        F("retention_time_ms", "int64", "2-4", default="-1"),
        F(
            "topics",
            "[]OffsetCommitRequestTopic",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]OffsetCommitRequestPartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("committed_offset", "int64"),
                        F("committed_leader_epoch", "int32", "6+", default="-1"),
                        F("commit_timestamp", "int64", "1-1", default="-1"),
                        F("committed_metadata", "string", nullable="0+"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "OffsetCommitResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "3+"),
        F(
            "topics",
            "[]OffsetCommitResponseTopic",
            fields=[
                F("name", "string"),
                F("partitions", "[]OffsetCommitResponsePartition", fields=[F("partition_index", "int32"), F("error_code", "int16")]),
            ],
        ),
    ],
)
