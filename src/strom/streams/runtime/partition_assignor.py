"""StreamsPartitionAssignor: the group leader turns subtopologies x partitions into tasks and hands them out.

Every member's subscription carries its process id, its threads' previous active tasks and the tasks it has
state for (with the checkpointed changelog offset sums, KIP-441), its `application.server` endpoint, and its
subscription is made under the assignor name `stream` of group protocol type `consumer`, as Java's. The leader
- creates the internal topics (through a callback) and checks co-partitioning,
- assigns each active task to a process: first to its previous owner, then to the process holding the most
  of its state, then to the least loaded one, balanced by thread count,
- places `num.standby.replicas` standbys of each stateful task on other processes (those with state first),
- splits each process's tasks over its threads, sticky to the thread that had them.
The assignment's user data lists each thread's active tasks, standby tasks and every host's partitions (for
interactive queries). Both are Strom's own encoding (versioned JSON): members of one application agree on it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strom.client.consumer_protocol import Assignment, Subscription
from strom.protocol.types import TP

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StreamsPartitionAssignor")

NAME = "stream"
USER_DATA_VERSION = 1
LATEST_OFFSET = -2  # offset sum of a task that runs as active here: fully caught up (Java's Task.LATEST_OFFSET)

# assignment error codes (Java's AssignorError)
NONE = 0
INCOMPLETE_SOURCE_TOPIC_METADATA = 1
SHUTDOWN_REQUESTED = 3

Task = tuple[int, int]  # (subtopology, partition): TaskId's fields


def task_str(task: Task) -> str:
    return f"{task[0]}_{task[1]}"


def parse_task(text: str) -> Task:
    sub, _, part = text.partition("_")
    return int(sub), int(part)


@dataclass(frozen=True, slots=True)
class SubtopologyInfo:
    """What the assignor needs of one subtopology: its source topics, the topics it writes, its changelogs."""

    id: int
    source_topics: frozenset[str]
    sink_topics: frozenset[str] = frozenset()
    changelog_topics: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TopologyMetadata:
    subtopologies: tuple[SubtopologyInfo, ...]
    repartition_topics: Mapping[str, int | None] = field(default_factory=dict)  # None: as many as the upstream
    copartition_groups: tuple[frozenset[str], ...] = ()

    def source_topics(self) -> list[str]:
        return sorted({t for s in self.subtopologies for t in s.source_topics})


@dataclass(slots=True)
class SubscriptionInfo:
    process_id: str
    prev_tasks: list[Task] = field(default_factory=list)  # this thread's active tasks last generation
    task_offset_sums: dict[Task, int] = field(default_factory=dict)  # tasks with state in this process
    endpoint: str = ""
    shutdown_requested: bool = False

    def encode(self) -> bytes:
        body = {
            "version": USER_DATA_VERSION,
            "process_id": self.process_id,
            "prev_tasks": [task_str(t) for t in self.prev_tasks],
            "task_offset_sums": {task_str(t): s for t, s in self.task_offset_sums.items()},
            "endpoint": self.endpoint,
            "shutdown_requested": self.shutdown_requested,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes | None) -> SubscriptionInfo:
        body: dict[str, Any] = json.loads(data) if data else {}
        return cls(
            process_id=str(body.get("process_id", "")),
            prev_tasks=[parse_task(t) for t in body.get("prev_tasks", [])],
            task_offset_sums={parse_task(t): int(s) for t, s in body.get("task_offset_sums", {}).items()},
            endpoint=str(body.get("endpoint", "")),
            shutdown_requested=bool(body.get("shutdown_requested", False)),
        )


@dataclass(slots=True)
class AssignmentInfo:
    active_tasks: dict[Task, list[TP]] = field(default_factory=dict)
    standby_tasks: dict[Task, list[TP]] = field(default_factory=dict)  # task -> its input partitions
    partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)
    standby_partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)
    partition_counts: dict[str, int] = field(default_factory=dict)
    error: int = NONE

    def encode(self) -> bytes:
        def tps(v: list[TP]) -> list[list[Any]]:
            return [[t, p] for t, p in v]

        body = {
            "version": USER_DATA_VERSION,
            "active": {task_str(t): tps(v) for t, v in self.active_tasks.items()},
            "standby": {task_str(t): tps(v) for t, v in self.standby_tasks.items()},
            "hosts": {h: tps(v) for h, v in self.partitions_by_host.items()},
            "standby_hosts": {h: tps(v) for h, v in self.standby_partitions_by_host.items()},
            "counts": self.partition_counts,
            "error": self.error,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes | None) -> AssignmentInfo:
        body: dict[str, Any] = json.loads(data) if data else {}

        def tps(v: list[list[Any]]) -> list[TP]:
            return [(str(t), int(p)) for t, p in v]

        return cls(
            active_tasks={parse_task(t): tps(v) for t, v in body.get("active", {}).items()},
            standby_tasks={parse_task(t): tps(v) for t, v in body.get("standby", {}).items()},
            partitions_by_host={h: tps(v) for h, v in body.get("hosts", {}).items()},
            standby_partitions_by_host={h: tps(v) for h, v in body.get("standby_hosts", {}).items()},
            partition_counts={str(k): int(v) for k, v in body.get("counts", {}).items()},
            error=int(body.get("error", NONE)),
        )


class CopartitionError(Exception):
    """Topics that must be co-partitioned have different partition counts (raised at start and by the leader)."""


def repartition_counts(topology: TopologyMetadata, counts: Mapping[str, int]) -> dict[str, int]:
    """Partition counts of the repartition topics: given, or the largest source of the subtopologies writing them."""
    out = {t: n for t, n in topology.repartition_topics.items() if n is not None}
    known = {**counts, **out}
    for _ in range(len(topology.repartition_topics) + 1):  # chains of repartition topics settle in that many rounds
        for topic, given in topology.repartition_topics.items():
            if given is not None:
                continue
            upstream = [known[t] for s in topology.subtopologies if topic in s.sink_topics for t in s.source_topics if known.get(t, 0) > 0]
            if upstream:
                out[topic] = known[topic] = max(upstream)
    for group in topology.copartition_groups:  # repartition topics in a co-partition group follow its external topics
        external = [counts[t] for t in group if t not in topology.repartition_topics and counts.get(t, 0) > 0]
        if external:
            for t in group:
                if t in topology.repartition_topics and topology.repartition_topics[t] is None:
                    out[t] = max(external)
    for topic in topology.repartition_topics:
        out.setdefault(topic, 1)
    return out


def check_copartitioning(topology: TopologyMetadata, counts: Mapping[str, int]) -> None:
    for group in topology.copartition_groups:
        given = {t: counts[t] for t in sorted(group) if t in counts and counts[t] > 0}
        if len(set(given.values())) > 1:
            listing = ", ".join(f"{t}={n}" for t, n in given.items())
            raise CopartitionError(f"Invalid topology: Following topics do not have the same number of partitions: [{listing}]")


def tasks_for(topology: TopologyMetadata, counts: Mapping[str, int]) -> dict[Task, list[TP]]:
    """Every task and its input partitions: partition p of subtopology s reads partition p of each source topic."""
    out: dict[Task, list[TP]] = {}
    for sub in topology.subtopologies:
        n = max((counts.get(t, 0) for t in sub.source_topics), default=0)
        for p in range(n):
            out[(sub.id, p)] = sorted((t, p) for t in sub.source_topics if p < counts.get(t, 0))
    return out


@dataclass(slots=True)
class _Client:
    process_id: str
    consumers: list[str]
    endpoint: str
    prev_active: dict[Task, str] = field(default_factory=dict)  # task -> consumer that ran it
    offset_sums: dict[Task, int] = field(default_factory=dict)
    active: list[Task] = field(default_factory=list)
    standby: list[Task] = field(default_factory=list)

    def load(self) -> float:
        return (len(self.active) + len(self.standby)) / max(len(self.consumers), 1)


def assign_tasks(clients: dict[str, _Client], tasks: list[Task], stateful: set[Task], num_standbys: int) -> None:
    """Active tasks sticky to their previous owner or to the most state, within capacity; then standbys."""
    total_threads = sum(len(c.consumers) for c in clients.values())
    order = sorted(clients)

    def capacity(c: _Client) -> int:
        share = len(tasks) * len(c.consumers)
        return -(-share // max(total_threads, 1))

    def floor_share(c: _Client) -> int:
        return max(len(tasks) * len(c.consumers) // max(total_threads, 1), 1)

    unassigned: list[Task] = []
    for task in sorted(tasks):  # previous owners keep up to their fair share, so newcomers get work at once
        owner = next((c for c in order if task in clients[c].prev_active), None)
        if owner is not None and len(clients[owner].active) < floor_share(clients[owner]):
            clients[owner].active.append(task)
        else:
            unassigned.append(task)
    for task in unassigned:
        candidates = [c for c in order if len(clients[c].active) < capacity(clients[c])] or order

        def rank(cid: str, task: Task = task) -> tuple[int, float, str]:
            s = clients[cid].offset_sums.get(task)
            has_state = 0 if s is not None and task in stateful else 1
            return (has_state, len(clients[cid].active) / len(clients[cid].consumers), cid)

        clients[min(candidates, key=rank)].active.append(task)
    if num_standbys <= 0:
        return
    for task in sorted(stateful):
        holders = {c for c in order if task in clients[c].active}
        for _ in range(num_standbys):
            candidates = [c for c in order if c not in holders]
            if not candidates:
                break

            def standby_rank(cid: str, task: Task = task) -> tuple[int, float, str]:
                return (0 if task in clients[cid].offset_sums else 1, clients[cid].load(), cid)

            chosen = min(candidates, key=standby_rank)
            clients[chosen].standby.append(task)
            holders.add(chosen)


def _spread(client: _Client, tasks: list[Task], sticky: bool) -> dict[str, list[Task]]:
    """A process's tasks over its threads: each back to the thread that had it where balance allows."""
    out: dict[str, list[Task]] = {c: [] for c in client.consumers}
    cap = -(-len(tasks) // max(len(client.consumers), 1))
    rest: list[Task] = []
    for task in sorted(tasks):
        prev = client.prev_active.get(task) if sticky else None
        if prev in out and len(out[prev]) < cap:
            out[prev].append(task)
        else:
            rest.append(task)
    for task in rest:
        out[min(out, key=lambda c: (len(out[c]), c))].append(task)
    return out


class StreamsPartitionAssignor:
    """The `stream` assignor object given to each stream thread's consumer (client.assignors protocol)."""

    name = NAME

    def __init__(
        self,
        topology: Callable[[], TopologyMetadata],
        subscription_info: Callable[[], SubscriptionInfo],
        on_assignment: Callable[[AssignmentInfo, list[TP], int], None],
        num_standby_replicas: int = 0,
        prepare_topics: Callable[[dict[str, int]], None] | None = None,
        stateful_subtopologies: Callable[[], set[int]] | None = None,
    ) -> None:
        self._topology = topology
        self._subscription_info = subscription_info
        self._on_assignment = on_assignment
        self._num_standbys = num_standby_replicas
        self._prepare_topics = prepare_topics
        self._stateful = stateful_subtopologies or (lambda: set())

    def subscription_user_data(self, topics: list[str]) -> bytes | None:
        return self._subscription_info().encode()

    def on_assignment(self, assignment: Assignment, generation: int) -> None:
        self._on_assignment(AssignmentInfo.decode(assignment.user_data), list(assignment.partitions), generation)

    def assign(self, subscriptions: Mapping[str, Subscription], partitions: Mapping[str, int]) -> dict[str, Assignment]:
        topology = self._topology()
        infos = {m: SubscriptionInfo.decode(s.user_data) for m, s in subscriptions.items()}
        counts = dict(partitions)
        if any(i.shutdown_requested for i in infos.values()):
            return self._error(subscriptions, SHUTDOWN_REQUESTED)
        missing = [t for t in topology.source_topics() if t not in topology.repartition_topics and counts.get(t, 0) <= 0]
        if missing:
            log.error("Source topics %s are missing: every thread of the application shuts down", missing)
            return self._error(subscriptions, INCOMPLETE_SOURCE_TOPIC_METADATA)
        counts.update(repartition_counts(topology, counts))
        check_copartitioning(topology, counts)
        all_tasks = tasks_for(topology, counts)
        if self._prepare_topics is not None:
            internal = {t: counts[t] for t in topology.repartition_topics}
            for sub in topology.subtopologies:
                n = sum(1 for t in all_tasks if t[0] == sub.id)
                internal.update({t: n for t in sub.changelog_topics})
            self._prepare_topics(internal)
        stateful_subs = self._stateful()
        stateful = {t for t in all_tasks if t[0] in stateful_subs}
        clients: dict[str, _Client] = {}
        for member in sorted(subscriptions):
            info = infos[member]
            pid = info.process_id or member
            c = clients.setdefault(pid, _Client(pid, [], info.endpoint))
            c.consumers.append(member)
            for t in info.prev_tasks:
                c.prev_active[t] = member
            c.offset_sums.update(info.task_offset_sums)
        assign_tasks(clients, list(all_tasks), stateful, self._num_standbys)
        by_host: dict[str, list[TP]] = {}
        standby_by_host: dict[str, list[TP]] = {}
        for c in clients.values():
            if c.endpoint:
                by_host.setdefault(c.endpoint, []).extend(tp for t in c.active for tp in all_tasks[t])
                standby_by_host.setdefault(c.endpoint, []).extend(tp for t in c.standby for tp in all_tasks[t])
        out: dict[str, Assignment] = {}
        for c in clients.values():
            actives = _spread(c, c.active, sticky=True)
            standbys = _spread(c, c.standby, sticky=False)
            for member in c.consumers:
                info_out = AssignmentInfo(
                    active_tasks={t: all_tasks[t] for t in actives[member]},
                    standby_tasks={t: all_tasks[t] for t in standbys[member]},
                    partitions_by_host=by_host,
                    standby_partitions_by_host=standby_by_host,
                    partition_counts=counts,
                )
                tps = sorted(tp for t in actives[member] for tp in all_tasks[t])
                out[member] = Assignment(tps, info_out.encode())
        log.info(
            "Assigned tasks %s to clients as %s",
            sorted(task_str(t) for t in all_tasks),
            {c.process_id: sorted(task_str(t) for t in c.active) for c in clients.values()},
        )
        return out

    @staticmethod
    def _error(subscriptions: Mapping[str, Subscription], code: int) -> dict[str, Assignment]:
        return {m: Assignment([], AssignmentInfo(error=code).encode()) for m in subscriptions}
