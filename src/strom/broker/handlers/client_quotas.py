"""DescribeClientQuotas (48) and AlterClientQuotas (49), KIP-546, as Kafka 2.8's ZooKeeper-mode broker answers.

Entities are made of "user" and "client-id" components (a null name is the default entity); quotas live in
the broker's EntityConfigStore, beside SCRAM credentials, which these APIs neither show nor change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from strom.broker.authorizer import authorize_cluster
from strom.broker.entity_configs import DEFAULT_ENTITY, ConfigEntity
from strom.broker.handlers import handles
from strom.broker.quota_manager import CONSUMER_BYTE_RATE, CONTROLLER_MUTATION_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.java_text import java_double
from strom.protocol.schema import alter_client_quotas as alter_schema
from strom.protocol.schema import describe_client_quotas as describe_schema
from strom.protocol.schema.alter_client_quotas import (
    AlterClientQuotasRequest,
    AlterClientQuotasResponse,
    AlterClientQuotasResponseEntityData,
    AlterClientQuotasResponseEntryData,
)
from strom.protocol.schema.alter_client_quotas import EntryData as AlterEntry
from strom.protocol.schema.describe_client_quotas import (
    ComponentData,
    DescribeClientQuotasRequest,
    DescribeClientQuotasResponse,
    EntityData,
    EntryData,
    ValueData,
)
from strom.security.acl import AclOperation

log = logging.getLogger("kafka.server.ZkAdminManager")

USER, CLIENT_ID, IP = "user", "client-id", "ip"
MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED = 0, 1, 2

QUOTA_KEY_TYPES: dict[str, type] = {
    PRODUCER_BYTE_RATE: int,
    CONSUMER_BYTE_RATE: int,
    REQUEST_PERCENTAGE: float,
    CONTROLLER_MUTATION_RATE: float,
}
"""Kafka's quota configs and their types (LONG, or DOUBLE)."""


# ---- DescribeClientQuotas -------------------------------------------------------------------------------


_ANY = object()  # a component that matches any specified name (MATCH_SPECIFIED)


@dataclass(frozen=True, slots=True)
class QuotaFilter:
    """user / client_id: None (no component), _ANY, or a name (DEFAULT_ENTITY for the default)."""

    user: object
    client_id: object
    strict: bool


def parse_filter(components: list[ComponentData], strict: bool) -> QuotaFilter:
    found: dict[str, object] = {}
    for component in components:
        entity_type = component.entity_type
        if entity_type == "":
            raise KafkaError(ErrorCode.INVALID_REQUEST, "Unexpected empty filter component entity type")
        if entity_type not in (USER, CLIENT_ID):
            raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"Custom entity type '{entity_type}' not supported")
        if entity_type in found:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Duplicate {entity_type} filter component entity type")
        if component.match_type == MATCH_EXACT:
            if component.match is None:
                raise KafkaError(ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_EXACT, but set match string to null")
            found[entity_type] = component.match
        elif component.match_type == MATCH_DEFAULT:
            found[entity_type] = DEFAULT_ENTITY
        elif component.match_type == MATCH_SPECIFIED:
            found[entity_type] = _ANY
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unexpected match type: {component.match_type}")
    return QuotaFilter(found.get(USER), found.get(CLIENT_ID), strict)


def _part_matches(wanted: object, name: str | None, strict: bool) -> bool:
    if wanted is None:
        return name is None or not strict
    if wanted is _ANY:
        return name is not None
    return name == wanted


def matches(quota_filter: QuotaFilter, entity: ConfigEntity) -> bool:
    return _part_matches(quota_filter.user, entity.user, quota_filter.strict) and _part_matches(
        quota_filter.client_id, entity.client_id, quota_filter.strict
    )


def quota_values(configs: dict[str, str]) -> list[ValueData]:
    out = []
    for key in sorted(configs):
        if key in QUOTA_KEY_TYPES:
            try:
                out.append(ValueData(key=key, value=float(configs[key])))
            except ValueError:
                log.warning("Ignoring quota %s=%r: not a number", key, configs[key])
    return out


def _described_entity(entity: ConfigEntity) -> list[EntityData]:
    parts = []
    if entity.user is not None:
        parts.append(EntityData(entity_type=USER, entity_name=None if entity.user == DEFAULT_ENTITY else entity.user))
    if entity.client_id is not None:
        parts.append(EntityData(entity_type=CLIENT_ID, entity_name=None if entity.client_id == DEFAULT_ENTITY else entity.client_id))
    return parts


@handles(describe_schema.API_KEY)
async def handle_describe_client_quotas(ctx: RequestContext, request: DescribeClientQuotasRequest) -> DescribeClientQuotasResponse:
    if not authorize_cluster(ctx, AclOperation.DESCRIBE_CONFIGS):
        return DescribeClientQuotasResponse(
            error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message="Cluster authorization failed.", entries=None
        )
    try:
        quota_filter = parse_filter(request.components, request.strict)
    except KafkaError as exc:
        return DescribeClientQuotasResponse(error_code=exc.code(), error_message=exc.message, entries=None)
    store = ctx.broker.entity_configs
    entries = []
    for entity in store.entities():
        values = quota_values(store.get(entity))
        if values and matches(quota_filter, entity):
            entries.append(EntryData(entity=_described_entity(entity), values=values))
    return DescribeClientQuotasResponse(error_code=0, entries=entries)


# ---- AlterClientQuotas ----------------------------------------------------------------------------------


def parse_entity(entry: AlterEntry) -> ConfigEntity:
    parts: dict[str, str] = {}
    for component in entry.entity:
        if component.entity_type not in (USER, CLIENT_ID, IP):
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unhandled client quota entity type: {component.entity_type}")
        if component.entity_type in parts:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Duplicate {component.entity_type} component entity type")
        name = component.entity_name
        if name == "":
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Empty {component.entity_type} not supported")
        parts[component.entity_type] = DEFAULT_ENTITY if name is None else name
    if IP in parts:
        raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, "IP quotas (connection_creation_rate) are not supported by this broker")
    if not parts:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "Invalid empty client quota entity")
    return ConfigEntity(parts.get(USER), parts.get(CLIENT_ID))


def format_quota(key: str, value: float) -> str:
    """The stored string as Kafka writes it: a LONG quota must be a whole number; a DOUBLE is Java's toString."""
    kind = QUOTA_KEY_TYPES.get(key)
    if kind is None:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"Invalid configuration key {key}")
    if kind is int:
        whole = int(value + 1e-6)
        if abs(whole - value) > 1e-6:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Configuration {key} must be a LONG value")
        return str(whole)
    return java_double(value)


def alteration(entry: AlterEntry) -> tuple[ConfigEntity, dict[str, str], list[str]]:
    entity = parse_entity(entry)
    to_set: dict[str, str] = {}
    to_delete: list[str] = []
    for op in entry.ops:
        if op.remove:
            to_set.pop(op.key, None)
            to_delete.append(op.key)
        else:
            to_set[op.key] = format_quota(op.key, op.value)
    return entity, to_set, to_delete


def _response_entity(entry: AlterEntry) -> list[AlterClientQuotasResponseEntityData]:
    return [AlterClientQuotasResponseEntityData(entity_type=c.entity_type, entity_name=c.entity_name) for c in entry.entity]


@handles(alter_schema.API_KEY)
async def handle_alter_client_quotas(ctx: RequestContext, request: AlterClientQuotasRequest) -> AlterClientQuotasResponse:
    authorized = authorize_cluster(ctx, AclOperation.ALTER_CONFIGS)
    results = []
    for entry in request.entries:
        code: int = ErrorCode.NONE
        message: str | None = None
        try:
            if not authorized:
                raise KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.")
            entity, to_set, to_delete = alteration(entry)
            if not request.validate_only:
                await ctx.broker.entity_configs.alter(entity, to_set, to_delete)
        except KafkaError as exc:
            log.info("Error encountered while updating client quotas: %s", exc.message)
            code, message = exc.code(), exc.message
        results.append(AlterClientQuotasResponseEntryData(error_code=code, error_message=message, entity=_response_entity(entry)))
    return AlterClientQuotasResponse(entries=results)
