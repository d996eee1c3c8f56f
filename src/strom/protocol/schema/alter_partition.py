"""AlterPartition (API key 56): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 56
VERSIONS = "0-3"
FLEXIBLE = "0+"

define_message(
    globals(),
    "AlterPartitionRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("broker_id", "int32"),
        F("broker_epoch", "int64", default="-1"),
        F(
            "topics",
            "[]TopicData",
            fields=[
                F("topic_name", "string", "0-1"),
                F("topic_id", "uuid", "2+"),
                F(
                    "partitions",
                    "[]PartitionData",
                    fields=[
                        F("partition_index", "int32"),
                        F("leader_epoch", "int32"),
                        F("new_isr", "[]int32", "0-2"),
                        F(
                            "new_isr_with_epochs",
                            "[]BrokerState",
                            "3+",
                            fields=[
                                F("broker_id", "int32", "3+"),
                                F("broker_epoch", "int64", "3+", default="-1"),
                            ],
                        ),
                        F("leader_recovery_state", "int8", "1+", default="0"),
                        F("partition_epoch", "int32"),
                    ],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "AlterPartitionResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F(
            "topics",
            "[]TopicData",
            fields=[
                F("topic_name", "string", "0-1"),
                F("topic_id", "uuid", "2+"),
                F(
                    "partitions",
                    "[]PartitionData",
                    fields=[
                        F("partition_index", "int32"),
                        F("error_code", "int16"),
                        F("leader_id", "int32"),
                        F("leader_epoch", "int32"),
                        F("isr", "[]int32"),
                        F("leader_recovery_state", "int8", "1+", default="0"),
                        F("partition_epoch", "int32"),
                    ],
                ),
            ],
        ),
    ],
)

# Kafka 2.8 called this API AlterIsr (KIP-497); AlterPartition is its later name, same wire format for v0.
AlterIsrRequest = globals()["AlterPartitionRequest"]
AlterIsrResponse = globals()["AlterPartitionResponse"]
