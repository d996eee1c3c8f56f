"""Committed offsets and their records in `__consumer_offsets`, in Kafka's own key/value formats.

Keys: OffsetCommitKey v1 (group, topic, partition) and GroupMetadataKey v2 (group); values:
OffsetCommitValue v3 (offset, leader epoch, metadata, commit timestamp). A null value is a tombstone.
Group -> partition is abs(Java String.hashCode(group)) % offsets.topic.num.partitions, as Kafka does, so
Kafka's tools find a group's records in the same partition.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage

OFFSET_KEY_VERSION = 1
GROUP_KEY_VERSION = 2
OFFSET_VALUE_VERSION = 3
_I16 = struct.Struct(">h")


@dataclass(frozen=True, slots=True)
class CommittedOffset:
    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp: int


def java_string_hash(text: str) -> int:
    """Java's String.hashCode over UTF-16 code units, as a signed 32-bit int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(group_id: str, num_partitions: int) -> int:
    h = java_string_hash(group_id)
    return (h & 0x7FFFFFFF) % num_partitions  # Kafka's Utils.abs: maps MIN_VALUE to 0 via the mask


def offset_key(group: str, topic: str, partition: int) -> bytes:
    out = bytearray(_I16.pack(OFFSET_KEY_VERSION))
    p.write_string(out, group)
    p.write_string(out, topic)
    p.write_int32(out, partition)
    return bytes(out)


def group_key(group: str) -> bytes:
    out = bytearray(_I16.pack(GROUP_KEY_VERSION))
    p.write_string(out, group)
    return bytes(out)


def offset_value(c: CommittedOffset) -> bytes:
    out = bytearray(_I16.pack(OFFSET_VALUE_VERSION))
    p.write_int64(out, c.offset)
    p.write_int32(out, c.leader_epoch)
    p.write_string(out, c.metadata)
    p.write_int64(out, c.commit_timestamp)
    return bytes(out)


def parse_key(key: bytes) -> tuple[str, str | None, int | None]:
    """(group, topic, partition) for offset keys; (group, None, None) for group-metadata keys."""
    version, pos = p.read_int16(key, 0)
    group, pos = p.read_string(key, pos)
    if version in (0, 1):
        topic, pos = p.read_string(key, pos)
        partition, pos = p.read_int32(key, pos)
        return group, topic, partition
    if version == 2:
        return group, None, None
    raise CorruptMessage(f"unknown __consumer_offsets key version {version}")


def parse_offset_value(value: bytes) -> CommittedOffset:
    version, pos = p.read_int16(value, 0)
    offset, pos = p.read_int64(value, pos)
    leader_epoch = -1
    if version >= 3:
        leader_epoch, pos = p.read_int32(value, pos)
    metadata, pos = p.read_string(value, pos)
    commit_ts, pos = p.read_int64(value, pos)
    return CommittedOffset(offset, leader_epoch, metadata, commit_ts)


class OffsetStore:
    """group -> (topic, partition) -> CommittedOffset, the in-memory view of __consumer_offsets."""

    def __init__(self) -> None:
        self.offsets: dict[str, dict[tuple[str, int], CommittedOffset]] = {}

    def commit(self, group: str, topic: str, partition: int, committed: CommittedOffset) -> None:
        self.offsets.setdefault(group, {})[(topic, partition)] = committed

    def delete(self, group: str, topic: str, partition: int) -> None:
        g = self.offsets.get(group)
        if g is not None:
            g.pop((topic, partition), None)
            if not g:
                del self.offsets[group]

    def delete_group(self, group: str) -> list[tuple[str, int]]:
        return list(self.offsets.pop(group, {}).keys())

    def fetch(self, group: str, topic: str, partition: int) -> CommittedOffset | None:
        return self.offsets.get(group, {}).get((topic, partition))

    def for_group(self, group: str) -> dict[tuple[str, int], CommittedOffset]:
        return dict(self.offsets.get(group, {}))

    def has_group(self, group: str) -> bool:
        return bool(self.offsets.get(group))

    def expire(self, group: str, now_ms: int, retention_ms: int) -> list[tuple[str, int]]:
        """Offsets of an empty group older than retention (offsets.retention.minutes)."""
        g = self.offsets.get(group, {})
        gone = [tp for tp, c in g.items() if now_ms - c.commit_timestamp > retention_ms]
        for tp in gone:
            del g[tp]
        if not g:
            self.offsets.pop(group, None)
        return gone

    def apply_record(self, key: bytes | None, value: bytes | None) -> None:
        """Replays one __consumer_offsets record (start-up load)."""
        if key is None:
            return
        group, topic, partition = parse_key(key)
        if topic is None or partition is None:
            return
        if value is None:
            self.delete(group, topic, partition)
        else:
            self.commit(group, topic, partition, parse_offset_value(value))
