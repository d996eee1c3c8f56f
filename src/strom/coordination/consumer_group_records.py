"""KIP-848 consumer groups in `__consumer_offsets`, in the record formats of Kafka 3.9's group coordinator.

A consumer group is stored as six kinds of records, keyed by an int16 key version and the group id (and
member id); each value is the int16 value version 0 and a flexible message:

| key | record                                  | holds                                          |
|-----|-----------------------------------------|------------------------------------------------|
| 3   | ConsumerGroupMetadata (group)           | the group epoch                                |
| 4   | ConsumerGroupPartitionMetadata (group)  | subscribed topics: id, name, partition count    |
| 5   | ConsumerGroupMemberMetadata (member)    | a member's subscription and client identity    |
| 6   | ConsumerGroupTargetAssignmentMetadata   | the assignment epoch                           |
| 7   | ConsumerGroupTargetAssignmentMember     | a member's target partitions                   |
| 8   | ConsumerGroupCurrentMemberAssignment    | a member's epochs, state, owned and revoking   |

A null value is a tombstone. `ConsumerGroupRecordStore` keeps what is stored for each group as key -> value
bytes: replaying the topic fills it, `changes()` diffs a group's live state against it and returns only the
records that differ (tombstones for members and groups that are gone), and `build()` turns the stored
records back into a `ConsumerGroup`. Writing differences rather than Kafka's per-event records yields the
same compacted state, and a heartbeat that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strom.coordination.assignors import Assignment
from strom.coordination.consumer_group import (
    MEMBER_STABLE,
    UNRELEASED_PARTITIONS,
    UNREVOKED_PARTITIONS,
    ConsumerGroup,
    ConsumerMember,
)
from strom.protocol import primitives as p
from strom.protocol.compiler import F, Versions, build_struct
from strom.protocol.errors import CorruptMessage

GROUP_METADATA, PARTITION_METADATA, MEMBER_METADATA, TARGET_METADATA, TARGET_MEMBER, CURRENT_MEMBER = 3, 4, 5, 6, 7, 8
CONSUMER_GROUP_KEY_VERSIONS = range(GROUP_METADATA, CURRENT_MEMBER + 1)
_MEMBER_KEYS = (MEMBER_METADATA, TARGET_MEMBER, CURRENT_MEMBER)
VALUE_VERSION = 0
_FLEXIBLE = Versions.parse("0+")

Record = tuple[bytes, bytes | None]

# MemberState in Kafka's coordinator (modern/MemberState): the byte stored in the current assignment
_STATE_CODES = {MEMBER_STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2}
_STATES = {code: state for state, code in _STATE_CODES.items()}

_TOPIC_PARTITIONS = [F("topic_id", "uuid"), F("partitions", "[]int32")]

GroupMetadataValue: Any = build_struct("ConsumerGroupMetadataValue", [F("epoch", "int32")], _FLEXIBLE)
PartitionMetadataValue: Any = build_struct(
    "ConsumerGroupPartitionMetadataValue",
    [
        F(
            "topics",
            "[]TopicMetadata",
            fields=[
                F("topic_id", "uuid"),
                F("topic_name", "string"),
                F("num_partitions", "int32"),
                F("partition_metadata", "[]PartitionMetadata", fields=[F("partition", "int32"), F("racks", "[]string")]),
            ],
        )
    ],
    _FLEXIBLE,
)
MemberMetadataValue: Any = build_struct(
    "ConsumerGroupMemberMetadataValue",
    [
        F("instance_id", "string", nullable="0+"),
        F("rack_id", "string", nullable="0+"),
        F("client_id", "string"),
        F("client_host", "string"),
        F("subscribed_topic_names", "[]string"),
        F("subscribed_topic_regex", "string", nullable="0+"),
        F("rebalance_timeout_ms", "int32", default="-1"),
        F("server_assignor", "string", nullable="0+"),
        # tag 0, ClassicMemberMetadata: Kafka 3.9 sets it for classic-protocol members of a consumer group
        # (online migration, not supported here) and writes it as null otherwise; it stays in the unknown
        # tagged fields, where the compiler keeps it as raw bytes
    ],
    _FLEXIBLE,
)
TargetMetadataValue: Any = build_struct("ConsumerGroupTargetAssignmentMetadataValue", [F("assignment_epoch", "int32")], _FLEXIBLE)
TargetMemberValue: Any = build_struct(
    "ConsumerGroupTargetAssignmentMemberValue", [F("topic_partitions", "[]TopicPartition", fields=_TOPIC_PARTITIONS)], _FLEXIBLE
)
CurrentMemberValue: Any = build_struct(
    "ConsumerGroupCurrentMemberAssignmentValue",
    [
        F("member_epoch", "int32"),
        F("previous_member_epoch", "int32"),
        F("state", "int8"),
        F("assigned_partitions", "[]TopicPartitions", fields=_TOPIC_PARTITIONS),
        F("partitions_pending_revocation", "[]TopicPartitions", fields=_TOPIC_PARTITIONS),
    ],
    _FLEXIBLE,
)
VALUE_TYPES: dict[int, Any] = {
    GROUP_METADATA: GroupMetadataValue,
    PARTITION_METADATA: PartitionMetadataValue,
    MEMBER_METADATA: MemberMetadataValue,
    TARGET_METADATA: TargetMetadataValue,
    TARGET_MEMBER: TargetMemberValue,
    CURRENT_MEMBER: CurrentMemberValue,
}
_TOPIC_PARTITION_TYPES = {
    TARGET_MEMBER: TargetMemberValue._children["topic_partitions"],
    CURRENT_MEMBER: CurrentMemberValue._children["assigned_partitions"],
}
_TOPIC_METADATA = PartitionMetadataValue._children["topics"]

# Kafka's order within one write: subscriptions, then the epoch they caused, then the target, then the
# members' progress toward it; removals go the other way round (a member's assignment before the member).
_UPSERT_ORDER = {MEMBER_METADATA: 0, PARTITION_METADATA: 1, GROUP_METADATA: 2, TARGET_MEMBER: 3, TARGET_METADATA: 4, CURRENT_MEMBER: 5}
_TOMBSTONE_ORDER = {CURRENT_MEMBER: 0, TARGET_MEMBER: 1, MEMBER_METADATA: 2, TARGET_METADATA: 3, PARTITION_METADATA: 4, GROUP_METADATA: 5}


# ---- keys and values ------------------------------------------------------------------------------------


def record_key(version: int, group_id: str, member_id: str | None = None) -> bytes:
    """ConsumerGroup*Key: the version, the group id, and for member records the member id (classic strings)."""
    out = bytearray()
    p.write_int16(out, version)
    p.write_string(out, group_id)
    if version in _MEMBER_KEYS:
        p.write_string(out, member_id or "")
    return bytes(out)


def parse_record_key(key: bytes) -> tuple[int, str, str | None]:
    version, pos = p.read_int16(key, 0)
    if version not in CONSUMER_GROUP_KEY_VERSIONS:
        raise CorruptMessage(f"not a consumer group record key: version {version}")
    group_id, pos = p.read_string(key, pos)
    member_id = None
    if version in _MEMBER_KEYS:
        member_id, pos = p.read_string(key, pos)
    return version, group_id, member_id


def encode_value(message: Any) -> bytes:
    out = bytearray()
    p.write_int16(out, VALUE_VERSION)
    message.encode_into(out, VALUE_VERSION)
    return bytes(out)


def decode_value(key_version: int, value: bytes) -> Any:
    """Version 0 values; later versions of Kafka add tagged fields only, which the decoder skips."""
    version, pos = p.read_int16(value, 0)
    if version < 0:
        raise CorruptMessage(f"bad value version {version} for consumer group record key version {key_version}")
    message, _ = VALUE_TYPES[key_version].decode(value, VALUE_VERSION, pos)
    return message


def _topic_partitions(kind: int, a: Assignment) -> list[Any]:
    cls = _TOPIC_PARTITION_TYPES[kind]
    return [cls(topic_id=tid, partitions=sorted(parts)) for tid, parts in sorted(a.items(), key=lambda kv: kv[0].bytes) if parts]


def _assignment(items: Iterable[Any]) -> Assignment:
    return {tp.topic_id: frozenset(tp.partitions) for tp in items if tp.partitions}


# ---- a group's records ----------------------------------------------------------------------------------


# what Kafka 3.9 writes in tag 0 of ConsumerGroupMemberMetadataValue for a consumer-protocol member: the
# field's default is an empty struct, so null is written out (a nullable tagged struct: varint 0 for null)
_NO_CLASSIC_MEMBER_METADATA = {0: b"\x00"}


def member_records(g: ConsumerGroup, m: ConsumerMember) -> dict[bytes, bytes]:
    """Subscription (5), target (7) and current assignment (8) of one member."""
    gid, mid = g.group_id, m.member_id
    names = list(m.subscribed_topic_names)
    out = {
        record_key(MEMBER_METADATA, gid, mid): encode_value(
            MemberMetadataValue(
                instance_id=m.instance_id,
                rack_id=m.rack_id,
                client_id=m.client_id,
                client_host=m.client_host,
                subscribed_topic_names=names,
                subscribed_topic_regex=m.subscribed_topic_regex,
                rebalance_timeout_ms=m.rebalance_timeout_ms,
                server_assignor=m.server_assignor,
                unknown_tagged_fields=_NO_CLASSIC_MEMBER_METADATA,
            )
        )
    }
    target = g.target.get(mid)
    if target is not None:
        out[record_key(TARGET_MEMBER, gid, mid)] = encode_value(
            TargetMemberValue(topic_partitions=_topic_partitions(TARGET_MEMBER, target))
        )
    out[record_key(CURRENT_MEMBER, gid, mid)] = encode_value(
        CurrentMemberValue(
            member_epoch=m.member_epoch,
            previous_member_epoch=m.previous_member_epoch,
            state=_STATE_CODES[m.state],
            assigned_partitions=_topic_partitions(CURRENT_MEMBER, m.assigned),
            partitions_pending_revocation=_topic_partitions(CURRENT_MEMBER, m.pending_revocation),
        )
    )
    return out


def group_records(g: ConsumerGroup) -> dict[bytes, bytes]:
    """Every record of a group: what compaction keeps for it."""
    gid = g.group_id
    topics = [
        _TOPIC_METADATA(topic_id=tid, topic_name=name, num_partitions=count, partition_metadata=[])
        for name, (tid, count) in sorted(g.subscription_metadata.items())
    ]
    out = {
        record_key(GROUP_METADATA, gid): encode_value(GroupMetadataValue(epoch=g.group_epoch)),
        record_key(PARTITION_METADATA, gid): encode_value(PartitionMetadataValue(topics=topics)),
        record_key(TARGET_METADATA, gid): encode_value(TargetMetadataValue(assignment_epoch=g.assignment_epoch)),
    }
    for m in g.members.values():
        out.update(member_records(g, m))
    return out


def _order(record: Record) -> tuple[int, int, bytes]:
    key, value = record
    version = int.from_bytes(key[:2], "big", signed=True)
    if value is None:
        return (0 if version in _MEMBER_KEYS else 2, _TOMBSTONE_ORDER[version], key)
    return (1, _UPSERT_ORDER[version], key)


class ConsumerGroupRecordStore:
    """What `__consumer_offsets` holds for each consumer group (key -> value bytes), as the log's replay
    and this coordinator's own writes left it."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[bytes, bytes]] = {}

    def apply(self, key: bytes, value: bytes | None) -> None:
        """Replays one record (start-up load); a group tombstone forgets the group, as Kafka's replay does."""
        version, group_id, _ = parse_record_key(key)
        if value is not None:
            decode_value(version, value)  # an unreadable value is refused here, not when the group is built
            self.stored.setdefault(group_id, {})[key] = bytes(value)
            return
        records = self.stored.get(group_id)
        if records is None:
            return
        records.pop(key, None)
        if version == GROUP_METADATA:
            del self.stored[group_id]

    def forget(self, group_id: str) -> None:
        self.stored.pop(group_id, None)

    def group_ids(self) -> list[str]:
        return sorted(self.stored)

    def changes(self, group_id: str, g: ConsumerGroup | None, member_ids: Iterable[str] | None = None) -> list[Record]:
        """The records that bring what is stored to the group's state, in Kafka's order, and notes them as
        stored. `member_ids` narrows the comparison to those members' records (their heartbeat changed
        nothing else); None compares the whole group. A group that is gone gets tombstones for everything."""
        stored = self.stored.get(group_id, {})
        if g is None:
            wanted: dict[bytes, bytes] = {}
            scope = set(stored)
        elif member_ids is None:
            wanted = group_records(g)
            scope = set(stored) | set(wanted)
        else:
            members = set(member_ids)
            wanted = {}
            for mid in members:
                m = g.members.get(mid)
                if m is not None:  # a member that has left keeps no records: its keys get tombstones
                    wanted.update(member_records(g, m))
            scope = set(wanted) | {record_key(v, group_id, mid) for mid in members for v in _MEMBER_KEYS}
        out: list[Record] = []
        for key in scope:
            value = wanted.get(key)
            if stored.get(key) != value:  # a key neither stored nor wanted compares None == None: skipped
                out.append((key, value))
        if not out:
            return out
        out.sort(key=_order)
        if g is None:
            self.stored.pop(group_id, None)
        else:
            target = self.stored.setdefault(group_id, {})
            for key, value in out:
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
        return out

    def build(self, group_id: str) -> ConsumerGroup | None:
        """The group as its stored records describe it; None when its epoch record is missing (a partial
        group cannot be resumed). Deadlines, owners and the assignor are the coordinator's to restore."""
        records = self.stored.get(group_id)
        if not records:
            return None
        decoded: dict[int, dict[str | None, Any]] = {}
        for key, value in records.items():
            version, _, member_id = parse_record_key(key)
            decoded.setdefault(version, {})[member_id] = decode_value(version, value)
        epoch = decoded.get(GROUP_METADATA, {}).get(None)
        if epoch is None:
            return None
        g = ConsumerGroup(group_id, group_epoch=epoch.epoch)
        target_epoch = decoded.get(TARGET_METADATA, {}).get(None)
        g.assignment_epoch = target_epoch.assignment_epoch if target_epoch is not None else 0
        metadata = decoded.get(PARTITION_METADATA, {}).get(None)
        if metadata is not None:
            g.subscription_metadata = {t.topic_name: (t.topic_id, t.num_partitions) for t in metadata.topics}
        for member_id, sub in decoded.get(MEMBER_METADATA, {}).items():
            assert member_id is not None
            m = ConsumerMember(
                member_id,
                sub.instance_id,
                sub.client_id,
                sub.client_host,
                rack_id=sub.rack_id,
                rebalance_timeout_ms=sub.rebalance_timeout_ms,
                subscribed_topic_names=tuple(sorted(sub.subscribed_topic_names)),
                subscribed_topic_regex=sub.subscribed_topic_regex,
                server_assignor=sub.server_assignor,
            )
            current = decoded.get(CURRENT_MEMBER, {}).get(member_id)
            if current is not None:
                m.member_epoch = current.member_epoch
                m.previous_member_epoch = current.previous_member_epoch
                m.state = _STATES.get(current.state, MEMBER_STABLE)
                m.assigned = _assignment(current.assigned_partitions)
                m.pending_revocation = _assignment(current.partitions_pending_revocation)
            g.members[member_id] = m
            target = decoded.get(TARGET_MEMBER, {}).get(member_id)
            if target is not None:
                g.target[member_id] = _assignment(target.topic_partitions)
        return g


def is_consumer_group_key(key: bytes) -> bool:
    return len(key) >= 2 and int.from_bytes(key[:2], "big", signed=True) in CONSUMER_GROUP_KEY_VERSIONS
