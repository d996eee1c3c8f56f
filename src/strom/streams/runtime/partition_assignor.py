"""StreamsPartitionAssignor: the group leader turns subtopologies x partitions into tasks and hands them out.

Each stream thread's consumer subscribes under the assignor name `stream` (protocol type `consumer`) with Kafka
Streams' SubscriptionInfo as user data (strom.streams.runtime.assignment_info: process id, per-task changelog
offset sums, `application.server`, error code), and gets Kafka Streams' AssignmentInfo back, so Java and Strom
instances share one application. The leader
- creates the internal topics (through a callback) and checks co-partitioning,
- computes each client's lag per stateful task from the offset sums and the changelogs' end offsets,
- assigns tasks to clients with the HighAvailabilityTaskAssignor (task_assignor: balance, stickiness, warm-up
  replicas, standbys) and splits each client's tasks over its threads, sticky to the thread that had them,
- under the cooperative protocol (KIP-429), holds back a task whose partitions another consumer still owns: that
  consumer revokes them, and the follow-up rebalance (next rebalance time 0) hands the task over,
- asks for a probing rebalance (`probing.rebalance.interval.ms`) while warm-ups catch up,
- speaks the lowest subscription version in the group and tells every member the version all of them support
  (version probing): a member that sent a newer version than the group speaks downgrades and rejoins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from strom.client.consumer_protocol import Assignment, Subscription
from strom.protocol.types import TP
from strom.streams.runtime import task_assignor as ha
from strom.streams.runtime.assignment_info import (
    EARLIEST_PROBEABLE_VERSION,
    INCOMPLETE_SOURCE_TOPIC_METADATA,
    LATEST_OFFSET,
    LATEST_SUPPORTED_VERSION,
    NO_REBALANCE,
    NONE,
    SHUTDOWN_REQUESTED,
    AssignmentDecodeError,
    AssignmentInfo,
    SubscriptionInfo,
    Task,
    by_partition_order,
)

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StreamsPartitionAssignor")

NAME = "stream"
__all__ = ["LATEST_OFFSET", "NONE", "SHUTDOWN_REQUESTED", "INCOMPLETE_SOURCE_TOPIC_METADATA", "SubscriptionInfo", "AssignmentInfo"]


def task_str(task: Task) -> str:
    return f"{task[0]}_{task[1]}"


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
class ThreadAssignment:
    """What one stream thread got: its tasks with their partitions, and every host's partitions."""

    active_tasks: dict[Task, list[TP]] = field(default_factory=dict)
    standby_tasks: dict[Task, list[TP]] = field(default_factory=dict)
    partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)
    standby_partitions_by_host: dict[str, list[TP]] = field(default_factory=dict)
    partition_counts: dict[str, int] = field(default_factory=dict)
    error: int = NONE
    next_rebalance_ms: int = NO_REBALANCE  # epoch ms of the follow-up rebalance this thread should start (0: now)


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
    endpoint: str
    consumers: list[str] = field(default_factory=list)
    prev_owner: dict[Task, str] = field(default_factory=dict)  # task -> the consumer (thread) that ran it
    prev_standby: dict[Task, set[str]] = field(default_factory=dict)  # task -> consumers that had its state
    offset_sums: dict[Task, int] = field(default_factory=dict)


def _spread(consumers: list[str], tasks: list[Task], prev: Mapping[Task, str], load: dict[str, int]) -> dict[str, list[Task]]:
    """A client's tasks over its threads: each back to the thread that had it while that thread is under its share,
    the rest to the least loaded thread (counting what `load` says each already holds)."""
    out: dict[str, list[Task]] = {c: [] for c in consumers}
    total = len(tasks) + sum(load.get(c, 0) for c in consumers)
    cap = -(-total // max(len(consumers), 1))
    rest: list[Task] = []
    for task in sorted(tasks):
        owner = prev.get(task)
        if owner in out and len(out[owner]) + load.get(owner, 0) < cap:
            out[owner].append(task)
        else:
            rest.append(task)
    for task in rest:
        out[min(out, key=lambda c: (len(out[c]) + load.get(c, 0), c))].append(task)
    for c in consumers:
        load[c] = load.get(c, 0) + len(out[c])
    return out


class StreamsPartitionAssignor:
    """The `stream` assignor object given to each stream thread's consumer (client.assignors protocol)."""

    name = NAME
    supported_protocols: tuple[str, ...] = ("EAGER", "COOPERATIVE")

    def __init__(
        self,
        topology: Callable[[], TopologyMetadata],
        subscription_info: Callable[[], SubscriptionInfo],
        on_assignment: Callable[[ThreadAssignment, list[TP], int], None],
        num_standby_replicas: int = 0,
        prepare_topics: Callable[[dict[str, int]], None] | None = None,
        stateful_subtopologies: Callable[[], set[int]] | None = None,
        end_offsets: Callable[[list[TP]], dict[TP, int]] | None = None,
        acceptable_recovery_lag: int = 10000,
        max_warmup_replicas: int = 2,
        probing_rebalance_interval_ms: int = 600000,
        cooperative: bool = True,
    ) -> None:
        self._topology = topology
        self._subscription_info = subscription_info
        self._on_assignment = on_assignment
        self._configs = ha.AssignmentConfigs(num_standby_replicas, acceptable_recovery_lag, max_warmup_replicas)
        self._prepare_topics = prepare_topics
        self._stateful = stateful_subtopologies or (lambda: set())
        self._end_offsets = end_offsets
        self._probing_interval_ms = probing_rebalance_interval_ms
        if not cooperative:  # upgrade.from an eager version: Java's assignor then offers EAGER only
            self.supported_protocols = ("EAGER",)
        self.used_version = LATEST_SUPPORTED_VERSION
        self._unique = 0

    # -- member side ------------------------------------------------------------------------------------------
    def subscription_user_data(self, topics: list[str]) -> bytes | None:
        info = self._subscription_info()
        self._unique = (self._unique + 1) & 0xFF  # Java's uniqueField: every rejoin's user data differs
        info.version = self.used_version
        info.latest_supported_version = LATEST_SUPPORTED_VERSION
        info.unique_field = self._unique
        return info.encode()

    def on_assignment(self, assignment: Assignment, generation: int) -> None:
        info = AssignmentInfo.decode(assignment.user_data)
        if info.error != NONE:
            self._on_assignment(ThreadAssignment(error=info.error), [], generation)
            return
        next_ms = info.next_rebalance_ms
        if self._probe_versions(info):
            next_ms = 0
        active = info.active_task_partitions(assignment.partitions)
        counts = info.partition_counts()  # every active partition when every instance sets application.server
        result = ThreadAssignment(
            active,
            {t: sorted(tps) for t, tps in info.standby_tasks.items()},
            info.partitions_by_host,
            info.standby_partitions_by_host,
            counts,
            NONE,
            next_ms,
        )
        self._on_assignment(result, list(assignment.partitions), generation)

    def _probe_versions(self, info: AssignmentInfo) -> bool:
        """Version probing as Java's: follow the group's version down, or up once every member supports more."""
        if info.version > self.used_version or info.commonly_supported_version > LATEST_SUPPORTED_VERSION:
            sent = self.used_version
            raise AssignmentDecodeError(f"Sent a version {sent} subscription but got an assignment with version {info.version}")
        if info.version < EARLIEST_PROBEABLE_VERSION:
            return False
        if info.commonly_supported_version > self.used_version:
            log.info("Group's latest commonly supported version is %d: upgrading subscription metadata", info.commonly_supported_version)
            self.used_version = info.commonly_supported_version
            return True
        if info.version < self.used_version:
            log.info("Got a version %d assignment: downgrading subscription metadata and triggering a new rebalance", info.version)
            self.used_version = info.commonly_supported_version
            return True
        return False

    # -- leader side ------------------------------------------------------------------------------------------
    def assign(self, subscriptions: Mapping[str, Subscription], partitions: Mapping[str, int]) -> dict[str, Assignment]:
        infos: dict[str, SubscriptionInfo] = {}
        for member, sub in subscriptions.items():
            try:
                infos[member] = SubscriptionInfo.decode(sub.user_data)
            except AssignmentDecodeError as exc:
                log.error("Member %s sent a subscription that is not Kafka Streams': %s", member, exc)
                raise
        current = [i for i in infos.values() if i.version <= LATEST_SUPPORTED_VERSION]
        min_received = min((i.version for i in infos.values()), default=LATEST_SUPPORTED_VERSION)
        min_received = min(min_received, LATEST_SUPPORTED_VERSION)
        supported = [i.latest_supported_version for i in current if i.latest_supported_version > 0]
        min_supported = min(supported, default=LATEST_SUPPORTED_VERSION)
        min_supported = min(min_supported, LATEST_SUPPORTED_VERSION)
        future = [m for m, i in infos.items() if i.version > LATEST_SUPPORTED_VERSION]
        if future:
            log.info("Received a future (version probing) subscription; sending assignments back with version %d", min_supported)
        if any(i.error_code == SHUTDOWN_REQUESTED for i in infos.values()):
            return self._error(subscriptions, SHUTDOWN_REQUESTED)
        topology = self._topology()
        counts = dict(partitions)
        missing = [t for t in topology.source_topics() if t not in topology.repartition_topics and counts.get(t, 0) <= 0]
        if missing:
            log.error("Source topics %s are missing: every thread of the application shuts down", missing)
            return self._error(subscriptions, INCOMPLETE_SOURCE_TOPIC_METADATA)
        counts.update(repartition_counts(topology, counts))
        check_copartitioning(topology, counts)
        all_tasks = tasks_for(topology, counts)
        changelogs: dict[int, list[str]] = {s.id: sorted(s.changelog_topics) for s in topology.subtopologies}
        if self._prepare_topics is not None:
            internal = {t: counts[t] for t in topology.repartition_topics}
            for subtopology in topology.subtopologies:
                n = sum(1 for t in all_tasks if t[0] == subtopology.id)
                internal.update({t: n for t in subtopology.changelog_topics})
            self._prepare_topics(internal)
        stateful_subs = self._stateful()  # as Java's: a stateful task is one with changelogs (state worth restoring)
        stateful = {t for t in all_tasks if t[0] in stateful_subs and changelogs.get(t[0])}

        clients: dict[str, _Client] = {}
        for member in sorted(subscriptions):
            if member in future:
                continue
            info = infos[member]
            pid = str(info.process_id)
            c = clients.setdefault(pid, _Client(pid, info.endpoint))
            c.consumers.append(member)
            for task, total in info.task_offset_sums.items():
                if total == LATEST_OFFSET:
                    c.prev_owner.setdefault(task, member)
                    c.offset_sums[task] = LATEST_OFFSET
                else:
                    c.prev_standby.setdefault(task, set()).add(member)
                    if c.offset_sums.get(task) != LATEST_OFFSET:
                        c.offset_sums[task] = max(total, c.offset_sums.get(task, total))
        states = self._client_states(clients, all_tasks, stateful, changelogs)
        probing = ha.assign(states, list(all_tasks), stateful, self._configs)

        owned_by = {tp: m for m, s in subscriptions.items() for tp in s.owned_partitions}
        by_host: dict[str, list[TP]] = {}
        standby_by_host: dict[str, list[TP]] = {}
        if min_received >= 2:
            for pid, c in clients.items():
                if c.endpoint:
                    by_host.setdefault(c.endpoint, []).extend(sorted(tp for t in states[pid].active for tp in all_tasks[t]))
                    standby_by_host.setdefault(c.endpoint, []).extend(sorted(tp for t in states[pid].standby for tp in all_tasks[t]))
        leader_pid = str(self._subscription_info().process_id)
        out: dict[str, Assignment] = {}
        followups: list[str] = []
        for pid, c in clients.items():
            state = states[pid]
            load: dict[str, int] = {}
            stateful_active = _spread(c.consumers, sorted(state.active & stateful), c.prev_owner, load)
            standbys = _spread(c.consumers, sorted(state.standby), {t: min(ms) for t, ms in c.prev_standby.items()}, load)
            stateless_active = _spread(c.consumers, sorted(state.active - stateful), {}, load)
            probe_here = probing and pid == leader_pid
            for member in c.consumers:
                held_back: list[Task] = []
                mine: dict[Task, list[TP]] = {}
                for task in stateful_active[member] + stateless_active[member]:
                    if any(owned_by.get(tp, member) != member for tp in all_tasks[task]):
                        held_back.append(task)  # another consumer still owns it: it revokes first (KIP-429)
                    else:
                        mine[task] = all_tasks[task]
                standby = {t: all_tasks[t] for t in standbys[member]}
                for task in held_back:  # state kept warm here until the task arrives in the follow-up
                    if task in stateful and member in c.prev_standby.get(task, set()):
                        standby[task] = all_tasks[task]
                tps, active_list = by_partition_order(mine)
                info_out = AssignmentInfo(
                    active_list,
                    {t: sorted(v) for t, v in sorted(standby.items())},
                    by_host,
                    standby_by_host,
                    version=min_received,
                    commonly_supported_version=min_supported,
                )
                if held_back:
                    names = [task_str(t) for t in held_back]
                    log.info("Removing tasks %s from %s until they are revoked in a followup rebalance", names, member)
                    info_out.next_rebalance_ms = 0
                    followups.append(member)
                elif probe_here:
                    info_out.next_rebalance_ms = int(time.time() * 1000) + self._probing_interval_ms
                    probe_here = False
                out[member] = Assignment(tps, info_out.encode())
        for member in future:
            empty = AssignmentInfo(version=min_received, commonly_supported_version=min_supported)
            out[member] = Assignment([], empty.encode())
        summary = {p: {"active": sorted(map(task_str, s.active)), "standby": sorted(map(task_str, s.standby))} for p, s in states.items()}
        warmups = {p: sorted(map(task_str, s.warmup)) for p, s in states.items() if s.warmup}
        log.info("Assigned tasks to clients as %s%s", summary, f"; warm-ups {warmups}, a probing rebalance follows" if probing else "")
        return out

    def _client_states(
        self, clients: Mapping[str, _Client], all_tasks: Mapping[Task, list[TP]], stateful: set[Task], changelogs: Mapping[int, list[str]]
    ) -> dict[str, ha.ClientState]:
        end_sums: dict[Task, int] = {}
        changelog_tps = {t: [(topic, t[1]) for topic in changelogs.get(t[0], [])] for t in stateful}
        wanted = sorted({tp for tps in changelog_tps.values() for tp in tps})
        ends: dict[TP, int] | None = None
        if self._end_offsets is not None and wanted:
            try:
                ends = self._end_offsets(wanted)
            except Exception as exc:  # Java falls back to the prior-task assignor when the lags cannot be computed
                log.warning("Could not fetch the changelogs' end offsets (%s): assigning by previous ownership only", exc)
        for task, tps in changelog_tps.items():
            end_sums[task] = sum(max(ends.get(tp, 0), 0) for tp in tps) if ends is not None else 0
        states: dict[str, ha.ClientState] = {}
        for pid, c in clients.items():
            if ends is None:  # no lags known: every client holding state counts as caught up
                lags = {t: 0 for t in c.offset_sums if t in stateful}
            else:
                lags = ha.task_lags({t: s for t, s in c.offset_sums.items() if t in stateful}, end_sums)
                lags = {t: lag for t, lag in lags.items() if lag < ha.UNKNOWN_LAG}
            states[pid] = ha.ClientState(
                capacity=len(c.consumers),
                prev_active={t for t in c.prev_owner if t in all_tasks},
                prev_standby={t for t in c.prev_standby if t in all_tasks},
                lags=lags,
            )
        return states

    @staticmethod
    def _error(subscriptions: Mapping[str, Subscription], code: int) -> dict[str, Assignment]:
        return {m: Assignment([], AssignmentInfo(error=code).encode()) for m in subscriptions}
