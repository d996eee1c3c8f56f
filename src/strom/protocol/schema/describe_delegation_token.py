"""DescribeDelegationToken (API key 41): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 41
VERSIONS = "0-3"
FLEXIBLE = "2+"

define_message(
    globals(),
    "DescribeDelegationTokenRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "owners",
            "[]DescribeDelegationTokenOwner",
            nullable="0+",
            fields=[
                F("principal_type", "string"),
                F("principal_name", "string"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "DescribeDelegationTokenResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F(
            "tokens",
            "[]DescribedDelegationToken",
            fields=[
                F("principal_type", "string"),
                F("principal_name", "string"),
                F("token_requester_principal_type", "string", "3+"),
                F("token_requester_principal_name", "string", "3+"),
                F("issue_timestamp", "int64"),
                F("expiry_timestamp", "int64"),
                F("max_timestamp", "int64"),
                F("token_id", "string"),
                F("hmac", "bytes"),
                F(
                    "renewers",
                    "[]DescribedDelegationTokenRenewer",
                    fields=[
                        F("principal_type", "string"),
                        F("principal_name", "string"),
                    ],
                ),
            ],
        ),
        F("throttle_time_ms", "int32"),
    ],
)
