"""DescribeTransactions (API key 65): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 65
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeTransactionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("transactional_ids", "[]string"),
    ],
)

define_message(
    globals(),
    "DescribeTransactionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "transaction_states",
            "[]TransactionState",
            fields=[
                F("error_code", "int16"),
                F("transactional_id", "string"),
                F("transaction_state", "string"),
                F("transaction_timeout_ms", "int32"),
                F("transaction_start_time_ms", "int64"),
                F("producer_id", "int64"),
                F("producer_epoch", "int16"),
                F(
                    "topics",
                    "[]TopicData",
                    fields=[
                        F("topic", "string"),
                        F("partitions", "[]int32"),
                    ],
                ),
            ],
        ),
    ],
)
