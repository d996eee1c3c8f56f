"""FindCoordinator (API key 10): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 10
VERSIONS = "0-6"
FLEXIBLE = "3+"

define_message(
    globals(),
    "FindCoordinatorRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("key", "string", "0-3"),
        F("key_type", "int8", "1+"),
        F("coordinator_keys", "[]string", "4+"),
    ],
)

define_message(
    globals(),
    "FindCoordinatorResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16", "0-3"),
        F("error_message", "string", "1-3", nullable="1-3", default="null"),
        F("node_id", "int32", "0-3"),
        F("host", "string", "0-3"),
        F("port", "int32", "0-3"),
        F(
            "coordinators",
            "[]Coordinator",
            "4+",
            fields=[
                F("key", "string"),
                F("node_id", "int32"),
                F("host", "string"),
                F("port", "int32"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="4+", default="null"),
            ],
        ),
    ],
)
