"""KIP-848 server-side assignors: `uniform` and `range` (group.consumer.assignors), pure and deterministic.

An assignor sees the members' subscriptions, the subscribed topics' partition counts and the previous
target assignment, and returns the next target. Both keep a member's partitions where the new quota
allows, so a member joining or leaving moves as few partitions as possible (what makes the incremental
protocol cheap: a partition that stays put is never revoked).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

TopicPartition = tuple[uuid.UUID, int]
Assignment = dict[uuid.UUID, frozenset[int]]


@dataclass(frozen=True, slots=True)
class AssignmentSpec:
    """Everything an assignor needs. Members are listed in a stable order (by member id)."""

    subscriptions: Mapping[str, frozenset[uuid.UUID]]  # member id -> subscribed topic ids that exist
    partitions: Mapping[uuid.UUID, int]  # topic id -> partition count
    previous: Mapping[str, Assignment]  # member id -> previous target


def _flatten(a: Assignment) -> set[TopicPartition]:
    return {(t, p) for t, parts in a.items() for p in parts}


def _group(tps: set[TopicPartition]) -> Assignment:
    out: dict[uuid.UUID, set[int]] = {}
    for t, p in tps:
        out.setdefault(t, set()).add(p)
    return {t: frozenset(ps) for t, ps in out.items()}


def uniform(spec: AssignmentSpec) -> dict[str, Assignment]:
    """Balanced and sticky: every member ends with floor or ceil of its fair share of the partitions it
    can take; partitions stay with their previous owner while that owner is under quota."""
    members = sorted(spec.subscriptions)
    if not members:
        return {}
    all_tps = sorted((t, p) for t, n in spec.partitions.items() for p in range(n) if any(t in spec.subscriptions[m] for m in members))
    eligible = {tp: [m for m in members if tp[0] in spec.subscriptions[m]] for tp in all_tps}
    quota = -(-len(all_tps) // len(members))  # ceil: nobody keeps more than this
    owned: dict[str, set[TopicPartition]] = {m: set() for m in members}
    unassigned: list[TopicPartition] = []
    for tp in all_tps:
        prev = next((m for m in members if tp[1] in spec.previous.get(m, {}).get(tp[0], ())), None)
        if prev is not None and tp[0] in spec.subscriptions[prev] and len(owned[prev]) < quota:
            owned[prev].add(tp)
        else:
            unassigned.append(tp)
    for tp in unassigned:
        target = min(eligible[tp], key=lambda m: (len(owned[m]), members.index(m)))
        owned[target].add(tp)
    _rebalance(owned, eligible, members)
    return {m: _group(tps) for m, tps in owned.items()}


def _rebalance(owned: dict[str, set[TopicPartition]], eligible: dict[TopicPartition, list[str]], members: list[str]) -> None:
    """Moves partitions from the fullest member to the emptiest one able to take them until no move
    narrows the spread (needed when subscriptions differ and the sticky pass left a skew)."""
    for _ in range(sum(len(s) for s in owned.values()) + 1):
        moved = False
        for donor in sorted(members, key=lambda m: -len(owned[m])):
            for tp in sorted(owned[donor]):
                takers = [m for m in eligible[tp] if len(owned[m]) + 1 < len(owned[donor])]
                if takers:
                    taker = min(takers, key=lambda m: (len(owned[m]), members.index(m)))
                    owned[donor].discard(tp)
                    owned[taker].add(tp)
                    moved = True
                    break
            if moved:
                break
        if not moved:
            return


def range_(spec: AssignmentSpec) -> dict[str, Assignment]:
    """Per topic, contiguous ranges over the subscribed members sorted by id: the first n % m members
    get one extra, as the classic range assignor; a member keeps partitions of its previous range that
    fit its new quota, so co-partitioned topics stay aligned for unchanged membership."""
    out: dict[str, set[TopicPartition]] = {m: set() for m in spec.subscriptions}
    for topic, count in sorted(spec.partitions.items()):
        subs = sorted(m for m, topics in spec.subscriptions.items() if topic in topics)
        if not subs:
            continue
        base, extra = divmod(count, len(subs))
        quotas = {m: base + (1 if i < extra else 0) for i, m in enumerate(subs)}
        free = set(range(count))
        for m in subs:
            kept = sorted(p for p in spec.previous.get(m, {}).get(topic, ()) if p in free)[: quotas[m]]
            out[m].update((topic, p) for p in kept)
            free.difference_update(kept)
        for m in subs:
            need = quotas[m] - sum(1 for t, _ in out[m] if t == topic)
            take = sorted(free)[:need]
            out[m].update((topic, p) for p in take)
            free.difference_update(take)
    return {m: _group(tps) for m, tps in out.items()}


ASSIGNORS = {"uniform": uniform, "range": range_}
