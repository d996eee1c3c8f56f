"""DescribeQuorum (API key 55): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 55
VERSIONS = "0-2"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeQuorumRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
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
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "DescribeQuorumResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("error_message", "string", "2+", nullable="2+", default="null"),
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
                        F("error_message", "string", "2+", nullable="2+", default="null"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32"),
                        F("high_watermark", "int64"),
                        F(
                            "current_voters",
                            "[]ReplicaState",
                            fields=[
                                F("replica_id", "int32"),
                                F("replica_directory_id", "uuid", "2+"),
                                F("log_end_offset", "int64"),
                                F("last_fetch_timestamp", "int64", "1+", default="-1"),
                                F("last_caught_up_timestamp", "int64", "1+", default="-1"),
                            ],
                        ),
                        F(
                            "observers",
                            "[]ReplicaState",
                            fields=[
                                F("replica_id", "int32"),
                                F("replica_directory_id", "uuid", "2+"),
                                F("log_end_offset", "int64"),
                                F("last_fetch_timestamp", "int64", "1+", default="-1"),
                                F("last_caught_up_timestamp", "int64", "1+", default="-1"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        F(
            "nodes",
            "[]Node",
            "2+",
            fields=[
                F("node_id", "int32", "2+"),
                F(
                    "listeners",
                    "[]Listener",
                    "2+",
                    fields=[
                        F("name", "string", "2+"),
                        F("host", "string", "2+"),
                        F("port", "uint16", "2+"),
                    ],
                ),
            ],
        ),
    ],
)
