"""The `connect` group protocol against the bytes Kafka 3.9's ConnectProtocol and
IncrementalCooperativeConnectProtocol write (tests/integration/connect_java/ConnectGolden.java printed them;
tests/integration/test_connect_java_golden.py re-runs it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.connect_protocol import (
    CONFIG_MISMATCH,
    EMPTY_ASSIGNMENT,
    ConnectProtocolCompatibility,
    ExtendedAssignment,
    SchemaException,
    WorkerState,
    deserialize_assignment,
    deserialize_metadata,
    metadata_request,
    serialize_assignment,
    serialize_metadata,
)

GOLDEN = {
    "v0_metadata": "0000000f687474703a2f2f77313a383038332f0000000000000007",
    "v0_assignment": "0000000000086c65616465722d31000e687474703a2f2f6c3a383038332f000000000000000c000000010002633100000003"
    "ffffffff0000000000000001",
    "v1_assignment": "0001000000086c65616465722d31000e687474703a2f2f6c3a383038332f000000000000000c000000010002633100000003"
    "ffffffff0000000000000001000000010002633200000002ffffffff0000000300001388",
    "v2_assignment": "0002000000086c65616465722d31000e687474703a2f2f6c3a383038332f000000000000000c000000010002633100000003"
    "ffffffff0000000000000001000000010002633200000002ffffffff0000000300001388",
    "v1_error_assignment": "0001000100086c65616465722d31000e687474703a2f2f6c3a383038332fffffffffffffffff000000000000000000000000",
    "v1_metadata": "0001000f687474703a2f2f77313a383038332f0000000000000007000000560001000000086c65616465722d31000e687474703a"
    "2f2f6c3a383038332f000000000000000c000000010002633100000003ffffffff0000000000000001000000010002633200000002ffffffff"
    "0000000300001388",
    "v2_metadata": "0002000f687474703a2f2f77313a383038332f0000000000000007000000560002000000086c65616465722d31000e687474703a"
    "2f2f6c3a383038332f000000000000000c000000010002633100000003ffffffff0000000000000001000000010002633200000002ffffffff"
    "0000000300001388",
    "v2_metadata_empty": "0002000f687474703a2f2f77313a383038332fffffffffffffffffffffffff",
}

TASKS = (ConnectorTaskId("c1", 0), ConnectorTaskId("c1", 1))
ASSIGNMENT = ExtendedAssignment(1, 0, "leader-1", "http://l:8083/", 12, ("c1",), TASKS, ("c2",), (ConnectorTaskId("c2", 3),), 5000)


def test_v0_matches_kafka() -> None:
    assert serialize_metadata(WorkerState("http://w1:8083/", 7), 0).hex() == GOLDEN["v0_metadata"]
    v0 = ExtendedAssignment(0, 0, "leader-1", "http://l:8083/", 12, ("c1",), TASKS)
    assert serialize_assignment(v0).hex() == GOLDEN["v0_assignment"]
    assert deserialize_assignment(bytes.fromhex(GOLDEN["v0_assignment"])) == v0
    assert deserialize_metadata(bytes.fromhex(GOLDEN["v0_metadata"])) == WorkerState("http://w1:8083/", 7)


@pytest.mark.parametrize("version", [1, 2])
def test_incremental_matches_kafka(version: int) -> None:
    assert serialize_assignment(ASSIGNMENT, version).hex() == GOLDEN[f"v{version}_assignment"]
    decoded = deserialize_assignment(bytes.fromhex(GOLDEN[f"v{version}_assignment"]))
    assert decoded == ExtendedAssignment(version, *[getattr(ASSIGNMENT, f) for f in list(ASSIGNMENT.__dataclass_fields__)[1:]])
    state = WorkerState("http://w1:8083/", 7, ASSIGNMENT)
    assert serialize_metadata(state, version).hex() == GOLDEN[f"v{version}_metadata"]
    back = deserialize_metadata(bytes.fromhex(GOLDEN[f"v{version}_metadata"]))
    assert (back.url, back.offset, back.assignment.tasks, back.assignment.revoked_tasks) == (
        "http://w1:8083/",
        7,
        TASKS,
        ASSIGNMENT.revoked_tasks,
    )


def test_error_and_empty_match_kafka() -> None:
    failed = ExtendedAssignment(1, CONFIG_MISMATCH, "leader-1", "http://l:8083/", -1)
    assert serialize_assignment(failed).hex() == GOLDEN["v1_error_assignment"]
    assert deserialize_assignment(bytes.fromhex(GOLDEN["v1_error_assignment"])).failed
    # a worker that runs nothing sends a null allocation
    assert serialize_metadata(WorkerState("http://w1:8083/", -1), 2).hex() == GOLDEN["v2_metadata_empty"]
    assert deserialize_metadata(bytes.fromhex(GOLDEN["v2_metadata_empty"])).assignment == EMPTY_ASSIGNMENT


def test_v0_reader_tolerates_missing_v1_fields() -> None:
    """A v1 assignment cut after the config offset reads with Kafka's defaults (no revocations, no delay)."""
    raw = bytes.fromhex(GOLDEN["v1_assignment"])
    cut = raw[: 2 + 2 + 10 + 16 + 8]
    a = deserialize_assignment(cut)
    assert (a.connectors, a.tasks, a.revoked_tasks, a.delay) == ((), (), (), 0)


def test_metadata_request_offers_older_subprotocols() -> None:
    state = WorkerState("http://w:8083/", 3)
    assert [p for p, _ in metadata_request(state, ConnectProtocolCompatibility.SESSIONED)] == ["sessioned", "compatible", "default"]
    assert [p for p, _ in metadata_request(state, ConnectProtocolCompatibility.COMPATIBLE)] == ["compatible", "default"]
    assert [p for p, _ in metadata_request(state, ConnectProtocolCompatibility.EAGER)] == ["default"]
    assert [m[:2] for _, m in metadata_request(state, ConnectProtocolCompatibility.SESSIONED)] == [b"\0\2", b"\0\1", b"\0\0"]
    assert ConnectProtocolCompatibility.from_name("Sessioned") is ConnectProtocolCompatibility.SESSIONED
    assert ConnectProtocolCompatibility.from_protocol("default") is ConnectProtocolCompatibility.EAGER
    with pytest.raises(ValueError):
        ConnectProtocolCompatibility.from_name("nope")


@pytest.mark.parametrize("raw", ["", "00", "ffff0000", "0001000000", "0001000000086c65616465722d31"])
def test_garbage_raises_schema_exception(raw: str) -> None:
    with pytest.raises(SchemaException):
        deserialize_assignment(bytes.fromhex(raw))


names = st.text(min_size=1, max_size=12)
task_ids = st.builds(ConnectorTaskId, names, st.integers(0, 1000))


@given(
    version=st.sampled_from([1, 2]),
    connectors=st.lists(names, unique=True, max_size=4),
    tasks=st.lists(task_ids, unique=True, max_size=6),
    revoked=st.lists(task_ids, unique=True, max_size=4),
    delay=st.integers(0, 2**31 - 1),
    offset=st.integers(-1, 2**63 - 1),
)
def test_round_trip(
    version: int, connectors: list[str], tasks: list[ConnectorTaskId], revoked: list[ConnectorTaskId], delay: int, offset: int
) -> None:
    a = ExtendedAssignment(version, 0, "l", "http://l/", offset, tuple(connectors), tuple(tasks), (), tuple(revoked), delay)
    b = deserialize_assignment(serialize_assignment(a))
    assert (set(b.connectors), sorted(b.tasks), sorted(b.revoked_tasks), b.delay, b.offset) == (
        set(a.connectors),
        sorted(a.tasks),
        sorted(a.revoked_tasks),
        delay,
        offset,
    )
    state = deserialize_metadata(serialize_metadata(WorkerState("http://w/", offset, a), version))
    assert sorted(state.assignment.tasks) == sorted(a.tasks)
