"""Types of strom.protocol.schema.alter_user_scram_credentials, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 51
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterUserScramCredentialsRequest(Message):
    """API key 51, versions 0, flexible versions 0+."""

    deletions: list[ScramCredentialDeletion] = ...
    """Versions 0+."""
    upsertions: list[ScramCredentialUpsertion] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ScramCredentialDeletion(Struct):
    """A struct of AlterUserScramCredentialsRequest."""

    name: str = ""
    """Versions 0+."""
    mechanism: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ScramCredentialUpsertion(Struct):
    """A struct of AlterUserScramCredentialsRequest."""

    name: str = ""
    """Versions 0+."""
    mechanism: int = 0
    """Versions 0+."""
    iterations: int = 0
    """Versions 0+."""
    salt: Buffer = b""
    """Versions 0+."""
    salted_password: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterUserScramCredentialsResponse(Message):
    """API key 51, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[AlterUserScramCredentialsResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterUserScramCredentialsResult(Struct):
    """A struct of AlterUserScramCredentialsResponse."""

    user: str = ""
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
