"""Types of strom.protocol.schema.describe_user_scram_credentials, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 50
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeUserScramCredentialsRequest(Message):
    """API key 50, versions 0, flexible versions 0+."""

    users: list[UserName] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UserName(Struct):
    """A struct of DescribeUserScramCredentialsRequest."""

    name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeUserScramCredentialsResponse(Message):
    """API key 50, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    results: list[DescribeUserScramCredentialsResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeUserScramCredentialsResult(Struct):
    """A struct of DescribeUserScramCredentialsResponse."""

    user: str = ""
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    credential_infos: list[CredentialInfo] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialInfo(Struct):
    """A struct of DescribeUserScramCredentialsResponse."""

    mechanism: int = 0
    """Versions 0+."""
    iterations: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
