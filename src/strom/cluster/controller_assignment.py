"""Replica assignment for new topics and partitions, as Kafka's AdminUtils does it (pure).

Rack-unaware: round-robin from a start broker, followers shifted so replicas spread evenly. Rack-aware
(every broker has broker.rack): the broker list alternates racks and no two replicas of a partition share a
rack while another rack is still free -- so a rack failure leaves every partition a replica.
"""

from __future__ import annotations

import random

from strom.protocol.errors import ErrorCode, KafkaError


def assign_replicas(
    brokers: dict[int, str | None],
    num_partitions: int,
    replication_factor: int,
    start_partition: int = 0,
    fixed_start: int | None = None,
    rng: random.Random | None = None,
) -> dict[int, list[int]]:
    """brokers: live broker id -> rack (or None). Returns partition -> replicas (preferred leader first)."""
    if replication_factor <= 0:
        raise KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.")
    if num_partitions <= 0:
        raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
    if replication_factor > len(brokers):
        raise KafkaError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            f"Replication factor: {replication_factor} larger than available brokers: {len(brokers)}.",
        )
    rng = rng or random.Random()
    racks = set(brokers.values())
    if None not in racks and len(racks) > 1:
        ordered = _rack_alternated(brokers)
    else:
        ordered = sorted(brokers)
    n = len(ordered)
    start = fixed_start if fixed_start is not None else rng.randrange(n)
    shift = fixed_start if fixed_start is not None else rng.randrange(n)
    out: dict[int, list[int]] = {}
    current = start_partition
    for _ in range(num_partitions):
        if current > 0 and current % n == 0:
            shift += 1
        first = (current + start) % n
        replicas = [ordered[first]]
        used_racks = {brokers[ordered[first]]}
        for j in range(replication_factor - 1):
            candidate = ordered[_replica_index(first, shift, j, n)]
            if None not in racks and len(used_racks) < len(racks) and brokers[candidate] in used_racks:
                # rack-aware: take the next broker on a rack not used yet by this partition
                for k in range(1, n):
                    alt = ordered[(_replica_index(first, shift, j, n) + k) % n]
                    if alt not in replicas and brokers[alt] not in used_racks:
                        candidate = alt
                        break
            if candidate in replicas:
                candidate = next(b for b in ordered if b not in replicas)
            replicas.append(candidate)
            used_racks.add(brokers[candidate])
        out[current] = replicas
        current += 1
    return out


def _replica_index(first: int, second_shift: int, index: int, n: int) -> int:
    if n == 1:
        return first
    shift = 1 + (second_shift + index) % (n - 1)
    return (first + shift) % n


def _rack_alternated(brokers: dict[int, str | None]) -> list[int]:
    """[b1 of rack a, b1 of rack b, b2 of rack a, ...] as Kafka's getRackAlternatedBrokerList."""
    by_rack: dict[str, list[int]] = {}
    for b in sorted(brokers):
        by_rack.setdefault(str(brokers[b]), []).append(b)
    out: list[int] = []
    names = sorted(by_rack)
    while len(out) < len(brokers):
        for rack in names:
            if by_rack[rack]:
                out.append(by_rack[rack].pop(0))
    return out


def validate_assignment(assignment: dict[int, list[int]], live: set[int], start: int = 0) -> None:
    """A manual assignment (kafka-topics --replica-assignment): numbered without gaps, known brokers, no duplicates."""
    parts = sorted(assignment)
    if parts != list(range(start, start + len(parts))):
        raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "partitions must be numbered from 0 without gaps")
    sizes = {len(r) for r in assignment.values()}
    if len(sizes) > 1:
        raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "All partitions should have the same number of replicas")
    for replicas in assignment.values():
        if not replicas or len(set(replicas)) != len(replicas):
            raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Duplicate brokers not allowed in replica assignment: {replicas}.")
        unknown = [r for r in replicas if r not in live]
        if unknown:
            raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Unknown broker(s) in replica assignment: {unknown}.")
