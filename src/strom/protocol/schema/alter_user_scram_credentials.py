"""AlterUserScramCredentials (API key 51): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 51
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "AlterUserScramCredentialsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "deletions",
            "[]ScramCredentialDeletion",
            fields=[
                F("name", "string"),
                F("mechanism", "int8"),
            ],
        ),
        F(
            "upsertions",
            "[]ScramCredentialUpsertion",
            fields=[
                F("name", "string"),
                F("mechanism", "int8"),
                F("iterations", "int32"),
                F("salt", "bytes"),
                F("salted_password", "bytes"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "AlterUserScramCredentialsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "results",
            "[]AlterUserScramCredentialsResult",
            fields=[
                F("user", "string"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+", default="null"),
            ],
        ),
    ],
)
