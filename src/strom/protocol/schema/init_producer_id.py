"""InitProducerId (API key 22): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 22
VERSIONS = "0-5"
FLEXIBLE = "2+"

define_message(
    globals(),
    "InitProducerIdRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("transactional_id", "string", nullable="0+"),
        F("transaction_timeout_ms", "int32"),
        F("producer_id", "int64", "3+", default="-1"),
        F("producer_epoch", "int16", "3+", default="-1"),
    ],
)

define_message(
    globals(),
    "InitProducerIdResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("producer_id", "int64", default="-1"),
        F("producer_epoch", "int16"),
    ],
)
