"""Types of strom.protocol.schema.delete_topics, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 20
VERSIONS: Final = "0-6"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteTopicsRequest(Message):
    """API key 20, versions 0-6, flexible versions 4+."""

    topics: list[DeleteTopicState] = ...
    """Versions 6+."""
    topic_names: list[str] = ...
    """Versions 0-5."""
    timeout_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteTopicState(Struct):
    """A struct of DeleteTopicsRequest."""

    name: str | None = None
    """Versions 0+; nullable in 6+."""
    topic_id: uuid.UUID = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteTopicsResponse(Message):
    """API key 20, versions 0-6, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    responses: list[DeletableTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeletableTopicResult(Struct):
    """A struct of DeleteTopicsResponse."""

    name: str | None = ""
    """Versions 0+; nullable in 6+."""
    topic_id: uuid.UUID = ...
    """Versions 6+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 5+; nullable in 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
