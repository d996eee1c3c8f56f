"""The group leader's assignment of connectors and tasks to workers: KIP-415 incremental cooperative
rebalancing (Kafka's IncrementalCooperativeAssignor) and the eager round robin of the `default` protocol.

Incremental rounds only move what must move. The leader compares three views: what is configured (the config
topic), what the members say they run (their JoinGroup metadata), and what it assigned last round. Work of a
deleted connector, and duplicates, are revoked; new work goes to the least loaded workers. Work that was
assigned last round but nobody reports any more is *lost*: its worker left or died. Rather than move it at once,
the leader waits up to scheduled.rebalance.max.delay.ms (members rejoin when the delay ends) so a worker that
restarts gets its work back; when the delay ends the lost work is spread over the workers present. When no delay
is pending, overloaded workers are asked to revoke their excess, which the follow-up rebalance hands to the
others. The leader's memory of the last round is only trusted if that round completed (same generation)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import ClusterConfigState
from strom.connect.runtime.connect_protocol import (
    CONFIG_MISMATCH,
    NO_ERROR,
    ExtendedAssignment,
    WorkerState,
)

log = logging.getLogger("org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeAssignor")


@dataclass
class ConnectorsAndTasks:
    connectors: set[str] = field(default_factory=set)
    tasks: set[ConnectorTaskId] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not self.connectors and not self.tasks

    def copy(self) -> ConnectorsAndTasks:
        return ConnectorsAndTasks(set(self.connectors), set(self.tasks))

    def minus(self, *others: ConnectorsAndTasks) -> ConnectorsAndTasks:
        out = self.copy()
        for o in others:
            out.connectors -= o.connectors
            out.tasks -= o.tasks
        return out

    def union(self, *others: ConnectorsAndTasks) -> ConnectorsAndTasks:
        out = self.copy()
        for o in others:
            out.connectors |= o.connectors
            out.tasks |= o.tasks
        return out


def configured(snapshot: ClusterConfigState) -> ConnectorsAndTasks:
    """Every connector of the config topic and its committed tasks (a STOPPED connector's tasks are none)."""
    out = ConnectorsAndTasks()
    for name in snapshot.connectors():
        out.connectors.add(name)
        out.tasks.update(snapshot.tasks(name))
    return out


def _reported(members: Mapping[str, WorkerState]) -> dict[str, ConnectorsAndTasks]:
    return {m: ConnectorsAndTasks(set(s.assignment.connectors), set(s.assignment.tasks)) for m, s in members.items()}


def _spread_connectors(loads: dict[str, ConnectorsAndTasks], items: Iterable[str]) -> None:
    for item in sorted(items):
        worker = min(loads, key=lambda w: (len(loads[w].connectors), w))
        loads[worker].connectors.add(item)


def _spread_tasks(loads: dict[str, ConnectorsAndTasks], items: Iterable[ConnectorTaskId]) -> None:
    for item in sorted(items):
        worker = min(loads, key=lambda w: (len(loads[w].tasks), w))
        loads[worker].tasks.add(item)


def _balance_revocations(loads: dict[str, ConnectorsAndTasks]) -> dict[str, ConnectorsAndTasks]:
    """Asks workers above their fair share to give up the excess, when some worker is below it: the follow-up
    rebalance assigns what they revoked to the others. Of T items on n workers, the T mod n most loaded workers
    may keep T//n + 1, the others T//n."""
    revoke: dict[str, ConnectorsAndTasks] = {w: ConnectorsAndTasks() for w in loads}
    n = len(loads)
    for kind in ("connectors", "tasks"):
        total = sum(len(getattr(c, kind)) for c in loads.values())
        floor, rem = divmod(total, n)
        if all(len(getattr(c, kind)) >= floor for c in loads.values()):
            continue
        for rank, worker in enumerate(sorted(loads, key=lambda w: (-len(getattr(loads[w], kind)), w))):
            allowed = floor + 1 if rank < rem else floor
            excess = sorted(getattr(loads[worker], kind))[allowed:]
            getattr(revoke[worker], kind).update(excess)
            getattr(loads[worker], kind).difference_update(excess)
    return {w: r for w, r in revoke.items() if not r.is_empty()}


@dataclass
class IncrementalCooperativeAssignor:
    max_delay_ms: int
    previous_assignment: ConnectorsAndTasks = field(default_factory=ConnectorsAndTasks)
    previous_generation: int = -1
    scheduled_rebalance: int = 0  # when held lost work is given away (epoch ms); 0: no delay pending
    delay: int = 0

    def perform_assignment(
        self,
        leader: str,
        leader_url: str,
        config_offset: int,
        snapshot: ClusterConfigState,
        members: Mapping[str, WorkerState],
        generation: int,
        last_completed_generation: int,
        protocol_version: int,
        now_ms: int,
    ) -> dict[str, ExtendedAssignment]:
        """Member id -> its incremental assignment. A member ahead of the leader in the config topic gets
        CONFIG_MISMATCH: everyone reads the topic to its end and rejoins."""
        if any(s.offset > config_offset for s in members.values()):
            log.info("Some members have a newer config offset than the leader's %d: asking all to rejoin", config_offset)
            return {m: ExtendedAssignment(protocol_version, CONFIG_MISMATCH, leader, leader_url, config_offset) for m in members}
        if self.previous_generation != last_completed_generation:
            log.debug("Forgetting the previous assignment: generation %d did not complete", self.previous_generation)
            self.previous_assignment = ConnectorsAndTasks()
        reported = _reported(members)
        active = ConnectorsAndTasks().union(*reported.values())
        want = configured(snapshot)

        deleted = self.previous_assignment.minus(want).union(active.minus(want))
        lost = self.previous_assignment.minus(active, deleted)
        created = want.minus(self.previous_assignment, active)

        revoke: dict[str, ConnectorsAndTasks] = {m: ConnectorsAndTasks() for m in members}
        seen = ConnectorsAndTasks()
        for member in sorted(reported):
            owned = reported[member]
            for c in owned.connectors:
                if c in deleted.connectors or c in seen.connectors:
                    revoke[member].connectors.add(c)
            for t in owned.tasks:
                if t in deleted.tasks or t in seen.tasks:
                    revoke[member].tasks.add(t)
            seen = seen.union(owned)
        nxt = {m: reported[m].minus(revoke[m]) for m in members}

        to_assign = created.copy()
        held = ConnectorsAndTasks()
        if lost.is_empty():
            self.scheduled_rebalance = self.delay = 0
        elif self.scheduled_rebalance > 0 and now_ms >= self.scheduled_rebalance:
            log.info("The scheduled rebalance delay expired: reassigning lost %s", lost)
            to_assign = to_assign.union(lost)
            self.scheduled_rebalance = self.delay = 0
        elif self.max_delay_ms <= 0:
            to_assign = to_assign.union(lost)
        else:
            if self.scheduled_rebalance > 0:
                self.delay = max(0, self.scheduled_rebalance - now_ms)
            else:
                self.delay = self.max_delay_ms
                self.scheduled_rebalance = now_ms + self.delay
            log.info("Holding lost %s for %d ms in case their worker returns", lost, self.delay)
            held = lost

        if self.delay == 0 and to_assign.is_empty() and all(r.is_empty() for r in revoke.values()):
            balance = _balance_revocations(nxt)
            for m, r in balance.items():
                revoke[m] = revoke[m].union(r)

        _spread_connectors(nxt, to_assign.connectors)
        _spread_tasks(nxt, to_assign.tasks)

        self.previous_assignment = ConnectorsAndTasks().union(*nxt.values(), held)
        self.previous_generation = generation
        out: dict[str, ExtendedAssignment] = {}
        for m in members:
            added = nxt[m].minus(reported[m])
            out[m] = ExtendedAssignment(
                protocol_version,
                NO_ERROR,
                leader,
                leader_url,
                config_offset,
                tuple(sorted(added.connectors)),
                tuple(sorted(added.tasks)),
                tuple(sorted(revoke[m].connectors)),
                tuple(sorted(revoke[m].tasks)),
                self.delay,
            )
        return out


def eager_assignment(
    leader: str, leader_url: str, config_offset: int, snapshot: ClusterConfigState, members: Mapping[str, WorkerState]
) -> dict[str, ExtendedAssignment]:
    """The `default` (v0) protocol: every member stopped everything before joining; all work is dealt round
    robin over the members sorted by id, connectors first, then tasks (Kafka's EagerAssignor)."""
    if any(s.offset > config_offset for s in members.values()):
        return {m: ExtendedAssignment(0, CONFIG_MISMATCH, leader, leader_url, config_offset) for m in members}
    order = sorted(members)
    connectors: dict[str, list[str]] = {m: [] for m in order}
    tasks: dict[str, list[ConnectorTaskId]] = {m: [] for m in order}
    want = configured(snapshot)
    for i, c in enumerate(sorted(want.connectors)):
        connectors[order[i % len(order)]].append(c)
    for i, t in enumerate(sorted(want.tasks)):
        tasks[order[i % len(order)]].append(t)
    return {m: ExtendedAssignment(0, NO_ERROR, leader, leader_url, config_offset, tuple(connectors[m]), tuple(tasks[m])) for m in order}
