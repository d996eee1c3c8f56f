"""DescribeTopicPartitions (API key 75): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 75
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeTopicPartitionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "topics",
            "[]TopicRequest",
            fields=[
                F("name", "string"),
            ],
        ),
        F("response_partition_limit", "int32", default="2000"),
        F(
            "cursor",
            "Cursor",
            nullable="0+",
            default="null",
            fields=[
                F("topic_name", "string"),
                F("partition_index", "int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "DescribeTopicPartitionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "topics",
            "[]DescribeTopicPartitionsResponseTopic",
            fields=[
                F("error_code", "int16"),
                F("name", "string", nullable="0+", default="null"),
                F("topic_id", "uuid"),
                F("is_internal", "bool", default="false"),
                F(
                    "partitions",
                    "[]DescribeTopicPartitionsResponsePartition",
                    fields=[
                        F("error_code", "int16"),
                        F("partition_index", "int32"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32", default="-1"),
                        F("replica_nodes", "[]int32"),
                        F("isr_nodes", "[]int32"),
                        F("eligible_leader_replicas", "[]int32", nullable="0+", default="null"),
                        F("last_known_elr", "[]int32", nullable="0+", default="null"),
                        F("offline_replicas", "[]int32"),
                    ],
                ),
                F("topic_authorized_operations", "int32", default="-2147483648"),
            ],
        ),
        F(
            "next_cursor",
            "Cursor",
            nullable="0+",
            default="null",
            fields=[
                F("topic_name", "string"),
                F("partition_index", "int32"),
            ],
        ),
    ],
)
