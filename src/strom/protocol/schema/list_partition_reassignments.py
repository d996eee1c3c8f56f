"""ListPartitionReassignments (API key 46): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 46
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "ListPartitionReassignmentsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("timeout_ms", "int32", default="60000"),
        F(
            "topics",
            "[]ListPartitionReassignmentsTopics",
            nullable="0+",
            default="null",
            fields=[
                F("name", "string"),
                F("partition_indexes", "[]int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "ListPartitionReassignmentsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F(
            "topics",
            "[]OngoingTopicReassignment",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]OngoingPartitionReassignment",
                    fields=[
                        F("partition_index", "int32"),
                        F("replicas", "[]int32"),
                        F("adding_replicas", "[]int32"),
                        F("removing_replicas", "[]int32"),
                    ],
                ),
            ],
        ),
    ],
)
