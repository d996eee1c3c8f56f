"""The `connect` group protocol: what a worker puts in JoinGroup and what the leader hands out in SyncGroup.

Byte-compatible with Kafka's ConnectProtocol (subprotocol `default`, version 0, eager) and
IncrementalCooperativeConnectProtocol (`compatible` version 1, `sessioned` version 2, KIP-415 / KIP-507), so a
worker's group can be read by Kafka's tools and the formats never drift from Kafka's. Every message starts with
an int16 version; strings are int16-length UTF-8, arrays int32-counted, the allocation nullable int32-length bytes.
A worker's connector is the sentinel task id -1 in the per-connector task list, as in Kafka.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from strom.connect.rest.entities import ConnectorTaskId

CONNECT_PROTOCOL_V0 = 0
CONNECT_PROTOCOL_V1 = 1
CONNECT_PROTOCOL_V2 = 2
CONNECTOR_TASK = -1
PROTOCOL_TYPE = "connect"

NO_ERROR = 0
CONFIG_MISMATCH = 1  # the leader could not read the config topic as far as a member had: everyone reads and rejoins


class SchemaException(ValueError):
    """Bytes that are not a Connect protocol message (Kafka's SchemaException)."""


class ConnectProtocolCompatibility(enum.Enum):
    """connect.protocol: the subprotocol name and the version it writes; newer ones also offer the older ones."""

    EAGER = ("default", CONNECT_PROTOCOL_V0)
    COMPATIBLE = ("compatible", CONNECT_PROTOCOL_V1)
    SESSIONED = ("sessioned", CONNECT_PROTOCOL_V2)

    @property
    def protocol(self) -> str:
        return self.value[0]

    @property
    def protocol_version(self) -> int:
        return self.value[1]

    @classmethod
    def from_name(cls, name: str) -> ConnectProtocolCompatibility:
        """By the connect.protocol value (eager, compatible, sessioned: Kafka's names, case-insensitive)."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"Unknown Connect protocol compatibility mode: {name}") from None

    @classmethod
    def from_protocol(cls, protocol: str) -> ConnectProtocolCompatibility:
        """By the subprotocol name the coordinator chose (default, compatible, sessioned)."""
        for mode in cls:
            if mode.protocol == protocol:
                return mode
        raise ValueError(f"Not found Connect protocol compatibility mode for protocol: {protocol}")


@dataclass(frozen=True)
class ExtendedAssignment:
    """One worker's share after a rebalance: what to run, what to stop (revoked), and how long to wait before
    the next rebalance when the leader is holding lost work for a worker that may come back (delay, ms)."""

    version: int
    error: int
    leader: str | None
    leader_url: str | None
    offset: int
    connectors: tuple[str, ...] = ()
    tasks: tuple[ConnectorTaskId, ...] = ()
    revoked_connectors: tuple[str, ...] = ()
    revoked_tasks: tuple[ConnectorTaskId, ...] = ()
    delay: int = 0

    @property
    def failed(self) -> bool:
        return self.error != NO_ERROR

    def is_empty(self) -> bool:
        return self == EMPTY_ASSIGNMENT


EMPTY_ASSIGNMENT = ExtendedAssignment(CONNECT_PROTOCOL_V1, NO_ERROR, None, None, -1)


@dataclass(frozen=True)
class WorkerState:
    """A member's JoinGroup metadata: its REST URL, the config topic offset it has read, and (v1+) what it runs."""

    url: str
    offset: int
    assignment: ExtendedAssignment = field(default=EMPTY_ASSIGNMENT)


# -- primitives ------------------------------------------------------------------------------------------


class _Writer:
    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def int16(self, v: int) -> None:
        self.parts.append(struct.pack(">h", v))

    def int32(self, v: int) -> None:
        self.parts.append(struct.pack(">i", v))

    def int64(self, v: int) -> None:
        self.parts.append(struct.pack(">q", v))

    def string(self, v: str | None) -> None:
        if v is None:
            raise SchemaException("a non-nullable string is missing")
        data = v.encode()
        if len(data) > 0x7FFF:
            raise SchemaException(f"string of {len(data)} bytes is longer than 32767")
        self.int16(len(data))
        self.parts.append(data)

    def nullable_bytes(self, v: bytes | None) -> None:
        if v is None:
            self.int32(-1)
        else:
            self.int32(len(v))
            self.parts.append(v)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = memoryview(buf)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def _take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise SchemaException(f"truncated Connect protocol message: need {n} bytes at {self.pos} of {len(self.buf)}")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def int16(self) -> int:
        return int(struct.unpack(">h", self._take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack(">i", self._take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack(">q", self._take(8))[0])

    def string(self) -> str:
        n = self.int16()
        if n < 0:
            raise SchemaException("a non-nullable string is null")
        try:
            return bytes(self._take(n)).decode()
        except UnicodeDecodeError as exc:
            raise SchemaException(f"string is not UTF-8: {exc}") from None

    def nullable_bytes(self) -> bytes | None:
        n = self.int32()
        return None if n < 0 else bytes(self._take(n))


def _check_version(version: int) -> None:
    if version < CONNECT_PROTOCOL_V0:
        raise SchemaException(f"Unsupported subscription version: {version}")


# -- connector assignments ([connector, [task ids]]) -------------------------------------------------------


def _as_map(connectors: Iterable[str], tasks: Iterable[ConnectorTaskId]) -> dict[str, list[int]]:
    """Connector -> task ids with the connector itself as task -1 first, as Kafka's asMap builds it."""
    out: dict[str, list[int]] = {}
    for name in dict.fromkeys(connectors):
        out.setdefault(name, []).append(CONNECTOR_TASK)
    for task in tasks:
        out.setdefault(task.connector, []).append(task.task)
    return out


def _write_connector_assignments(w: _Writer, entries: dict[str, list[int]]) -> None:
    w.int32(len(entries))
    for name, ids in entries.items():
        w.string(name)
        w.int32(len(ids))
        for i in ids:
            w.int32(i)


def _read_connector_assignments(r: _Reader, nullable: bool) -> tuple[tuple[str, ...], tuple[ConnectorTaskId, ...]]:
    count = r.int32()
    if count < 0:
        if not nullable:
            raise SchemaException("a non-nullable array is null")
        return (), ()
    connectors: list[str] = []
    tasks: list[ConnectorTaskId] = []
    for _ in range(count):
        name = r.string()
        n = r.int32()
        for _ in range(max(n, 0)):
            task = r.int32()
            if task == CONNECTOR_TASK:
                connectors.append(name)
            else:
                tasks.append(ConnectorTaskId(name, task))
    return tuple(connectors), tuple(tasks)


# -- metadata (JoinGroup) ----------------------------------------------------------------------------------


def serialize_metadata(state: WorkerState, version: int = CONNECT_PROTOCOL_V0) -> bytes:
    """Version 0: url + config offset. Versions 1 and 2 add the member's current assignment (null when empty),
    serialized with the same header version."""
    w = _Writer()
    w.int16(version)
    w.string(state.url)
    w.int64(state.offset)
    if version >= CONNECT_PROTOCOL_V1:
        w.nullable_bytes(serialize_assignment(state.assignment, version) if not state.assignment.is_empty() else None)
    return w.getvalue()


def deserialize_metadata(buf: bytes) -> WorkerState:
    r = _Reader(buf)
    version = r.int16()
    _check_version(version)
    url = r.string()
    offset = r.int64()
    assignment = EMPTY_ASSIGNMENT
    if version >= CONNECT_PROTOCOL_V1 and r.remaining() > 0:
        allocation = r.nullable_bytes()
        if allocation is not None:
            assignment = deserialize_assignment(allocation)
    return WorkerState(url, offset, assignment)


def metadata_request(state: WorkerState, compatibility: ConnectProtocolCompatibility) -> list[tuple[str, bytes]]:
    """The (subprotocol, metadata) pairs a worker joins with, most preferred first, as Kafka's workers offer
    them: sessioned -> [sessioned, compatible, default], compatible -> [compatible, default]."""
    modes = [m for m in ConnectProtocolCompatibility if m.protocol_version <= compatibility.protocol_version]
    return [(m.protocol, serialize_metadata(state, m.protocol_version)) for m in reversed(modes)]


# -- assignment (SyncGroup) --------------------------------------------------------------------------------


def serialize_assignment(assignment: ExtendedAssignment, version: int | None = None) -> bytes:
    """Version 0 carries error, leader, leader URL, config offset and the assignment; 1 and 2 add revoked
    connectors/tasks and the scheduled rebalance delay."""
    version = assignment.version if version is None else version
    w = _Writer()
    w.int16(version)
    w.int16(assignment.error)
    w.string(assignment.leader)
    w.string(assignment.leader_url)
    w.int64(assignment.offset)
    _write_connector_assignments(w, _as_map(assignment.connectors, assignment.tasks))
    if version >= CONNECT_PROTOCOL_V1:
        _write_connector_assignments(w, _as_map(assignment.revoked_connectors, assignment.revoked_tasks))
        w.int32(assignment.delay)
    return w.getvalue()


def deserialize_assignment(buf: bytes) -> ExtendedAssignment:
    """Any version; missing trailing v1 fields read as their defaults (Kafka tolerates them too)."""
    r = _Reader(buf)
    version = r.int16()
    _check_version(version)
    error = r.int16()
    leader = r.string()
    leader_url = r.string()
    offset = r.int64()
    if version == CONNECT_PROTOCOL_V0:
        connectors, tasks = _read_connector_assignments(r, nullable=False)
        return ExtendedAssignment(version, error, leader, leader_url, offset, connectors, tasks)
    connectors, tasks = _read_connector_assignments(r, nullable=True) if r.remaining() else ((), ())
    revoked_connectors, revoked_tasks = _read_connector_assignments(r, nullable=True) if r.remaining() else ((), ())
    delay = r.int32() if r.remaining() else 0
    return ExtendedAssignment(version, error, leader, leader_url, offset, connectors, tasks, revoked_connectors, revoked_tasks, delay)
