"""Fetch (API key 1): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 1
VERSIONS = "0-17"
FLEXIBLE = "12+"

define_message(
    globals(),
    "FetchRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("cluster_id", "string", "12+", nullable="12+", tag=0, default="null"),
        F("replica_id", "int32", "0-14", default="-1"),
        F(
            "replica_state",
            "ReplicaState",
            "15+",
            tag=1,
            fields=[F("replica_id", "int32", default="-1"), F("replica_epoch", "int64", default="-1")],
        ),
        F("max_wait_ms", "int32"),
        F("min_bytes", "int32"),
        F("max_bytes", "int32", "3+", default="0x7fffffff"),
        F("isolation_level", "int8", "4+"),
        F("session_id", "int32", "7+"),
        F("session_epoch", "int32", "7+", default="-1"),
        F(
            "topics",
            "[]FetchTopic",
            fields=[
                F("topic", "string", "0-12"),
                F("topic_id", "uuid", "13+"),
                F(
                    "partitions",
                    "[]FetchPartition",
                    fields=[
                        F("partition", "int32"),
                        F("current_leader_epoch", "int32", "9+", default="-1"),
                        F("fetch_offset", "int64"),
                        F("last_fetched_epoch", "int32", "12+", default="-1"),
                        F("log_start_offset", "int64", "5+", default="-1"),
                        F("partition_max_bytes", "int32"),
                        F("replica_directory_id", "uuid", "17+", tag=0),
                    ],
                ),
            ],
        ),
        F(
            "forgotten_topics_data",
            "[]ForgottenTopic",
            "7+",
            fields=[F("topic", "string", "7-12"), F("topic_id", "uuid", "13+"), F("partitions", "[]int32")],
        ),
        F("rack_id", "string", "11+"),
    ],
)

define_message(
    globals(),
    "FetchResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16", "7+"),
        F("session_id", "int32", "7+"),
        F(
            "responses",
            "[]FetchableTopicResponse",
            fields=[
                F("topic", "string", "0-12"),
                F("topic_id", "uuid", "13+"),
                F(
                    "partitions",
                    "[]PartitionData",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("high_watermark", "int64"),
                        F("last_stable_offset", "int64", "4+", default="-1"),
                        F("log_start_offset", "int64", "5+", default="-1"),
                        F(
                            "diverging_epoch",
                            "EpochEndOffset",
                            "12+",
                            tag=0,
                            fields=[F("epoch", "int32", default="-1"), F("end_offset", "int64", default="-1")],
                        ),
                        F(
                            "current_leader",
                            "LeaderIdAndEpoch",
                            "12+",
                            tag=1,
                            fields=[F("leader_id", "int32", default="-1"), F("leader_epoch", "int32", default="-1")],
                        ),
                        F(
                            "snapshot_id",
                            "SnapshotId",
                            "12+",
                            tag=2,
                            fields=[F("end_offset", "int64", default="-1"), F("epoch", "int32", default="-1")],
                        ),
                        F(
                            "aborted_transactions",
                            "[]AbortedTransaction",
                            "4+",
                            nullable="4+",
                            fields=[F("producer_id", "int64"), F("first_offset", "int64")],
                        ),
                        F("preferred_read_replica", "int32", "11+", default="-1"),
                        F("records", "records", nullable="0+"),
                    ],
                ),
            ],
        ),
        F(
            "node_endpoints",
            "[]NodeEndpoint",
            "16+",
            tag=0,
            fields=[F("node_id", "int32"), F("host", "string"), F("port", "int32"), F("rack", "string", nullable="16+", default="null")],
        ),
    ],
)
