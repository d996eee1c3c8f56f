"""kafka-configs.sh --entity-type users|clients: client quotas (KIP-546) with Kafka's flags and lines.

    --alter --add-config 'producer_byte_rate=1048576,consumer_byte_rate=2097152' --entity-type users --entity-name alice
    --alter --add-config request_percentage=50 --entity-type clients --entity-default
    --alter --add-config producer_byte_rate=1024 --entity-type users --entity-name alice --entity-type clients --entity-name c1
    --alter --delete-config consumer_byte_rate --entity-type users --entity-name alice
    --describe --entity-type users [--entity-name alice | --entity-default] [--entity-type clients ...]

Each --entity-type pairs with the --entity-name / --entity-default in the same position. A users entity's
SCRAM keys go to the SCRAM part (cli/scram_configs.py), its quota keys here.
"""

from __future__ import annotations

from dataclasses import dataclass

from strom.cli.scram_configs import SCRAM_KEYS, alter_user_credentials, describe_user_credentials
from strom.client.admin import AsyncAdmin
from strom.client.quota_admin import (
    CLIENT_ID,
    USER,
    ClientQuotaAlteration,
    ClientQuotaFilterComponent,
    QuotaEntity,
    alter_client_quotas,
    describe_client_quotas,
)
from strom.protocol.java_text import java_double

QUOTA_KEYS = ("consumer_byte_rate", "controller_mutation_rate", "producer_byte_rate", "request_percentage")
WIRE_TYPES = {"users": USER, "clients": CLIENT_ID}
_ANY = object()  # a --entity-type without a name: every entity of that type (describe only)


@dataclass(frozen=True, slots=True)
class EntityArg:
    """One --entity-type with its name: a string, None for --entity-default, _ANY for none given."""

    entity_type: str
    name: object


def entity_args(types: list[str], names: list[str | None]) -> list[EntityArg]:
    if len(set(types)) != len(types):
        raise ValueError(f"--entity-type may be given once per type, got: {', '.join(types)}")
    if len(names) > len(types):
        raise ValueError("each --entity-name / --entity-default needs an --entity-type before it")
    return [EntityArg(t, names[i] if i < len(names) else _ANY) for i, t in enumerate(types)]


def _entity_text(entity: QuotaEntity) -> str:
    parts = []
    for wire_type, label in ((USER, "user-principal"), (CLIENT_ID, "client-id")):
        if wire_type in entity:
            name = entity[wire_type]
            parts.append(f"the default {label}" if name is None else f"{label} '{name}'")
    return ", ".join(parts)


async def describe(admin: AsyncAdmin, entities: list[EntityArg]) -> int:
    components = []
    for e in entities:
        wire_type = WIRE_TYPES[e.entity_type]
        if e.name is _ANY:
            components.append(ClientQuotaFilterComponent.of_entity_type(wire_type))
        elif e.name is None:
            components.append(ClientQuotaFilterComponent.of_default_entity(wire_type))
        else:
            components.append(ClientQuotaFilterComponent.of_entity(wire_type, str(e.name)))
    for entity, values in sorted(await describe_client_quotas(admin, components, strict=True), key=lambda r: _entity_text(r[0])):
        text = ", ".join(f"{k}={java_double(values[k])}" for k in sorted(values))
        print(f"Quota configs for {_entity_text(entity)} are {text}")
    if [e.entity_type for e in entities] == ["users"] and entities[0].name is not None:
        await describe_user_credentials(admin, None if entities[0].name is _ANY else str(entities[0].name))
    return 0


def _check_keys(entities: list[EntityArg], keys: list[str]) -> None:
    user_only = [e.entity_type for e in entities] == ["users"]
    allowed = (*QUOTA_KEYS, *SCRAM_KEYS) if user_only else QUOTA_KEYS
    unexpected = sorted(k for k in keys if k not in allowed)
    if unexpected:
        kinds = "quota and SCRAM credential configs" if user_only else "quota configs"
        type_text = "', '".join(e.entity_type for e in entities)
        raise ValueError(
            f"Only {kinds} can be added for '{type_text}' using --bootstrap-server. Unexpected config names: Set({', '.join(unexpected)})"
        )


def _quota_ops(to_add: dict[str, str], to_delete: list[str]) -> dict[str, float | None]:
    ops: dict[str, float | None] = {}
    for key, value in to_add.items():
        if key in QUOTA_KEYS:
            try:
                ops[key] = float(value)
            except ValueError:
                raise ValueError(f"Cannot parse quota configuration value for {key}: {value}") from None
    ops.update({key: None for key in to_delete if key in QUOTA_KEYS})
    return ops


async def alter(admin: AsyncAdmin, entities: list[EntityArg], to_add: dict[str, str], to_delete: list[str]) -> int:
    if any(e.name is _ANY for e in entities):
        raise ValueError("an entity name must be specified with --alter (--entity-name or --entity-default for each --entity-type)")
    _check_keys(entities, [*to_add, *to_delete])
    ops = _quota_ops(to_add, to_delete)
    if ops:
        entity = {WIRE_TYPES[e.entity_type]: None if e.name is None else str(e.name) for e in entities}
        error = (await alter_client_quotas(admin, [ClientQuotaAlteration(entity, ops)]))[0]
        if error is not None:
            raise error
    first = entities[0]
    if first.entity_type == "users" and len(entities) == 1 and first.name is not None:
        await alter_user_credentials(admin, str(first.name), to_add, to_delete)  # SCRAM credentials
    if first.name is None:
        print(f"Completed updating default config for {first.entity_type} in the cluster.")
    else:
        print(f"Completed updating config for {first.entity_type[:-1]} {first.name}.")
    return 0
