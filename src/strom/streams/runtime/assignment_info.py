"""The `stream` assignor's user data in Kafka Streams' byte format, so Java and Strom instances share one application.

SubscriptionInfo (versions 1-11, as SubscriptionInfoData): version, latest supported version (3+), process id
(a UUID), previous active and standby tasks (1-6) or per-task changelog offset sums (7+; flat with a named topology
from 10), `application.server` endpoint (2+), a unique byte (8+), an error code (9+) and client tags (11+).
AssignmentInfo (versions 1-11): active tasks (one entry per assigned partition, in partition order), standby tasks
with their partitions, every host's active (2+) and standby (6+) partitions, through a topic-name dictionary (5+),
an error code (4+) and the time of the next (probing) rebalance (7+).

Maps are written in the order given; the topic dictionary, which Java builds internally from hash sets, is
written in the order Java's HashMap iterates it, so a Strom-encoded assignment is byte-for-byte Java's.
"""

from __future__ import annotations

import functools
import struct
import uuid
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from strom.protocol.types import TP

LATEST_SUPPORTED_VERSION = 11  # StreamsAssignmentProtocolVersions as of Kafka Streams 3.0-3.9
EARLIEST_PROBEABLE_VERSION = 3
MIN_NAMED_TOPOLOGY_VERSION = 10
MIN_OFFSET_SUM_VERSION = 7
UNKNOWN = -1
LATEST_OFFSET = -2  # offset sum of a task this client ran as active: caught up (Java's Task.LATEST_OFFSET)
UNKNOWN_OFFSET_SUM = -3  # a standby task of a pre-7 subscription: state of unknown size
NO_REBALANCE = 2**63 - 1  # Long.MAX_VALUE: no follow-up rebalance requested

# AssignorError codes
NONE = 0
INCOMPLETE_SOURCE_TOPIC_METADATA = 1
VERSION_PROBING = 2
ASSIGNMENT_ERROR = 3
SHUTDOWN_REQUESTED = 4

Task = tuple[int, int]  # (subtopology, partition): TaskId without a named topology
K = TypeVar("K", bound=Hashable)

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")


class AssignmentDecodeError(ValueError):
    """User data that is not a Kafka Streams subscription or assignment (Java's TaskAssignmentException)."""


# -- Java's DataOutputStream / DataInputStream ------------------------------------------------------------
def _modified_utf8(text: str) -> bytes:
    out = bytearray()
    for unit in _utf16_units(text):
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes((0xC0 | (unit >> 6), 0x80 | (unit & 0x3F)))
        else:
            out += bytes((0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F)))
    return bytes(out)


def _utf16_units(text: str) -> list[int]:
    raw = text.encode("utf-16-be", "surrogatepass")
    return [(raw[i] << 8) | raw[i + 1] for i in range(0, len(raw), 2)]


def _write_utf(out: bytearray, text: str) -> None:
    raw = _modified_utf8(text)
    if len(raw) > 0xFFFF:
        raise ValueError(f"string too long for writeUTF: {len(raw)} bytes")
    out += struct.pack(">H", len(raw)) + raw


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise AssignmentDecodeError("Kafka Streams user data is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def i8(self) -> int:
        return int(_I8.unpack(self.take(1))[0])

    def i16(self) -> int:
        return int(_I16.unpack(self.take(2))[0])

    def i32(self) -> int:
        return int(_I32.unpack(self.take(4))[0])

    def i64(self) -> int:
        return int(_I64.unpack(self.take(8))[0])

    def count(self) -> int:
        n = self.i32()
        if n < 0 or n > len(self.data):
            raise AssignmentDecodeError(f"Kafka Streams user data has a bad count {n}")
        return n

    def bytes_(self) -> bytes:
        return self.take(self.count())

    def utf(self) -> str:
        n = struct.unpack(">H", self.take(2))[0]
        return _decode_modified_utf8(self.take(n))

    def nullable_string(self) -> str | None:
        n = self.i16()
        return None if n < 0 else self.take(n).decode()


def _decode_modified_utf8(raw: bytes) -> str:
    units: list[int] = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b >> 5 == 0x6:
            units.append(((b & 0x1F) << 6) | (raw[i + 1] & 0x3F))
            i += 2
        else:
            units.append(((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F))
            i += 3
    return b"".join(struct.pack(">H", u) for u in units).decode("utf-16-be", "surrogatepass")


# -- Java's hash iteration order (for the topic dictionary) -------------------------------------------------
def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


@functools.lru_cache(maxsize=4096)
def java_string_hash(text: str) -> int:
    h = 0
    for unit in _utf16_units(text):
        h = (31 * h + unit) & 0xFFFFFFFF
    return _int32(h)


def java_topic_partition_hash(tp: TP) -> int:
    return _int32(31 * _int32(31 + tp[1]) + java_string_hash(tp[0]))


def java_task_id_hash(task: Task) -> int:
    return _int32(31 * _int32(31 * (31 + task[0]) + task[1]))  # Objects.hash(subtopology, partition, null)


def java_hash_order(keys: Iterable[K], hash_of: Mapping[K, int], compute_if_absent: bool = False) -> list[K]:
    """The iteration order of a java.util.HashMap/HashSet (default capacity) the keys were added to in order:
    by put (appended to their bin) or by computeIfAbsent (put at the head of their bin)."""
    table: list[list[K]] = [[] for _ in range(16)]
    seen: set[K] = set()
    size = 0

    def index(k: K, n: int) -> int:
        h = hash_of[k] & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (n - 1)

    def resize() -> list[list[K]]:
        n = len(table) * 2
        out: list[list[K]] = [[] for _ in range(n)]
        for bin_ in table:
            for k in bin_:
                out[index(k, n)].append(k)  # a split keeps the bin's order
        return out

    for k in keys:
        if k in seen:
            continue
        seen.add(k)
        if compute_if_absent:
            if size > len(table) * 3 // 4:
                table = resize()
            table[index(k, len(table))].insert(0, k)
            size += 1
        else:
            table[index(k, len(table))].append(k)
            size += 1
            if size > len(table) * 3 // 4:
                table = resize()
    return [k for bin_ in table for k in bin_]


def _topic_dictionary(tps: Iterable[TP]) -> list[tuple[int, str]]:
    """(index, topic) entries as Java writes them: indexes in the order of a HashSet of the partitions, written
    in the order of a HashMap of the topic names."""
    return _topic_dictionary_of(tuple(tps))


@functools.lru_cache(maxsize=16)  # the leader writes the same hosts' partitions into every member's assignment
def _topic_dictionary_of(tp_list: tuple[TP, ...]) -> list[tuple[int, str]]:
    tp_order = java_hash_order(tp_list, {tp: java_topic_partition_hash(tp) for tp in tp_list})
    index: dict[str, int] = {}
    for tp in tp_order:
        index.setdefault(tp[0], len(index))
    names = java_hash_order(index, {t: java_string_hash(t) for t in index})
    return [(index[t], t) for t in names]


# -- SubscriptionInfo -------------------------------------------------------------------------------------
@dataclass(slots=True)
class SubscriptionInfo:
    """One stream thread's subscription user data."""

    process_id: uuid.UUID
    task_offset_sums: dict[Task, int] = field(default_factory=dict)  # LATEST_OFFSET for tasks this thread ran
    endpoint: str = ""  # application.server, host:port
    version: int = LATEST_SUPPORTED_VERSION
    latest_supported_version: int = LATEST_SUPPORTED_VERSION
    unique_field: int = 0
    error_code: int = NONE
    client_tags: dict[str, str] = field(default_factory=dict)

    def prev_tasks(self) -> list[Task]:
        return [t for t, s in self.task_offset_sums.items() if s == LATEST_OFFSET]

    def standby_tasks(self) -> list[Task]:
        return [t for t, s in self.task_offset_sums.items() if s != LATEST_OFFSET]

    def encode(self) -> bytes:
        v = self.version
        if not 1 <= v <= LATEST_SUPPORTED_VERSION:
            raise ValueError(f"cannot encode a version {v} subscription (latest supported: {LATEST_SUPPORTED_VERSION})")
        out = bytearray(_I32.pack(v))
        if v >= 3:
            out += _I32.pack(self.latest_supported_version)
        out += self.process_id.bytes
        if v <= 6:  # Java puts them in HashSets of TaskId first
            for tasks in (self.prev_tasks(), self.standby_tasks()):
                ordered = java_hash_order(tasks, {t: java_task_id_hash(t) for t in tasks})
                out += _I32.pack(len(ordered))
                for sub, part in ordered:
                    out += _I32.pack(sub) + _I32.pack(part)
        if v >= 2:
            raw = self.endpoint.encode()
            out += _I32.pack(len(raw)) + raw
        if v >= MIN_NAMED_TOPOLOGY_VERSION:
            out += _I32.pack(len(self.task_offset_sums))
            for (sub, part), total in self.task_offset_sums.items():
                out += _I32.pack(sub) + _I32.pack(part) + _I64.pack(total) + _I16.pack(-1)
        elif v >= MIN_OFFSET_SUM_VERSION:
            grouped: dict[int, list[tuple[int, int]]] = {}
            for (sub, part), total in self.task_offset_sums.items():
                grouped.setdefault(sub, []).append((part, total))
            # Java groups them in a HashMap<Integer, ...>: an Integer hashes to itself
            subs = java_hash_order(grouped, {s: s for s in grouped}, compute_if_absent=True)
            out += _I32.pack(len(subs))
            for sub in subs:
                entries = grouped[sub]
                out += _I32.pack(sub) + _I32.pack(len(entries))
                for part, total in entries:
                    out += _I32.pack(part) + _I64.pack(total)
        if v >= 8:
            out += _I8.pack(_int8(self.unique_field))
        if v >= 9:
            out += _I32.pack(self.error_code)
        if v >= 11:
            out += _I32.pack(len(self.client_tags))
            for k, val in self.client_tags.items():
                kb, vb = k.encode(), val.encode()
                out += _I32.pack(len(kb)) + kb + _I32.pack(len(vb)) + vb
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes | None) -> SubscriptionInfo:
        if not data or len(data) < 4:
            raise AssignmentDecodeError("the subscription carries no Kafka Streams user data")
        r = _Reader(bytes(data))
        v = r.i32()
        if v > LATEST_SUPPORTED_VERSION:  # a future version: only its version and latest supported version are read
            latest = r.i32()
            return cls(uuid.UUID(int=0), version=v, latest_supported_version=latest)
        if v < 1:
            raise AssignmentDecodeError(f"unknown subscription version {v}")
        latest = r.i32() if v >= 3 else UNKNOWN
        pid = uuid.UUID(bytes=r.take(16))
        sums: dict[Task, int] = {}
        if v <= 6:
            prev = [(r.i32(), r.i32()) for _ in range(r.count())]
            standby = [(r.i32(), r.i32()) for _ in range(r.count())]
            sums.update((t, UNKNOWN_OFFSET_SUM) for t in standby)
            sums.update((t, LATEST_OFFSET) for t in prev)
        endpoint = r.bytes_().decode() if v >= 2 else ""
        if v >= MIN_NAMED_TOPOLOGY_VERSION:
            for _ in range(r.count()):
                sub, part, total = r.i32(), r.i32(), r.i64()
                if r.nullable_string():
                    raise AssignmentDecodeError("named topologies are not supported")
                sums[(sub, part)] = total
        elif v >= MIN_OFFSET_SUM_VERSION:
            for _ in range(r.count()):
                sub = r.i32()
                for _ in range(r.count()):
                    part, total = r.i32(), r.i64()
                    sums[(sub, part)] = total
        unique = r.i8() if v >= 8 else 0
        error = r.i32() if v >= 9 else NONE
        tags: dict[str, str] = {}
        if v >= 11:
            for _ in range(r.count()):
                k = r.bytes_().decode()
                tags[k] = r.bytes_().decode()
        return cls(pid, sums, endpoint, v, latest, unique, error, tags)


def _int8(v: int) -> int:
    v &= 0xFF
    return v - 256 if v >= 128 else v


# -- AssignmentInfo ---------------------------------------------------------------------------------------
def _host_port(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port) if port.lstrip("-").isdigit() else -1


@dataclass(slots=True)
class AssignmentInfo:
    """One stream thread's assignment user data. `active_tasks` has one entry per assigned partition, in the
    (topic, partition) order of the assigned partitions, so the receiver pairs them up."""

    active_tasks: list[Task] = field(default_factory=list)
    standby_tasks: dict[Task, list[TP]] = field(default_factory=dict)
    partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)  # "host:port" -> active partitions
    standby_partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)
    error: int = NONE
    next_rebalance_ms: int = NO_REBALANCE
    version: int = LATEST_SUPPORTED_VERSION
    commonly_supported_version: int = LATEST_SUPPORTED_VERSION

    def encode(self) -> bytes:
        v = self.version
        if not 1 <= v <= LATEST_SUPPORTED_VERSION:
            raise ValueError(f"cannot encode a version {v} assignment (latest supported: {LATEST_SUPPORTED_VERSION})")
        out = bytearray(_I32.pack(v))
        if v >= 3:
            out += _I32.pack(self.commonly_supported_version)
        out += _I32.pack(len(self.active_tasks))
        for task in self.active_tasks:
            self._task(out, task)
        out += _I32.pack(len(self.standby_tasks))
        for task, tps in self.standby_tasks.items():
            self._task(out, task)
            out += _I32.pack(len(tps))
            for topic, part in tps:
                _write_utf(out, topic)
                out += _I32.pack(part)
        if v in (2, 3, 4):
            out += _I32.pack(len(self.partitions_by_host))
            for host, tps in self.partitions_by_host.items():
                self._host(out, host)
                out += _I32.pack(len(tps))
                for topic, part in tps:
                    _write_utf(out, topic)
                    out += _I32.pack(part)
        elif v >= 5:
            maps = [self.partitions_by_host] if v == 5 else [self.partitions_by_host, self.standby_partitions_by_host]
            dictionary = _topic_dictionary(tp for m in maps for tps in m.values() for tp in tps)
            out += _I32.pack(len(dictionary))
            for i, topic in dictionary:
                out += _I32.pack(i)
                _write_utf(out, topic)
            index = {topic: i for i, topic in dictionary}
            for m in maps:
                out += _I32.pack(len(m))
                for host, tps in m.items():
                    self._host(out, host)
                    out += _I32.pack(len(tps))
                    for topic, part in tps:
                        out += _I32.pack(index[topic]) + _I32.pack(part)
        if v >= 4:
            out += _I32.pack(self.error)
        if v >= 7:
            out += _I64.pack(self.next_rebalance_ms)
        return bytes(out)

    def _task(self, out: bytearray, task: Task) -> None:
        out += _I32.pack(task[0]) + _I32.pack(task[1])
        if self.version >= MIN_NAMED_TOPOLOGY_VERSION:
            out += _I32.pack(0)  # no named topology

    @staticmethod
    def _host(out: bytearray, endpoint: str) -> None:
        host, port = _host_port(endpoint)
        _write_utf(out, host)
        out += _I32.pack(port)

    @classmethod
    def decode(cls, data: bytes | None) -> AssignmentInfo:
        if not data or len(data) < 4:
            raise AssignmentDecodeError("the assignment carries no Kafka Streams user data")
        r = _Reader(bytes(data))
        v = r.i32()
        if not 1 <= v <= LATEST_SUPPORTED_VERSION:
            latest = LATEST_SUPPORTED_VERSION
            raise AssignmentDecodeError(f"Unable to decode assignment data: used version: {v}; latest supported version: {latest}")
        info = cls(version=v, commonly_supported_version=r.i32() if v >= 3 else UNKNOWN)

        def task() -> Task:
            t = (r.i32(), r.i32())
            if v >= MIN_NAMED_TOPOLOGY_VERSION and r.count():
                raise AssignmentDecodeError("named topologies are not supported")
            return t

        def host() -> str:
            h = r.utf()
            return f"{h}:{r.i32()}"

        info.active_tasks = [task() for _ in range(r.count())]
        for _ in range(r.count()):
            t = task()
            info.standby_tasks[t] = [(r.utf(), r.i32()) for _ in range(r.count())]
        if 2 <= v <= 4:
            for _ in range(r.count()):
                h = host()
                info.partitions_by_host[h] = [(r.utf(), r.i32()) for _ in range(r.count())]
        elif v >= 5:
            names: dict[int, str] = {}
            for _ in range(r.count()):
                i = r.i32()
                names[i] = r.utf()
            for m in [info.partitions_by_host] if v == 5 else [info.partitions_by_host, info.standby_partitions_by_host]:
                for _ in range(r.count()):
                    h = host()
                    tps: list[TP] = []
                    for _ in range(r.count()):
                        i, part = r.i32(), r.i32()
                        if i not in names:
                            raise AssignmentDecodeError(f"topic index {i} is not in the assignment's dictionary")
                        tps.append((names[i], part))
                    m[h] = tps
        if v >= 4:
            info.error = r.i32()
        if v >= 7:
            info.next_rebalance_ms = r.i64()
        return info

    def active_task_partitions(self, partitions: Iterable[TP]) -> dict[Task, list[TP]]:
        """The assigned partitions paired with `active_tasks` (both in (topic, partition) order), as Java's
        StreamsPartitionAssignor.getActiveTasks does."""
        ordered = sorted(partitions)
        if len(ordered) != len(self.active_tasks):
            raise AssignmentDecodeError(
                f"Number of assigned partitions {len(ordered)} is not equal to the number of active taskIds {len(self.active_tasks)}"
            )
        out: dict[Task, list[TP]] = {}
        for tp, task in zip(ordered, self.active_tasks, strict=True):
            out.setdefault(task, []).append(tp)
        return out

    def partition_counts(self) -> dict[str, int]:
        """Partitions per topic as far as the hosts' maps tell (every active partition when application.server is set)."""
        out: dict[str, int] = {}
        for m in (self.partitions_by_host, self.standby_partitions_by_host):
            for tps in m.values():
                for topic, part in tps:
                    out[topic] = max(out.get(topic, 0), part + 1)
        return out


def by_partition_order(tasks: Mapping[Task, Iterable[TP]]) -> tuple[list[TP], list[Task]]:
    """Assigned partitions and the parallel active-task list, in (topic, partition) order (Java's AssignedPartition)."""
    pairs = sorted((tp, task) for task, tps in tasks.items() for tp in tps)
    return [tp for tp, _ in pairs], [task for _, task in pairs]
