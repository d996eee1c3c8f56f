"""DeleteTopics (API key 20): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 20
VERSIONS = "0-6"
FLEXIBLE = "4+"

define_message(
    globals(),
    "DeleteTopicsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("topics", "[]DeleteTopicState", "6+", fields=[F("name", "string", nullable="6+", default="null"), F("topic_id", "uuid")]),
        F("topic_names", "[]string", "0-5"),
        F("timeout_ms", "int32"),
    ],
)

define_message(
    globals(),
    "DeleteTopicsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F(
            "responses",
            "[]DeletableTopicResult",
            fields=[
                F("name", "string", nullable="6+"),
                F("topic_id", "uuid", "6+"),
                F("error_code", "int16"),
                F("error_message", "string", "5+", nullable="5+", default="null"),
            ],
        ),
    ],
)
