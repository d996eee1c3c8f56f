"""Partition assignors run by the group leader: range, roundrobin, cooperative-sticky.

Pure functions of the members' subscriptions and the partition counts, matching the Java assignors'
results (range and roundrobin exactly; cooperative-sticky in its guarantees: balanced within one
partition, owned partitions kept where possible, and a partition that changes owner is left out of
this generation so its old owner revokes it first -- KIP-429's two-step handover).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from strom.client.consumer_protocol import Assignment, Subscription
from strom.protocol.types import TP

Members = Mapping[str, Subscription]
Assignments = dict[str, list[TP]]


def _empty(members: Members) -> Assignments:
    return {m: [] for m in members}


def range_assign(members: Members, partitions: Mapping[str, int]) -> Assignments:
    """Per topic: partitions split in contiguous ranges over the members sorted by id."""
    out = _empty(members)
    for topic in sorted({t for s in members.values() for t in s.topics}):
        n = partitions.get(topic, 0)
        consumers = sorted(m for m, s in members.items() if topic in s.topics)
        if not consumers or n <= 0:
            continue
        per, extra = divmod(n, len(consumers))
        start = 0
        for i, m in enumerate(consumers):
            count = per + (1 if i < extra else 0)
            out[m].extend((topic, p) for p in range(start, start + count))
            start += count
    return out


def roundrobin_assign(members: Members, partitions: Mapping[str, int]) -> Assignments:
    """All partitions in (topic, partition) order dealt to the members in id order, skipping non-subscribers."""
    out = _empty(members)
    ordered = sorted(members)
    if not ordered:
        return out
    i = 0
    topics = sorted({t for s in members.values() for t in s.topics})
    for topic in topics:
        for p in range(partitions.get(topic, 0)):
            for _ in range(len(ordered)):
                m = ordered[i % len(ordered)]
                i += 1
                if topic in members[m].topics:
                    out[m].append((topic, p))
                    break
    return out


def sticky_assign(members: Members, partitions: Mapping[str, int], cooperative: bool = True) -> Assignments:
    """Balanced assignment that keeps each member's still-valid owned partitions where balance allows."""
    out = _empty(members)
    if not members:
        return out
    all_tps = sorted((t, p) for t in {t for s in members.values() for t in s.topics} for p in range(partitions.get(t, 0)))
    subscribers: dict[str, list[str]] = {}
    for m in sorted(members):
        for t in members[m].topics:
            subscribers.setdefault(t, []).append(m)
    owner: dict[TP, str] = {}
    valid = set(all_tps)
    # keep owned partitions (highest generation wins a partition claimed twice)
    for m in sorted(members, key=lambda x: -members[x].generation_id):
        for tp in members[m].owned_partitions:
            if tp in valid and tp not in owner and tp[0] in members[m].topics:
                owner[tp] = m
                out[m].append(tp)
    # quotas: members share the partitions they can take; shed the excess of the over-full ones
    total = len(all_tps)
    n = len(members)
    quota = {m: total // n + (1 if i < total % n else 0) for i, m in enumerate(sorted(members, key=lambda x: (-len(out[x]), x)))}
    for m in members:
        keep = sorted(out[m])[: quota[m]] if len(out[m]) > quota[m] else out[m]
        for tp in set(out[m]) - set(keep):
            owner.pop(tp)
        out[m] = list(keep)
    # hand the free partitions to the least loaded subscriber
    for tp in all_tps:
        if tp in owner:
            continue
        candidates = subscribers.get(tp[0], [])
        if not candidates:
            continue
        m = min(candidates, key=lambda x: (len(out[x]), x))
        out[m].append(tp)
        owner[tp] = m
    if cooperative:
        # a partition owned by another member this generation must be revoked before it is reassigned
        previous = {tp: m for m, s in members.items() for tp in s.owned_partitions}
        for m in out:
            out[m] = [tp for tp in out[m] if previous.get(tp, m) == m]
    for m in out:
        out[m].sort()
    return out


@runtime_checkable
class ConsumerPartitionAssignor(Protocol):
    """An assignor object given in `partition.assignment.strategy` (Java's ConsumerPartitionAssignor): it adds
    user data to this member's subscription, assigns when this member leads, and hears the assignment it got.
    Kafka Streams' assignor is one. An object may list the rebalance protocols it supports in
    `supported_protocols` ("EAGER", "COOPERATIVE"); without it, it is eager (every partition revoked before a rejoin)."""

    name: str

    def subscription_user_data(self, topics: list[str]) -> bytes | None: ...

    def assign(self, subscriptions: Mapping[str, Subscription], partitions: Mapping[str, int]) -> dict[str, Assignment]: ...

    def on_assignment(self, assignment: Assignment, generation: int) -> None: ...


ASSIGNORS = {
    "range": range_assign,
    "roundrobin": roundrobin_assign,
    "cooperative-sticky": sticky_assign,
}

COOPERATIVE = {"cooperative-sticky"}
