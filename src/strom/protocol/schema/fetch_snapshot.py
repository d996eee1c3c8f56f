"""FetchSnapshot (API key 59): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 59
VERSIONS = "0-1"
FLEXIBLE = "0+"

define_message(
    globals(),
    "FetchSnapshotRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("cluster_id", "string", nullable="0+", tag=0, default="null"),
        F("replica_id", "int32", default="-1"),
        F("max_bytes", "int32", default="0x7fffffff"),
        F(
            "topics",
            "[]TopicSnapshot",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]PartitionSnapshot",
                    fields=[
                        F("partition", "int32"),
                        F("current_leader_epoch", "int32"),
                        F(
                            "snapshot_id",
                            "SnapshotId",
                            fields=[
                                F("end_offset", "int64"),
                                F("epoch", "int32"),
                            ],
                        ),
                        F("position", "int64"),
                        F("replica_directory_id", "uuid", "1+", tag=0),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "FetchSnapshotResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F(
            "topics",
            "[]TopicSnapshot",
            fields=[
                F("name", "string"),
                F(
                    "partitions",
                    "[]PartitionSnapshot",
                    fields=[
                        F("index", "int32"),
                        F("error_code", "int16"),
                        F(
                            "snapshot_id",
                            "SnapshotId",
                            fields=[
                                F("end_offset", "int64"),
                                F("epoch", "int32"),
                            ],
                        ),
                        F(
                            "current_leader",
                            "LeaderIdAndEpoch",
                            tag=0,
                            fields=[
                                F("leader_id", "int32"),
                                F("leader_epoch", "int32"),
                            ],
                        ),
                        F("size", "int64"),
                        F("position", "int64"),
                        F("unaligned_records", "records"),
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
