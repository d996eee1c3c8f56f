"""Metadata (API key 3): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 3
VERSIONS = "0-12"
FLEXIBLE = "9+"

define_message(
    globals(),
    "MetadataRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("topics", "[]MetadataRequestTopic", nullable="1+", fields=[F("topic_id", "uuid", "10+"), F("name", "string", nullable="10+")]),
        F("allow_auto_topic_creation", "bool", "4+", default="true"),
        F("include_cluster_authorized_operations", "bool", "8-10"),
        F("include_topic_authorized_operations", "bool", "8+"),
    ],
)

define_message(
    globals(),
    "MetadataResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "3+"),
        F(
            "brokers",
            "[]MetadataResponseBroker",
            fields=[
                F("node_id", "int32"),
                F("host", "string"),
                F("port", "int32"),
                F("rack", "string", "1+", nullable="1+", default="null"),
            ],
        ),
        F("cluster_id", "string", "2+", nullable="2+", default="null"),
        F("controller_id", "int32", "1+", default="-1"),
        F(
            "topics",
            "[]MetadataResponseTopic",
            fields=[
                F("error_code", "int16"),
                F("name", "string", nullable="12+"),
                F("topic_id", "uuid", "10+"),
                F("is_internal", "bool", "1+"),
                F(
                    "partitions",
                    "[]MetadataResponsePartition",
                    fields=[
                        F("error_code", "int16"),
                        F("partition_index", "int32"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32", "7+", default="-1"),
                        F("replica_nodes", "[]int32"),
                        F("isr_nodes", "[]int32"),
                        F("offline_replicas", "[]int32", "5+"),
                    ],
                ),
                F("topic_authorized_operations", "int32", "8+", default="-2147483648"),
            ],
        ),
        F("cluster_authorized_operations", "int32", "8-10", default="-2147483648"),
    ],
)
