"""CreateTopics (API key 19): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 19
VERSIONS = "0-7"
FLEXIBLE = "5+"

define_message(
    globals(),
    "CreateTopicsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "topics",
            "[]CreatableTopic",
            fields=[
                F("name", "string"),
                F("num_partitions", "int32"),
                F("replication_factor", "int16"),
                F("assignments", "[]CreatableReplicaAssignment", fields=[F("partition_index", "int32"), F("broker_ids", "[]int32")]),
                F("configs", "[]CreatableTopicConfig", fields=[F("name", "string"), F("value", "string", nullable="0+")]),
            ],
        ),
        F("timeout_ms", "int32", default="60000"),
        F("validate_only", "bool", "1+"),
    ],
)

define_message(
    globals(),
    "CreateTopicsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "2+"),
        F(
            "topics",
            "[]CreatableTopicResult",
            fields=[
                F("name", "string"),
                F("topic_id", "uuid", "7+"),
                F("error_code", "int16"),
                F("error_message", "string", "1+", nullable="0+", default="null"),
                F("topic_config_error_code", "int16", "5+", tag=0),
                F("num_partitions", "int32", "5+", default="-1"),
                F("replication_factor", "int16", "5+", default="-1"),
                F(
                    "configs",
                    "[]CreatableTopicConfigs",
                    "5+",
                    nullable="5+",
                    fields=[
                        F("name", "string"),
                        F("value", "string", nullable="5+"),
                        F("read_only", "bool"),
                        F("config_source", "int8", default="-1"),
                        F("is_sensitive", "bool"),
                    ],
                ),
            ],
        ),
    ],
)
