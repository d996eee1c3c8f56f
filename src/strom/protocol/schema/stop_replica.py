"""StopReplica (API key 5): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 5
VERSIONS = "0-4"
FLEXIBLE = "2+"

define_message(
    globals(),
    "StopReplicaRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("controller_id", "int32"),
        F("is_kraft_controller", "bool", "4+", default="false"),
        F("controller_epoch", "int32"),
        F("broker_epoch", "int64", "1+", default="-1"),
        F("delete_partitions", "bool", "0-2"),
        F(
            "ungrouped_partitions",
            "[]StopReplicaPartitionV0",
            "0",
            fields=[
                F("topic_name", "string", "0"),
                F("partition_index", "int32", "0"),
            ],
        ),
        F(
            "topics",
            "[]StopReplicaTopicV1",
            "1-2",
            fields=[
                F("name", "string", "1-2"),
                F("partition_indexes", "[]int32", "1-2"),
            ],
        ),
        F(
            "topic_states",
            "[]StopReplicaTopicState",
            "3+",
            fields=[
                F("topic_name", "string", "3+"),
                F(
                    "partition_states",
                    "[]StopReplicaPartitionState",
                    "3+",
                    fields=[
                        F("partition_index", "int32", "3+"),
                        F("leader_epoch", "int32", "3+", default="-1"),
                        F("delete_partition", "bool", "3+"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "StopReplicaResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F(
            "partition_errors",
            "[]StopReplicaPartitionError",
            fields=[
                F("topic_name", "string"),
                F("partition_index", "int32"),
                F("error_code", "int16"),
            ],
        ),
    ],
)
