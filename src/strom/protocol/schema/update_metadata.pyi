"""Types of strom.protocol.schema.update_metadata, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 6
VERSIONS: Final = "0-8"
FLEXIBLE: Final = "6+"

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataRequest(Message):
    """API key 6, versions 0-8, flexible versions 6+."""

    controller_id: int = 0
    """Versions 0+."""
    is_kraft_controller: bool = False
    """Versions 8+."""
    type: int = 0
    """Versions 8+; tagged (tag 0) in 8+."""
    controller_epoch: int = 0
    """Versions 0+."""
    broker_epoch: int = -1
    """Versions 5+."""
    ungrouped_partition_states: list[UpdateMetadataPartitionState] = ...
    """Versions 0-4."""
    topic_states: list[UpdateMetadataTopicState] = ...
    """Versions 5+."""
    live_brokers: list[UpdateMetadataBroker] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataPartitionState(Struct):
    """A struct of UpdateMetadataRequest."""

    topic_name: str = ""
    """Versions 0-4."""
    partition_index: int = 0
    """Versions 0+."""
    controller_epoch: int = 0
    """Versions 0+."""
    leader: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    isr: list[int] = ...
    """Versions 0+."""
    zk_version: int = 0
    """Versions 0+."""
    replicas: list[int] = ...
    """Versions 0+."""
    offline_replicas: list[int] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataTopicState(Struct):
    """A struct of UpdateMetadataRequest."""

    topic_name: str = ""
    """Versions 5+."""
    topic_id: uuid.UUID = ...
    """Versions 7+."""
    partition_states: list[UpdateMetadataRequestUpdateMetadataPartitionState] = ...
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataRequestUpdateMetadataPartitionState(Struct):
    """A struct of UpdateMetadataRequest."""

    topic_name: str = ""
    """Versions 0-4."""
    partition_index: int = 0
    """Versions 0+."""
    controller_epoch: int = 0
    """Versions 0+."""
    leader: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    isr: list[int] = ...
    """Versions 0+."""
    zk_version: int = 0
    """Versions 0+."""
    replicas: list[int] = ...
    """Versions 0+."""
    offline_replicas: list[int] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataBroker(Struct):
    """A struct of UpdateMetadataRequest."""

    id: int = 0
    """Versions 0+."""
    v0_host: str = ""
    """Versions 0."""
    v0_port: int = 0
    """Versions 0."""
    endpoints: list[UpdateMetadataEndpoint] = ...
    """Versions 1+."""
    rack: str | None = None
    """Versions 2+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataEndpoint(Struct):
    """A struct of UpdateMetadataRequest."""

    port: int = 0
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    listener: str = ""
    """Versions 3+."""
    security_protocol: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataResponse(Message):
    """API key 6, versions 0-8, flexible versions 6+."""

    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
