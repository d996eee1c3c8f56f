"""UpdateMetadata (API key 6): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 6
VERSIONS = "0-8"
FLEXIBLE = "6+"

define_message(
    globals(),
    "UpdateMetadataRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("controller_id", "int32"),
        F("is_kraft_controller", "bool", "8+", default="false"),
        F("type", "int8", "8+", tag=0, default="0"),
        F("controller_epoch", "int32"),
        F("broker_epoch", "int64", "5+", default="-1"),
        F(
            "ungrouped_partition_states",
            "[]UpdateMetadataPartitionState",
            "0-4",
            fields=[
                F("topic_name", "string", "0-4"),
                F("partition_index", "int32"),
                F("controller_epoch", "int32"),
                F("leader", "int32"),
                F("leader_epoch", "int32"),
                F("isr", "[]int32"),
                F("zk_version", "int32"),
                F("replicas", "[]int32"),
                F("offline_replicas", "[]int32", "4+"),
            ],
        ),
        F(
            "topic_states",
            "[]UpdateMetadataTopicState",
            "5+",
            fields=[
                F("topic_name", "string", "5+"),
                F("topic_id", "uuid", "7+"),
                F(
                    "partition_states",
                    "[]UpdateMetadataPartitionState",
                    "5+",
                    fields=[
                        F("topic_name", "string", "0-4"),
                        F("partition_index", "int32"),
                        F("controller_epoch", "int32"),
                        F("leader", "int32"),
                        F("leader_epoch", "int32"),
                        F("isr", "[]int32"),
                        F("zk_version", "int32"),
                        F("replicas", "[]int32"),
                        F("offline_replicas", "[]int32", "4+"),
                    ],
                ),
            ],
        ),
        F(
            "live_brokers",
            "[]UpdateMetadataBroker",
            fields=[
                F("id", "int32"),
                F("v0_host", "string", "0"),
                F("v0_port", "int32", "0"),
                F(
                    "endpoints",
                    "[]UpdateMetadataEndpoint",
                    "1+",
                    fields=[
                        F("port", "int32", "1+"),
                        F("host", "string", "1+"),
                        F("listener", "string", "3+"),
                        F("security_protocol", "int16", "1+"),
                    ],
                ),
                F("rack", "string", "2+", nullable="0+", default="null"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "UpdateMetadataResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
    ],
)
