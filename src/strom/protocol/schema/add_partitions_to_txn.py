"""AddPartitionsToTxn (API key 24): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 24
VERSIONS = "0-5"
FLEXIBLE = "3+"

define_message(
    globals(),
    "AddPartitionsToTxnRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "transactions",
            "[]AddPartitionsToTxnTransaction",
            "4+",
            fields=[
                F("transactional_id", "string", "4+"),
                F("producer_id", "int64", "4+"),
                F("producer_epoch", "int16", "4+"),
                F("verify_only", "bool", "4+", default="false"),
                F(
                    "topics",
                    "[]AddPartitionsToTxnTopic",
                    "4+",
                    fields=[
                        F("name", "string"),
                        F("partitions", "[]int32"),
                    ],
                ),
            ],
        ),
        F("v3_and_below_transactional_id", "string", "0-3"),
        F("v3_and_below_producer_id", "int64", "0-3"),
        F("v3_and_below_producer_epoch", "int16", "0-3"),
        F(
            "v3_and_below_topics",
            "[]AddPartitionsToTxnTopic",
            "0-3",
            fields=[
                F("name", "string"),
                F("partitions", "[]int32"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "AddPartitionsToTxnResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "4+"),
        F(
            "results_by_transaction",
            "[]AddPartitionsToTxnResult",
            "4+",
            fields=[
                F("transactional_id", "string", "4+"),
                F(
                    "topic_results",
                    "[]AddPartitionsToTxnTopicResult",
                    "4+",
                    fields=[
                        F("name", "string"),
                        F(
                            "results_by_partition",
                            "[]AddPartitionsToTxnPartitionResult",
                            fields=[
                                F("partition_index", "int32"),
                                F("partition_error_code", "int16"),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        F(
            "results_by_topic_v3_and_below",
            "[]AddPartitionsToTxnTopicResult",
            "0-3",
            fields=[
                F("name", "string"),
                F(
                    "results_by_partition",
                    "[]AddPartitionsToTxnPartitionResult",
                    fields=[
                        F("partition_index", "int32"),
                        F("partition_error_code", "int16"),
                    ],
                ),
            ],
        ),
    ],
)
