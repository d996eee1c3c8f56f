"""DescribeUserScramCredentials (API key 50): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 50
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "DescribeUserScramCredentialsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "users",
            "[]UserName",
            nullable="0+",
            fields=[
                F("name", "string"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "DescribeUserScramCredentialsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F(
            "results",
            "[]DescribeUserScramCredentialsResult",
            fields=[
                F("user", "string"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+", default="null"),
                F(
                    "credential_infos",
                    "[]CredentialInfo",
                    fields=[
                        F("mechanism", "int8"),
                        F("iterations", "int32"),
                    ],
                ),
            ],
        ),
    ],
)
