"""Client quota administration (KIP-546): DescribeClientQuotas and AlterClientQuotas, as the Java Admin's
describeClientQuotas / alterClientQuotas (confluent-kafka has no counterpart). What kafka-configs.sh
--entity-type users|clients needs.

An entity is a dict of entity type ("user", "client-id") to a name, None naming the default entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from strom.protocol.errors import KafkaError
from strom.protocol.schema import alter_client_quotas as alter_schema
from strom.protocol.schema import describe_client_quotas as describe_schema
from strom.transport.connection import BrokerConnection

USER, CLIENT_ID = "user", "client-id"
MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED = 0, 1, 2

QuotaEntity = dict[str, str | None]


class _Admin(Protocol):
    @property
    def cluster(self) -> _AnyConnection: ...


class _AnyConnection(Protocol):
    async def any_connection(self) -> BrokerConnection: ...


@dataclass(frozen=True, slots=True)
class ClientQuotaFilterComponent:
    """One entity type to match: `match` a name (match_type exact), the default, or any name (specified)."""

    entity_type: str
    match_type: int = MATCH_SPECIFIED
    match: str | None = None

    @classmethod
    def of_entity(cls, entity_type: str, name: str) -> ClientQuotaFilterComponent:
        return cls(entity_type, MATCH_EXACT, name)

    @classmethod
    def of_default_entity(cls, entity_type: str) -> ClientQuotaFilterComponent:
        return cls(entity_type, MATCH_DEFAULT)

    @classmethod
    def of_entity_type(cls, entity_type: str) -> ClientQuotaFilterComponent:
        return cls(entity_type, MATCH_SPECIFIED)


@dataclass(frozen=True, slots=True)
class ClientQuotaAlteration:
    """Quota changes of one entity: ops maps a key to its new value, or None to remove it."""

    entity: QuotaEntity
    ops: dict[str, float | None] = field(default_factory=dict)


async def describe_client_quotas(
    admin: _Admin, components: list[ClientQuotaFilterComponent], strict: bool = False
) -> list[tuple[QuotaEntity, dict[str, float]]]:
    """The entities matching the filter with their quotas; raises the broker's KafkaError."""
    conn = await admin.cluster.any_connection()
    wire = [describe_schema.ComponentData(entity_type=c.entity_type, match_type=c.match_type, match=c.match) for c in components]
    resp = await conn.send(describe_schema.DescribeClientQuotasRequest(components=wire, strict=strict))
    if resp.error_code:
        raise KafkaError(resp.error_code, resp.error_message)
    return [({e.entity_type: e.entity_name for e in entry.entity}, {v.key: v.value for v in entry.values}) for entry in resp.entries or []]


async def alter_client_quotas(
    admin: _Admin, alterations: list[ClientQuotaAlteration], validate_only: bool = False
) -> list[KafkaError | None]:
    """One result per alteration, in order: None when it was applied (or would be, with validate_only)."""
    conn = await admin.cluster.any_connection()
    entries = [
        alter_schema.EntryData(
            entity=[alter_schema.EntityData(entity_type=t, entity_name=n) for t, n in a.entity.items()],
            ops=[alter_schema.OpData(key=k, value=0.0 if v is None else v, remove=v is None) for k, v in a.ops.items()],
        )
        for a in alterations
    ]
    resp = await conn.send(alter_schema.AlterClientQuotasRequest(entries=entries, validate_only=validate_only))
    return [KafkaError(e.error_code, e.error_message) if e.error_code else None for e in resp.entries]
