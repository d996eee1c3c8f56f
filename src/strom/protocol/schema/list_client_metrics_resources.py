"""ListClientMetricsResources (API key 74): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 74
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "ListClientMetricsResourcesRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [],
)

define_message(
    globals(),
    "ListClientMetricsResourcesResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F(
            "client_metrics_resources",
            "[]ClientMetricsResource",
            fields=[
                F("name", "string"),
            ],
        ),
    ],
)
