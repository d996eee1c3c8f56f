"""BeginQuorumEpoch (API key 53): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 53
VERSIONS = "0-1"
FLEXIBLE = "1+"

define_message(
    globals(),
    "BeginQuorumEpochRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("cluster_id", "string", nullable="0+", default="null"),
        F("voter_id", "int32", "1+", default="-1"),
        F(
            "topics",
            "[]TopicData",
            fields=[
                F("topic_name", "string"),
                F(
                    "partitions",
                    "[]PartitionData",
                    fields=[
                        F("partition_index", "int32"),
                        F("voter_directory_id", "uuid", "1+"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32"),
                    ],
                ),
            ],
        ),
        F(
            "leader_endpoints",
            "[]LeaderEndpoint",
            "1+",
            fields=[
                F("name", "string", "1+"),
                F("host", "string", "1+"),
                F("port", "uint16", "1+"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "BeginQuorumEpochResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F(
            "topics",
            "[]TopicData",
            fields=[
                F("topic_name", "string"),
                F(
                    "partitions",
                    "[]PartitionData",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32"),
                    ],
                ),
            ],
        ),
        F(
            "node_endpoints",
            "[]NodeEndpoint",
            "1+",
            tag=0,
            fields=[
                F("node_id", "int32", "1+"),
                F("host", "string", "1+"),
                F("port", "uint16", "1+"),
            ],
        ),
    ],
)
