"""CreateDelegationToken (API key 38): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 38
VERSIONS = "0-3"
FLEXIBLE = "2+"

define_message(
    globals(),
    "CreateDelegationTokenRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("owner_principal_type", "string", "3+", nullable="3+", default="null"),
        F("owner_principal_name", "string", "3+", nullable="3+", default="null"),
        F(
            "renewers",
            "[]CreatableRenewers",
            fields=[
                F("principal_type", "string"),
                F("principal_name", "string"),
            ],
        ),
        F("max_lifetime_ms", "int64"),
    ],
)

define_message(
    globals(),
    "CreateDelegationTokenResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("principal_type", "string"),
        F("principal_name", "string"),
        F("token_requester_principal_type", "string", "3+"),
        F("token_requester_principal_name", "string", "3+"),
        F("issue_timestamp_ms", "int64"),
        F("expiry_timestamp_ms", "int64"),
        F("max_timestamp_ms", "int64"),
        F("token_id", "string"),
        F("hmac", "bytes"),
        F("throttle_time_ms", "int32"),
    ],
)
