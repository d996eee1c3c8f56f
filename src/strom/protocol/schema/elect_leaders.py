"""ElectLeaders (API key 43): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 43
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "ElectLeadersRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("election_type", "int8", "1+"),
        F(
            "topic_partitions",
            "[]TopicPartitions",
            nullable="0+",
            fields=[
                F("topic", "string"),
                F("partitions", "[]int32"),
            ],
        ),
        F("timeout_ms", "int32", default="60000"),
    ],
)

define_message(
    globals(),
    "ElectLeadersResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "1+"),
        F(
            "replica_election_results",
            "[]ReplicaElectionResult",
            fields=[
                F("topic", "string"),
                F(
                    "partition_result",
                    "[]PartitionResult",
                    fields=[
                        F("partition_id", "int32"),
                        F("error_code", "int16"),
                        F("error_message", "string", nullable="0+", default="null"),
                    ],
                ),
            ],
        ),
    ],
)
