"""EndTxn (API key 26): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 26
VERSIONS = "0-4"
FLEXIBLE = "3+"

define_message(
    globals(),
    "EndTxnRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("transactional_id", "string"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
        F("committed", "bool"),
    ],
)

define_message(
    globals(),
    "EndTxnResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
    ],
)
