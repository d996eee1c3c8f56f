"""LeaderAndIsr (API key 4): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 4
VERSIONS = "0-7"
FLEXIBLE = "4+"

define_message(
    globals(),
    "LeaderAndIsrRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("controller_id", "int32"),
        F("is_kraft_controller", "bool", "7+", default="false"),
        F("controller_epoch", "int32"),
        F("broker_epoch", "int64", "2+", default="-1"),
        F("type", "int8", "5+"),
        F(
            "ungrouped_partition_states",
            "[]LeaderAndIsrPartitionState",
            "0-1",
            fields=[
                F("topic_name", "string", "0-1"),
                F("partition_index", "int32"),
                F("controller_epoch", "int32"),
                F("leader", "int32"),
                F("leader_epoch", "int32"),
                F("isr", "[]int32"),
                F("partition_epoch", "int32"),
                F("replicas", "[]int32"),
                F("adding_replicas", "[]int32", "3+"),
                F("removing_replicas", "[]int32", "3+"),
                F("is_new", "bool", "1+", default="false"),
                F("leader_recovery_state", "int8", "6+", default="0"),
            ],
        ),
        F(
            "topic_states",
            "[]LeaderAndIsrTopicState",
            "2+",
            fields=[
                F("topic_name", "string", "2+"),
                F("topic_id", "uuid", "5+"),
                F(
                    "partition_states",
                    "[]LeaderAndIsrPartitionState",
                    "2+",
                    fields=[
                        F("topic_name", "string", "0-1"),
                        F("partition_index", "int32"),
                        F("controller_epoch", "int32"),
                        F("leader", "int32"),
                        F("leader_epoch", "int32"),
                        F("isr", "[]int32"),
                        F("partition_epoch", "int32"),
                        F("replicas", "[]int32"),
                        F("adding_replicas", "[]int32", "3+"),
                        F("removing_replicas", "[]int32", "3+"),
                        F("is_new", "bool", "1+", default="false"),
                        F("leader_recovery_state", "int8", "6+", default="0"),
                    ],
                ),
            ],
        ),
        F(
            "live_leaders",
            "[]LeaderAndIsrLiveLeader",
            fields=[
                F("broker_id", "int32"),
                F("host_name", "string"),
                F("port", "int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "LeaderAndIsrResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F(
            "partition_errors",
            "[]LeaderAndIsrPartitionError",
            "0-4",
            fields=[
                F("topic_name", "string", "0-4"),
                F("partition_index", "int32"),
                F("error_code", "int16"),
            ],
        ),
        F(
            "topics",
            "[]LeaderAndIsrTopicError",
            "5+",
            fields=[
                F("topic_id", "uuid", "5+"),
                F(
                    "partition_errors",
                    "[]LeaderAndIsrPartitionError",
                    "5+",
                    fields=[
                        F("topic_name", "string", "0-4"),
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                    ],
                ),
            ],
        ),
    ],
)
