"""DescribeCluster (API key 60): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 60
VERSIONS = "0-1"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeClusterRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("include_cluster_authorized_operations", "bool"),
        F("endpoint_type", "int8", "1+", default="1"),
    ],
)

define_message(
    globals(),
    "DescribeClusterResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F("endpoint_type", "int8", "1+", default="1"),
        F("cluster_id", "string"),
        F("controller_id", "int32", default="-1"),
        F(
            "brokers",
            "[]DescribeClusterBroker",
            fields=[F("broker_id", "int32"), F("host", "string"), F("port", "int32"), F("rack", "string", nullable="0+", default="null")],
        ),
        F("cluster_authorized_operations", "int32", default="-2147483648"),
    ],
)
