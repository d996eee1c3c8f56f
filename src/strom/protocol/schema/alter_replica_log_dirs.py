"""AlterReplicaLogDirs (API key 34): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 34
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "AlterReplicaLogDirsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "dirs",
            "[]AlterReplicaLogDir",
            fields=[
                F("path", "string"),
                F(
                    "topics",
                    "[]AlterReplicaLogDirTopic",
                    fields=[
                        F("name", "string"),
                        F("partitions", "[]int32"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "AlterReplicaLogDirsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "results",
            "[]AlterReplicaLogDirTopicResult",
            fields=[
                F("topic_name", "string"),
                F(
                    "partitions",
                    "[]AlterReplicaLogDirPartitionResult",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                    ],
                ),
            ],
        ),
    ],
)
