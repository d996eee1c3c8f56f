"""ListTransactions (API key 66): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 66
VERSIONS = "0-1"
FLEXIBLE = "0+"

define_message(
    globals(),
    "ListTransactionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("state_filters", "[]string"),
        F("producer_id_filters", "[]int64"),
        F("duration_filter", "int64", "1+", default="-1"),
    ],
)

define_message(
    globals(),
    "ListTransactionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("unknown_state_filters", "[]string"),
        F(
            "transaction_states",
            "[]TransactionState",
            fields=[
                F("transactional_id", "string"),
                F("producer_id", "int64"),
                F("transaction_state", "string"),
            ],
        ),
    ],
)
