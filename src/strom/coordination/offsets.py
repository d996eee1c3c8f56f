"""Committed offsets and the records of `__consumer_offsets`, in Kafka's own key/value formats.

Keys: OffsetCommitKey v1 (group, topic, partition) and GroupMetadataKey v2 (group); key versions 3-8 hold
KIP-848 consumer groups (consumer_group_records.py). Values:
OffsetCommitValue v3 (offset, leader epoch, metadata, commit timestamp) and GroupMetadataValue v3
(protocol type, generation, protocol, leader, state timestamp, members). A null value is a tombstone,
so compaction forgets deleted offsets and groups. Group -> partition is abs(Java String.hashCode(group))
% offsets.topic.num.partitions, as Kafka does, so Kafka's tools find a group's records where they look.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from strom.coordination.consumer_group_records import ConsumerGroupRecordStore, is_consumer_group_key
from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage
from strom.protocol.types import TP

OFFSET_KEY_VERSION = 1
GROUP_KEY_VERSION = 2
OFFSET_VALUE_VERSION = 3
GROUP_VALUE_VERSION = 3


@dataclass(frozen=True, slots=True)
class CommittedOffset:
    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp: int
    expire_timestamp: int = -1  # only OffsetCommit v2-v4 with a retention time set it


@dataclass(frozen=True, slots=True)
class StoredMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True, slots=True)
class StoredGroup:
    """A GroupMetadataValue: what a coordinator needs to resume a group after a restart."""

    protocol_type: str
    generation_id: int
    protocol_name: str | None
    leader_id: str | None
    state_timestamp_ms: int
    members: tuple[StoredMember, ...]


# ---- partitioning ---------------------------------------------------------------------------------------


def java_string_hash(text: str) -> int:
    """Java's String.hashCode over UTF-16 code units, as a signed 32-bit int."""
    h = 0
    data = text.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(group_id: str, num_partitions: int) -> int:
    """Kafka's Utils.abs(hash) % n: abs masks the sign bit, so Integer.MIN_VALUE maps to 0, not to itself."""
    return (java_string_hash(group_id) & 0x7FFFFFFF) % num_partitions


# ---- keys -----------------------------------------------------------------------------------------------


def offset_key(group: str, topic: str, partition: int) -> bytes:
    out = bytearray()
    p.write_int16(out, OFFSET_KEY_VERSION)
    p.write_string(out, group)
    p.write_string(out, topic)
    p.write_int32(out, partition)
    return bytes(out)


def group_key(group: str) -> bytes:
    out = bytearray()
    p.write_int16(out, GROUP_KEY_VERSION)
    p.write_string(out, group)
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


# ---- values ---------------------------------------------------------------------------------------------


def offset_value(c: CommittedOffset) -> bytes:
    """v3 unless an explicit expiry must be kept, which only v1 can carry (as Kafka does)."""
    out = bytearray()
    if c.expire_timestamp >= 0:
        p.write_int16(out, 1)
        p.write_int64(out, c.offset)
        p.write_string(out, c.metadata)
        p.write_int64(out, c.commit_timestamp)
        p.write_int64(out, c.expire_timestamp)
        return bytes(out)
    p.write_int16(out, OFFSET_VALUE_VERSION)
    p.write_int64(out, c.offset)
    p.write_int32(out, c.leader_epoch)
    p.write_string(out, c.metadata)
    p.write_int64(out, c.commit_timestamp)
    return bytes(out)


def parse_offset_value(value: bytes) -> CommittedOffset:
    """Any OffsetCommitValue version 0-4 (v4 is v3 plus tagged fields, which we skip)."""
    version, pos = p.read_int16(value, 0)
    if not 0 <= version <= 4:
        raise CorruptMessage(f"unknown OffsetCommitValue version {version}")
    offset, pos = p.read_int64(value, pos)
    leader_epoch = -1
    if version >= 3:
        leader_epoch, pos = p.read_int32(value, pos)
    if version >= 4:
        metadata, pos = p.read_compact_string(value, pos)
    else:
        metadata, pos = p.read_string(value, pos)
    commit_ts, pos = p.read_int64(value, pos)
    expire_ts = -1
    if version == 1:
        expire_ts, pos = p.read_int64(value, pos)
    return CommittedOffset(offset, leader_epoch, metadata, commit_ts, expire_ts)


def group_value(g: StoredGroup) -> bytes:
    out = bytearray()
    p.write_int16(out, GROUP_VALUE_VERSION)
    p.write_string(out, g.protocol_type)
    p.write_int32(out, g.generation_id)
    p.write_nullable_string(out, g.protocol_name)
    p.write_nullable_string(out, g.leader_id)
    p.write_int64(out, g.state_timestamp_ms)
    p.write_int32(out, len(g.members))
    for m in g.members:
        p.write_string(out, m.member_id)
        p.write_nullable_string(out, m.group_instance_id)
        p.write_string(out, m.client_id)
        p.write_string(out, m.client_host)
        p.write_int32(out, m.rebalance_timeout_ms)
        p.write_int32(out, m.session_timeout_ms)
        p.write_bytes(out, m.subscription)
        p.write_bytes(out, m.assignment)
    return bytes(out)


def parse_group_value(value: bytes) -> StoredGroup:
    """GroupMetadataValue versions 0-3 (v4, the flexible one, is not written by Kafka 3.x brokers)."""
    version, pos = p.read_int16(value, 0)
    if not 0 <= version <= 3:
        raise CorruptMessage(f"unknown GroupMetadataValue version {version}")
    protocol_type, pos = p.read_string(value, pos)
    generation, pos = p.read_int32(value, pos)
    protocol, pos = p.read_nullable_string(value, pos)
    leader, pos = p.read_nullable_string(value, pos)
    state_ts = -1
    if version >= 2:
        state_ts, pos = p.read_int64(value, pos)
    count, pos = p.read_array_length(value, pos)
    members = []
    for _ in range(max(count, 0)):
        member_id, pos = p.read_string(value, pos)
        instance_id = None
        if version >= 3:
            instance_id, pos = p.read_nullable_string(value, pos)
        client_id, pos = p.read_string(value, pos)
        client_host, pos = p.read_string(value, pos)
        rebalance_timeout = None
        if version >= 1:
            rebalance_timeout, pos = p.read_int32(value, pos)
        session_timeout, pos = p.read_int32(value, pos)
        subscription, pos = p.read_bytes(value, pos)
        assignment, pos = p.read_bytes(value, pos)
        if rebalance_timeout is None:  # v0 had one timeout for both
            rebalance_timeout = session_timeout
        members.append(StoredMember(member_id, instance_id, client_id, client_host, rebalance_timeout, session_timeout,
                                    bytes(subscription), bytes(assignment)))  # fmt: skip
    return StoredGroup(protocol_type, generation, protocol, leader, state_ts, tuple(members))


# ---- the in-memory view ---------------------------------------------------------------------------------


class OffsetStore:
    """group -> (topic, partition) -> CommittedOffset: the materialised view of __consumer_offsets."""

    def __init__(self) -> None:
        self.offsets: dict[str, dict[TP, CommittedOffset]] = {}
        self.stored_groups: dict[str, StoredGroup] = {}  # filled by start-up replay
        self.consumer_groups = ConsumerGroupRecordStore()  # KIP-848 groups' records (key versions 3-8)

    def commit(self, group: str, topic: str, partition: int, committed: CommittedOffset) -> None:
        self.offsets.setdefault(group, {})[(topic, partition)] = committed

    def delete(self, group: str, topic: str, partition: int) -> None:
        g = self.offsets.get(group)
        if g is not None:
            g.pop((topic, partition), None)
            if not g:
                del self.offsets[group]

    def delete_group(self, group: str) -> list[TP]:
        self.stored_groups.pop(group, None)
        return sorted(self.offsets.pop(group, {}))

    def fetch(self, group: str, topic: str, partition: int) -> CommittedOffset | None:
        return self.offsets.get(group, {}).get((topic, partition))

    def for_group(self, group: str) -> dict[TP, CommittedOffset]:
        return dict(self.offsets.get(group, {}))

    def has_group(self, group: str) -> bool:
        return bool(self.offsets.get(group))

    def expire(self, group: str, now_ms: int, retention_ms: int, empty_since_ms: int | None, keep_topics: Collection[str] = ()) -> list[TP]:
        """Offsets past offsets.retention.minutes, except those of `keep_topics`. KIP-211: for a classic
        group the clock starts when the group became empty; otherwise at each commit. An explicit expiry
        timestamp from an old OffsetCommit wins."""
        g = self.offsets.get(group, {})
        gone = []
        for tp, c in g.items():
            if tp[0] in keep_topics:
                continue
            if c.expire_timestamp >= 0:
                expired = now_ms >= c.expire_timestamp
            else:
                base = empty_since_ms if empty_since_ms is not None and empty_since_ms >= 0 else c.commit_timestamp
                expired = now_ms >= base + retention_ms
            if expired:
                gone.append(tp)
        for tp in gone:
            del g[tp]
        if not g:
            self.offsets.pop(group, None)
        return sorted(gone)

    def apply_record(self, key: bytes | None, value: bytes | None) -> None:
        """Replays one __consumer_offsets record (start-up load); later records win, as compaction keeps."""
        if key is None:
            return
        if is_consumer_group_key(key):
            self.consumer_groups.apply(key, value)
            return
        group, topic, partition = parse_key(key)
        if topic is None or partition is None:
            if value is None:
                self.stored_groups.pop(group, None)
            else:
                self.stored_groups[group] = parse_group_value(value)
        elif value is None:
            self.delete(group, topic, partition)
        else:
            self.commit(group, topic, partition, parse_offset_value(value))
