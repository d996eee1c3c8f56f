"""Types of strom.protocol.schema.create_topics, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 19
VERSIONS: Final = "0-7"
FLEXIBLE: Final = "5+"

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTopicsRequest(Message):
    """API key 19, versions 0-7, flexible versions 5+."""

    topics: list[CreatableTopic] = ...
    """Versions 0+."""
    timeout_ms: int = 60000
    """Versions 0+."""
    validate_only: bool = False
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopic(Struct):
    """A struct of CreateTopicsRequest."""

    name: str = ""
    """Versions 0+."""
    num_partitions: int = 0
    """Versions 0+."""
    replication_factor: int = 0
    """Versions 0+."""
    assignments: list[CreatableReplicaAssignment] = ...
    """Versions 0+."""
    configs: list[CreatableTopicConfig] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableReplicaAssignment(Struct):
    """A struct of CreateTopicsRequest."""

    partition_index: int = 0
    """Versions 0+."""
    broker_ids: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopicConfig(Struct):
    """A struct of CreateTopicsRequest."""

    name: str = ""
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTopicsResponse(Message):
    """API key 19, versions 0-7, flexible versions 5+."""

    throttle_time_ms: int = 0
    """Versions 2+."""
    topics: list[CreatableTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopicResult(Struct):
    """A struct of CreateTopicsResponse."""

    name: str = ""
    """Versions 0+."""
    topic_id: uuid.UUID = ...
    """Versions 7+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 1+; nullable in 0+."""
    topic_config_error_code: int = 0
    """Versions 5+; tagged (tag 0) in 5+."""
    num_partitions: int = -1
    """Versions 5+."""
    replication_factor: int = -1
    """Versions 5+."""
    configs: list[CreatableTopicConfigs] | None = ...
    """Versions 5+; nullable in 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableTopicConfigs(Struct):
    """A struct of CreateTopicsResponse."""

    name: str = ""
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 5+."""
    read_only: bool = False
    """Versions 0+."""
    config_source: int = -1
    """Versions 0+."""
    is_sensitive: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
