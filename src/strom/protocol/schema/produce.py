"""Produce (API key 0): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 0
VERSIONS = "0-11"
FLEXIBLE = "9+"

define_message(
    globals(),
    "ProduceRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("transactional_id", "string", "3+", nullable="3+", default="null"),
        F("acks", "int16"),
        F("timeout_ms", "int32"),
        F(
            "topic_data",
            "[]TopicProduceData",
            fields=[
                F("name", "string"),
                F("partition_data", "[]PartitionProduceData", fields=[F("index", "int32"), F("records", "records", nullable="0+")]),
            ],
        ),
    ],
)

define_message(
    globals(),
    "ProduceResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "responses",
            "[]TopicProduceResponse",
            fields=[
                F("name", "string"),
                F(
                    "partition_responses",
                    "[]PartitionProduceResponse",
                    fields=[
                        F("index", "int32"),
                        F("error_code", "int16"),
                        F("base_offset", "int64"),
                        F("log_append_time_ms", "int64", "2+", default="-1"),
                        F("log_start_offset", "int64", "5+", default="-1"),
                        F(
                            "record_errors",
                            "[]BatchIndexAndErrorMessage",
                            "8+",
                            fields=[F("batch_index", "int32"), F("batch_index_error_message", "string", nullable="8+", default="null")],
                        ),
                        F("error_message", "string", "8+", nullable="8+", default="null"),
                        F(
                            "current_leader",
                            "LeaderIdAndEpoch",
                            "10+",
                            tag=0,
                            fields=[F("leader_id", "int32", default="-1"), F("leader_epoch", "int32", default="-1")],
                        ),
                    ],
                ),
            ],
        ),
        F("throttle_time_ms", "int32", "1+"),
        F(
            "node_endpoints",
            "[]NodeEndpoint",
            "10+",
            tag=0,
            fields=[F("node_id", "int32"), F("host", "string"), F("port", "int32"), F("rack", "string", nullable="10+", default="null")],
        ),
    ],
)
