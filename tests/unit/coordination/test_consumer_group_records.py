"""KIP-848 groups in __consumer_offsets: Kafka 3.9's record layouts, the writes a coordinator makes as a group
changes, and the group rebuilt from them (what a restarted or newly elected coordinator resumes)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.coordination.consumer_group import (
    STATIC_LEAVE_EPOCH,
    UNREVOKED_PARTITIONS,
    ConsumerGroup,
    ConsumerGroupConfig,
    ConsumerGroupCoordinator,
    HeartbeatRequest,
)
from strom.coordination.consumer_group_records import (
    CURRENT_MEMBER,
    GROUP_METADATA,
    MEMBER_METADATA,
    PARTITION_METADATA,
    TARGET_MEMBER,
    TARGET_METADATA,
    ConsumerGroupRecordStore,
    decode_value,
    parse_record_key,
    record_key,
)
from strom.coordination.offsets import CommittedOffset, OffsetStore, group_key, offset_key, offset_value
from strom.protocol.errors import CorruptMessage

T = uuid.UUID(int=1)
TOPICS = {"t": (T, 6)}
SESSION = 10_000
G = "g"


def coordinator() -> ConsumerGroupCoordinator:
    return ConsumerGroupCoordinator(ConsumerGroupConfig(session_timeout_ms=SESSION, heartbeat_interval_ms=500))


def join(c: ConsumerGroupCoordinator, now: int = 0, topics: Any = TOPICS, **kw: Any) -> Any:
    fields: dict[str, Any] = {"member_id": "", "member_epoch": 0, "rebalance_timeout_ms": 5000,
                              "subscribed_topic_names": ("t",), "owned": {}, "client_id": "cid", "client_host": "/127.0.0.1"}  # fmt: skip
    fields.update(kw)
    return c.heartbeat(now, HeartbeatRequest(G, **fields), topics)


def persist(c: ConsumerGroupCoordinator, store: ConsumerGroupRecordStore, log: list[tuple[bytes, bytes | None]]) -> list[Any]:
    written = []
    for group_id, members in c.take_changed().items():
        records = store.changes(group_id, c.group(group_id), members)
        log.extend(records)
        written.extend(records)
    return written


def reload(log: list[tuple[bytes, bytes | None]], now: int = 0) -> tuple[ConsumerGroupCoordinator, ConsumerGroupRecordStore]:
    """A new coordinator that loaded the log, as after a restart (through OffsetStore, like the broker);
    the store it loaded is the one it goes on writing against."""
    offsets = OffsetStore()
    for key, value in log:
        offsets.apply_record(key, value)
    c = coordinator()
    for group_id in offsets.consumer_groups.group_ids():
        g = offsets.consumer_groups.build(group_id)
        if g is not None:
            c.restore(g, now)
    return c, offsets.consumer_groups


def replayed(log: list[tuple[bytes, bytes | None]], now: int = 0) -> ConsumerGroupCoordinator:
    return reload(log, now)[0]


def persistent_view(g: ConsumerGroup | None) -> Any:
    if g is None:
        return None
    members = {
        mid: (
            m.instance_id,
            m.rack_id,
            m.client_id,
            m.client_host,
            m.rebalance_timeout_ms,
            m.subscribed_topic_names,
            m.subscribed_topic_regex,
            m.server_assignor,
            m.member_epoch,
            m.previous_member_epoch,
            m.state,
            {t: p for t, p in m.assigned.items() if p},
            {t: p for t, p in m.pending_revocation.items() if p},
        )  # fmt: skip
        for mid, m in g.members.items()
    }
    target = {mid: {t: p for t, p in a.items() if p} for mid, a in g.target.items()}
    return (g.group_epoch, g.assignment_epoch, g.subscription_metadata, members, target, g.owners, g.static_members)


def kinds(records: list[Any]) -> list[tuple[int, bool]]:
    return [(parse_record_key(k)[0], v is not None) for k, v in records]


def test_key_layouts_are_kafkas() -> None:
    # ConsumerGroupMetadataKey v3: int16 version, int16-length group id
    assert record_key(GROUP_METADATA, "g1") == b"\x00\x03\x00\x02g1"
    # ConsumerGroupCurrentMemberAssignmentKey v8: version, group id, member id
    assert record_key(CURRENT_MEMBER, "g1", "m") == b"\x00\x08\x00\x02g1\x00\x01m"
    assert parse_record_key(b"\x00\x05\x00\x02g1\x00\x01m") == (MEMBER_METADATA, "g1", "m")


def test_value_layout_of_the_current_assignment() -> None:
    """Value version 0 (int16), then the flexible message: int32 epochs, int8 state, compact arrays of
    (uuid, compact int32 array, tagged fields), and the message's own empty tagged-field section."""
    c = coordinator()
    r = join(c)
    store = ConsumerGroupRecordStore()
    records = dict(persist(c, store, []))
    value = records[record_key(CURRENT_MEMBER, G, r.member_id)]
    assert value == (b"\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x00" + b"\x00"
                     + b"\x02" + T.bytes + b"\x07" + b"".join(i.to_bytes(4, "big") for i in range(6)) + b"\x00"
                     + b"\x01" + b"\x00")  # fmt: skip
    assert decode_value(GROUP_METADATA, records[record_key(GROUP_METADATA, G)]).epoch == 1


def test_writes_follow_the_group() -> None:
    c = coordinator()
    store = ConsumerGroupRecordStore()
    log: list[Any] = []
    a = join(c)
    first = persist(c, store, log)
    assert kinds(first) == [(MEMBER_METADATA, True), (PARTITION_METADATA, True), (GROUP_METADATA, True),
                            (TARGET_MEMBER, True), (TARGET_METADATA, True), (CURRENT_MEMBER, True)]  # fmt: skip
    # a heartbeat that changes nothing writes nothing
    c.heartbeat(100, HeartbeatRequest(G, a.member_id, a.member_epoch), TOPICS)
    assert persist(c, store, log) == []
    b = join(c, 200)
    assert kinds(persist(c, store, log))[:3] == [(MEMBER_METADATA, True), (GROUP_METADATA, True), (TARGET_MEMBER, True)]
    # a's heartbeat: only its current assignment moves (it must revoke)
    c.heartbeat(300, HeartbeatRequest(G, a.member_id, a.member_epoch), TOPICS)
    assert kinds(persist(c, store, log)) == [(CURRENT_MEMBER, True)]
    assert c.group(G).members[a.member_id].state == UNREVOKED_PARTITIONS  # type: ignore[union-attr]
    # b leaves: its three records get tombstones first, then the new epoch and target
    c.heartbeat(400, HeartbeatRequest(G, b.member_id, -1), TOPICS)
    gone = persist(c, store, log)
    assert kinds(gone)[:3] == [(CURRENT_MEMBER, False), (TARGET_MEMBER, False), (MEMBER_METADATA, False)]
    assert all(parse_record_key(k)[2] == b.member_id for k, _ in gone[:3])
    assert (GROUP_METADATA, True) in kinds(gone)
    assert persistent_view(replayed(log).group(G)) == persistent_view(c.group(G))
    # a leaves, the group is deleted: every key it had gets a tombstone, the group's own last
    c.heartbeat(500, HeartbeatRequest(G, a.member_id, -1), TOPICS)
    persist(c, store, log)
    assert replayed(log).group(G).is_empty  # type: ignore[union-attr]
    assert c.delete_group(G) == 0
    deleted = persist(c, store, log)
    assert kinds(deleted)[-1] == (GROUP_METADATA, False)
    assert {parse_record_key(k)[0] for k, _ in deleted} == {GROUP_METADATA, PARTITION_METADATA, TARGET_METADATA}
    assert replayed(log).group(G) is None and store.stored == {}


def test_static_member_away_is_restored_with_its_partitions() -> None:
    c = coordinator()
    store = ConsumerGroupRecordStore()
    log: list[Any] = []
    r = join(c, instance_id="i1")
    c.heartbeat(10, HeartbeatRequest(G, r.member_id, STATIC_LEAVE_EPOCH, instance_id="i1"), TOPICS)
    persist(c, store, log)
    back = replayed(log, now=50)
    m = back.group(G).members[r.member_id]  # type: ignore[union-attr]
    assert m.member_epoch == STATIC_LEAVE_EPOCH and m.previous_member_epoch == 1 and m.assigned == {T: frozenset(range(6))}
    assert back.group(G).static_members == {"i1": r.member_id}  # type: ignore[union-attr]
    again = join(back, 60, instance_id="i1")  # returns under a new id, same epoch, no rebalance
    assert again.error_code == 0 and again.member_epoch == 1 and back.group(G).group_epoch == 1  # type: ignore[union-attr]


def test_restored_members_get_a_fresh_session_and_revocation_deadline() -> None:
    c = coordinator()
    log: list[Any] = []
    store = ConsumerGroupRecordStore()
    a = join(c)
    join(c, 10)
    c.heartbeat(20, HeartbeatRequest(G, a.member_id, a.member_epoch), TOPICS)  # a must revoke
    persist(c, store, log)
    back = replayed(log, now=1_000_000)
    ga = back.group(G).members[a.member_id]  # type: ignore[union-attr]
    assert ga.session_deadline_ms == 1_000_000 + SESSION and ga.revocation_deadline_ms == 1_000_000 + 5000
    assert back.next_deadline() == 1_000_000 + 5000
    assert back.tick(1_000_000 + 4999) == []
    assert back.group(G).assignor_name == "uniform"  # type: ignore[union-attr]


def test_offset_store_routes_consumer_group_records_and_keeps_classic_ones() -> None:
    offsets = OffsetStore()
    offsets.apply_record(offset_key(G, "t", 0), offset_value(CommittedOffset(5, 1, "", 0)))
    offsets.apply_record(group_key("classic"), None)
    offsets.apply_record(record_key(GROUP_METADATA, G), b"\x00\x00\x00\x00\x00\x07\x00")
    assert offsets.fetch(G, "t", 0).offset == 5  # type: ignore[union-attr]
    assert offsets.consumer_groups.build(G).group_epoch == 7  # type: ignore[union-attr]
    try:
        offsets.apply_record(record_key(GROUP_METADATA, "bad"), b"\x00\x00\x00")
    except CorruptMessage:
        pass
    else:
        raise AssertionError("a truncated value must be refused")
    assert offsets.consumer_groups.group_ids() == [G]
    # Kafka 4.x adds tagged fields to these values (e.g. ConsumerGroupMetadataValue.MetadataHash): skipped
    tagged = b"\x00\x00\x00\x00\x00\x09" + b"\x01\x00\x08" + (42).to_bytes(8, "big")
    offsets.apply_record(record_key(GROUP_METADATA, "newer"), tagged)
    assert offsets.consumer_groups.build("newer").group_epoch == 9  # type: ignore[union-attr]


# ---- any history replays to the live state -------------------------------------------------------------

_ops = st.lists(
    st.tuples(st.sampled_from(["join", "static", "beat", "ack", "leave", "away", "back", "expire", "grow", "restart"]), st.integers(0, 5)),
    min_size=1,
    max_size=50,
)


@settings(max_examples=150, deadline=None)
@given(_ops)
def test_the_records_written_replay_to_the_live_group(ops: list[tuple[str, int]]) -> None:
    """Whatever joins, heartbeats, revocations, leaves, static departures, expiries and partition growth
    happen, replaying what the coordinator wrote (compacted or not) rebuilds the group as it is; and a
    coordinator restarted from the log serves the members on (no fencing, same epochs)."""
    c = coordinator()
    store = ConsumerGroupRecordStore()
    log: list[tuple[bytes, bytes | None]] = []
    topics = {"t": (T, 6)}
    now = 0
    members: dict[str, list[Any]] = {}  # member id -> [epoch, what it holds, instance id]
    instances = 0

    def send(mid: str, owned: Any) -> None:
        epoch, _, instance = members[mid]
        r = c.heartbeat(now, HeartbeatRequest(G, mid, epoch, instance_id=instance, owned=owned), topics)
        assert r.error_code == 0, r
        members[mid][0] = r.member_epoch
        if r.assignment is not None:
            members[mid][1] = r.assignment

    for op, i in ops:
        now += 100
        ids = sorted(mid for mid, v in members.items() if v[0] >= 0)
        mid = ids[i % len(ids)] if ids else None
        if op in ("join", "static") or mid is None:
            instance = None
            if op == "static":
                instances += 1
                instance = f"i{instances}"
            r = join(c, now, topics=topics, instance_id=instance)
            assert r.error_code == 0
            members[r.member_id] = [r.member_epoch, r.assignment or {}, instance]
        elif op == "beat":
            send(mid, None)
        elif op == "ack":
            send(mid, members[mid][1])
        elif op == "leave":
            c.heartbeat(now, HeartbeatRequest(G, mid, -1, instance_id=members[mid][2]), topics)
            del members[mid]
        elif op == "away" and members[mid][2] is not None:
            c.heartbeat(now, HeartbeatRequest(G, mid, STATIC_LEAVE_EPOCH, instance_id=members[mid][2]), topics)
            members[mid][0] = STATIC_LEAVE_EPOCH
        elif op == "back":
            away = sorted(m for m, v in members.items() if v[0] == STATIC_LEAVE_EPOCH)
            if away:
                old = away[i % len(away)]
                instance = members.pop(old)[2]
                r = join(c, now, topics=topics, instance_id=instance)
                assert r.error_code == 0, r
                members[r.member_id] = [r.member_epoch, r.assignment or {}, instance]
        elif op == "expire":
            now += SESSION
            for gone in c.tick(now):
                members.pop(gone, None)
            for other in [m for m, v in members.items() if v[0] >= 0]:
                send(other, members[other][1])
        elif op == "grow":
            topics = {"t": (T, topics["t"][1] + 1)}
        persist(c, store, log)
        if op == "restart":
            c, store = reload(log, now)
            for other in [m for m, v in members.items() if v[0] >= 0]:
                send(other, members[other][1])  # the restarted coordinator knows every live member
            persist(c, store, log)
        live = persistent_view(c.group(G))
        assert persistent_view(replayed(log).group(G)) == live
        compacted = list({k: v for k, v in log}.items())
        assert persistent_view(replayed(compacted).group(G)) == live
