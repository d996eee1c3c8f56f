"""TxnOffsetCommit (API key 28): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 28
VERSIONS = "0-4"
FLEXIBLE = "3+"

define_message(
    globals(),
    "TxnOffsetCommitRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("transactional_id", "string"),
        F("group_id", "string"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
        F("generation_id", "int32", "3+", default="-1"),
        F("member_id", "string", "3+", default=""),
        F("group_instance_id", "string", "3+", nullable="3+", default="null"),
        F(
            "topics",
            "[]TxnOffsetCommitRequestTopic",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]TxnOffsetCommitRequestPartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("committed_offset", "int64"),
                        F("committed_leader_epoch", "int32", "2+", default="-1"),
                        F("committed_metadata", "string", nullable="0+", default="null"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "TxnOffsetCommitResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "topics",
            "[]TxnOffsetCommitResponseTopic",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]TxnOffsetCommitResponsePartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                    ],
                ),
            ],
        ),
    ],
)
