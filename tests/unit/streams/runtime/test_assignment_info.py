"""The `stream` assignor's user data is Kafka Streams' own: Strom encodes the cases of AssignmentGolden.java to the
very bytes Java 3.9.1 wrote (assignment_info_golden.txt) and decodes them back to the same fields.
tests/integration/test_streams_assignment_java.py checks the golden file against Java and Java's decoding of
Strom's bytes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.streams.runtime.assignment_info import (
    LATEST_OFFSET,
    NO_REBALANCE,
    UNKNOWN_OFFSET_SUM,
    AssignmentDecodeError,
    AssignmentInfo,
    SubscriptionInfo,
    by_partition_order,
)

GOLDEN = Path(__file__).resolve().parents[1] / "assignment_info_golden.txt"
PID = uuid.UUID("a1b2c3d4-e5f6-4711-8899-aabbccddeeff")
SUMS = {(0, 0): LATEST_OFFSET, (0, 1): 1234, (1, 2): 99, (17, 5): 0}
REPART = "app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"


def golden() -> dict[str, str]:
    return dict(line.split(" ", 1) for line in GOLDEN.read_text().split("\n") if line)


def strom_cases() -> dict[str, tuple[str, bytes]]:
    """The cases AssignmentGolden.java writes, encoded by Strom: name -> (kind, bytes)."""
    out: dict[str, tuple[str, bytes]] = {}
    for v in (7, 8, 9, 10, 11):
        out[f"sub_v{v}"] = ("sub", SubscriptionInfo(PID, dict(SUMS), "localhost:8080", v, 11, 7, 0, {"az": "eu-1"}).encode())
    for v in (1, 2, 3, 6):
        out[f"sub_v{v}"] = ("sub", SubscriptionInfo(PID, dict(SUMS), "localhost:8080", v, -1 if v < 3 else 11, 7).encode())
    out["sub_shutdown"] = ("sub", SubscriptionInfo(PID, {}, "", 11, 11, -1, 4).encode())
    for v in range(1, 12):
        out[f"asg_v{v}"] = ("asg", assignment(v).encode())
    out["asg_probe"] = ("asg", assignment(11, 1733580000123).encode())
    out["asg_error"] = ("asg", AssignmentInfo(error=4).encode())
    return out


def assignment(version: int, next_ms: int = NO_REBALANCE) -> AssignmentInfo:
    return AssignmentInfo(
        active_tasks=[(0, 0), (0, 0), (1, 3)],
        standby_tasks={(0, 1): [("words", 1), (REPART, 1)], (2, 0): [("clicks", 0)]},
        partitions_by_host={
            "host-a:8080": [("words", 0), (REPART, 0), ("clicks", 3)],
            "host-b:9090": [("words", 1), ("clicks", 0), ("pageviews", 7), ("users", 2)],
        },
        standby_partitions_by_host={"host-b:9090": [("words", 0), ("zeta", 11)]},
        next_rebalance_ms=next_ms,
        version=version,
    )


@pytest.mark.parametrize("name", sorted(golden()))
def test_strom_writes_the_bytes_java_writes(name: str) -> None:
    assert strom_cases()[name][1].hex() == golden()[name]


def test_subscriptions_java_wrote_decode_to_the_fields() -> None:
    g = golden()
    s = SubscriptionInfo.decode(bytes.fromhex(g["sub_v11"]))
    assert (s.process_id, s.task_offset_sums, s.endpoint, s.version, s.unique_field, s.client_tags) == (
        PID,
        SUMS,
        "localhost:8080",
        11,
        7,
        {"az": "eu-1"},
    )
    for v in (7, 8, 9, 10):
        assert SubscriptionInfo.decode(bytes.fromhex(g[f"sub_v{v}"])).task_offset_sums == SUMS
    old = SubscriptionInfo.decode(bytes.fromhex(g["sub_v6"]))  # pre-KIP-441: previous active and standby tasks only
    assert old.task_offset_sums == {
        (0, 0): LATEST_OFFSET,
        (0, 1): UNKNOWN_OFFSET_SUM,
        (1, 2): UNKNOWN_OFFSET_SUM,
        (17, 5): UNKNOWN_OFFSET_SUM,
    }
    assert old.prev_tasks() == [(0, 0)]
    assert SubscriptionInfo.decode(bytes.fromhex(g["sub_v1"])).endpoint == ""
    shutdown = SubscriptionInfo.decode(bytes.fromhex(g["sub_shutdown"]))
    assert shutdown.error_code == 4 and shutdown.unique_field == -1


def test_assignments_java_wrote_decode_to_the_fields() -> None:
    g = golden()
    for v in range(1, 12):
        a = AssignmentInfo.decode(bytes.fromhex(g[f"asg_v{v}"]))
        want = assignment(v)
        assert (a.version, a.active_tasks, a.standby_tasks) == (v, want.active_tasks, want.standby_tasks)
        if v >= 2:
            assert {h: sorted(t) for h, t in a.partitions_by_host.items()} == {h: sorted(t) for h, t in want.partitions_by_host.items()}
        if v >= 6:
            assert a.standby_partitions_by_host == want.standby_partitions_by_host
    probe = AssignmentInfo.decode(bytes.fromhex(g["asg_probe"]))
    assert probe.next_rebalance_ms == 1733580000123
    assert AssignmentInfo.decode(bytes.fromhex(g["asg_error"])).error == 4


def test_a_future_subscription_keeps_only_its_versions_and_garbage_is_refused() -> None:
    future = bytes.fromhex("0000000c0000000c") + b"\x00" * 40
    s = SubscriptionInfo.decode(future)
    assert (s.version, s.latest_supported_version) == (12, 12)
    with pytest.raises(AssignmentDecodeError):
        AssignmentInfo.decode(bytes.fromhex("0000000c0000000c"))
    with pytest.raises(AssignmentDecodeError):
        SubscriptionInfo.decode(bytes.fromhex("000000070000000b"))  # truncated


def test_active_tasks_pair_with_the_assigned_partitions_in_partition_order() -> None:
    tps, tasks = by_partition_order({(1, 0): [("b", 0)], (0, 0): [("a", 0), ("c", 0)]})
    assert tps == [("a", 0), ("b", 0), ("c", 0)] and tasks == [(0, 0), (1, 0), (0, 0)]
    info = AssignmentInfo(active_tasks=tasks)
    assert info.active_task_partitions(reversed(tps)) == {(0, 0): [("a", 0), ("c", 0)], (1, 0): [("b", 0)]}


_topics = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x1FFFF, exclude_categories=("Cs",)), min_size=1, max_size=12)
_tps = st.lists(st.tuples(_topics, st.integers(0, 2000)), max_size=30, unique=True)
_tasks = st.tuples(st.integers(0, 50), st.integers(0, 2000))


@given(
    st.lists(_tasks, max_size=20),
    st.dictionaries(_tasks, _tps, max_size=5),
    st.dictionaries(st.from_regex(r"[a-z0-9.-]{1,20}:[1-9][0-9]{0,4}", fullmatch=True), _tps, max_size=5),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(6, 11),
)
def test_assignments_round_trip(active: list, standby: dict, hosts: dict, next_ms: int, version: int) -> None:
    a = AssignmentInfo(active, standby, hosts, dict(reversed(list(hosts.items()))), 0, next_ms if version >= 7 else NO_REBALANCE, version)
    b = AssignmentInfo.decode(a.encode())
    assert (b.active_tasks, b.standby_tasks, b.partitions_by_host, b.standby_partitions_by_host) == (
        a.active_tasks,
        a.standby_tasks,
        a.partitions_by_host,
        a.standby_partitions_by_host,
    )
    assert b.next_rebalance_ms == a.next_rebalance_ms


@given(st.dictionaries(_tasks, st.integers(-3, 2**62), max_size=30), st.integers(7, 11), st.text(max_size=30), st.integers(-128, 127))
def test_subscriptions_round_trip(sums: dict, version: int, endpoint: str, unique: int) -> None:
    s = SubscriptionInfo(uuid.uuid4(), sums, endpoint, version, 11, unique, 4 if version >= 9 else 0)
    d = SubscriptionInfo.decode(s.encode())
    assert (d.process_id, d.task_offset_sums, d.endpoint, d.unique_field if version >= 8 else unique, d.error_code) == (
        s.process_id,
        s.task_offset_sums,
        s.endpoint,
        unique,
        s.error_code,
    )
