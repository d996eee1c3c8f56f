"""AlterPartitionReassignments (API key 45): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 45
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "AlterPartitionReassignmentsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("timeout_ms", "int32", default="60000"),
        F(
            "topics",
            "[]ReassignableTopic",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]ReassignablePartition",
                    fields=[
                        F("partition_index", "int32"),
                        F("replicas", "[]int32", nullable="0+", default="null"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "AlterPartitionReassignmentsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F(
            "responses",
            "[]ReassignableTopicResponse",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]ReassignablePartitionResponse",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("error_message", "string", nullable="0+", default="null"),
                    ],
                ),
            ],
        ),
    ],
)
