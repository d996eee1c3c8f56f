"""Consumer groups: state, members and their assignment, lag per partition, offset resets and deletion.

Lag is computed as kafka-consumer-groups and kafka-exporter do: log end offset minus the committed offset, per
partition the group has committed. Offsets are reset only while the group is empty, as Kafka's tool insists
(a live member would overwrite them with its next commit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from strom.client.admin import AsyncAdmin
from strom.client.admin_types import ConsumerGroupDescription
from strom.protocol.errors import ErrorCode, KafkaError, error_name
from strom.protocol.types import TP

EARLIEST, LATEST = -2, -1
ResetStrategy = Literal["earliest", "latest", "timestamp", "offset"]
RESETTABLE_STATES = ("Empty", "Dead")


@dataclass(frozen=True, slots=True)
class LagRow:
    topic: str
    partition: int
    committed: int
    end_offset: int
    lag: int
    client_id: str  # the member the partition is assigned to, "" when none


@dataclass(frozen=True, slots=True)
class MemberRow:
    member_id: str
    client_id: str
    host: str
    instance_id: str | None
    assignment: tuple[TP, ...]


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_id: str
    state: str
    protocol_type: str
    members: int
    lag: int | None
    coordinator: int


@dataclass(frozen=True, slots=True)
class GroupDetail:
    group_id: str
    state: str
    protocol_type: str
    assignor: str
    coordinator: int
    members: tuple[MemberRow, ...]
    lags: tuple[LagRow, ...]

    @property
    def total_lag(self) -> int:
        return sum(r.lag for r in self.lags)

    @property
    def resettable(self) -> bool:
        return self.state in RESETTABLE_STATES


async def lags(admin: AsyncAdmin, group_id: str) -> dict[TP, tuple[int, int]]:
    """(committed, log end offset) per partition the group has committed."""
    committed = await admin.fetch_committed(group_id)
    if not committed:
        return {}
    ends = await admin.list_offsets(sorted(committed), LATEST)
    return {tp: (off, ends[tp][1] if ends.get(tp, (1, -1, -1))[0] == 0 else -1) for tp, off in sorted(committed.items())}


async def list_groups(admin: AsyncAdmin) -> list[GroupRow]:
    listed = await admin.list_consumer_groups()
    ids = sorted(g.group_id for g in listed.valid)
    described = await admin.describe_consumer_groups(ids)
    lag_totals = await asyncio.gather(*(lags(admin, g) for g in ids), return_exceptions=True)
    rows = []
    for gid, lag in zip(ids, lag_totals, strict=True):
        d = described.get(gid)
        total = None if isinstance(lag, BaseException) else sum(max(e - c, 0) for c, e in lag.values() if e >= 0)
        if isinstance(d, ConsumerGroupDescription):
            coordinator = d.coordinator.id if d.coordinator is not None else -1
            protocol = next((g.protocol_type for g in listed.valid if g.group_id == gid), "") or ""
            rows.append(GroupRow(gid, d.state, protocol, len(d.members), total, coordinator))
        else:
            rows.append(GroupRow(gid, error_name(d.code()) if isinstance(d, KafkaError) else "?", "", 0, total, -1))
    return rows


async def describe_group(admin: AsyncAdmin, group_id: str) -> GroupDetail:
    d = (await admin.describe_consumer_groups([group_id]))[group_id]
    if isinstance(d, KafkaError):
        raise d
    members = tuple(
        MemberRow(
            m.member_id,
            m.client_id,
            m.host,
            m.group_instance_id,
            tuple(sorted((tp.topic, tp.partition) for tp in m.assignment.topic_partitions)),
        )
        for m in sorted(d.members, key=lambda m: m.member_id)
    )
    owner = {tp: m.client_id for m in members for tp in m.assignment}
    got = await lags(admin, group_id)
    rows = tuple(LagRow(t, p, c, e, max(e - c, 0) if e >= 0 else 0, owner.get((t, p), "")) for (t, p), (c, e) in got.items())
    coordinator = d.coordinator.id if d.coordinator is not None else -1
    return GroupDetail(
        group_id, d.state, "consumer" if not d.is_simple_consumer_group else "", d.partition_assignor, coordinator, members, rows
    )


async def reset_offsets(admin: AsyncAdmin, group_id: str, topic: str, strategy: ResetStrategy, value: int = 0) -> dict[TP, int]:
    """Commits the group's new positions on `topic` (every partition of it; "" = the topics it has committed).

    timestamp: the first offset at or after `value` ms (the end when none is that late); offset: `value`, kept
    within each partition's log start and end offsets, as kafka-consumer-groups --to-offset does.
    """
    d = (await admin.describe_consumer_groups([group_id]))[group_id]
    state = d.state if isinstance(d, ConsumerGroupDescription) else "Dead"
    if state not in RESETTABLE_STATES:
        raise KafkaError(
            ErrorCode.NON_EMPTY_GROUP,
            f"Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {state}.",
        )
    if topic:
        parts = await admin.partitions_of([topic])
        tps = [(topic, p) for p in parts[topic]]
    else:
        tps = sorted(await admin.fetch_committed(group_id))
    if not tps:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"group {group_id} has no committed offsets: choose a topic")
    start = {tp: o for tp, (_, o, _) in (await admin.list_offsets(tps, EARLIEST)).items()}
    end = {tp: o for tp, (_, o, _) in (await admin.list_offsets(tps, LATEST)).items()}
    if strategy == "earliest":
        target = start
    elif strategy == "latest":
        target = end
    elif strategy == "timestamp":
        at = await admin.list_offsets(tps, value)
        target = {tp: (o if e == 0 and o >= 0 else end[tp]) for tp, (e, o, _) in at.items()}
    elif strategy == "offset":
        target = {tp: min(max(value, start[tp]), end[tp]) for tp in tps}
    else:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"unknown reset strategy {strategy}")
    errors = await admin.commit_offsets(group_id, target)
    failed = {tp: code for tp, code in errors.items() if code}
    if failed:
        tp, code = next(iter(failed.items()))
        raise KafkaError(code, f"committing {tp[0]}-{tp[1]} failed: {error_name(code)}")
    return target


async def delete_group(admin: AsyncAdmin, group_id: str) -> None:
    code = (await admin.delete_groups([group_id])).get(group_id, 0)
    if code:
        raise KafkaError(code, f"deleting group {group_id}: {error_name(code)}")
