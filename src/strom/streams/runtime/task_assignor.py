"""HighAvailabilityTaskAssignor (KIP-441): tasks over the application's clients (processes), as Kafka Streams 2.6+.

1. Active tasks are spread in balance over the clients' threads, each kept on its previous owner while that owner
   is within its share (stateful tasks first, then stateless ones).
2. A stateful task whose balanced place is a client that is not caught up (its changelog lag is above
   `acceptable.recovery.lag`) stays on a caught-up client (its previous owner first) and the balanced place gets a
   warm-up replica (a standby that restores), at most `max.warmup.replicas` of them in one rebalance; a probing
   rebalance every `probing.rebalance.interval.ms` moves the task once its warm-up has caught up.
3. `num.standby.replicas` standbys of each stateful task on other clients, those with the most state first.
4. A standby placed on a client that is not caught up while a more caught-up client has no copy of the task moves
   to the least loaded such client (caught up first, else the most caught up), and the placed client keeps it as a
   warm-up while warm-ups are left: a probing rebalance moves it back once it has caught up (Java's
   TaskMovement.assignStandbyTaskMovements).
With no caught-up client at all, the task goes to the client with the least lag (the most caught up), and with
no state anywhere (a new application) the balanced place wins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from strom.streams.runtime.assignment_info import LATEST_OFFSET, UNKNOWN_OFFSET_SUM, Task

log = logging.getLogger("org.apache.kafka.streams.processor.internals.assignment.HighAvailabilityTaskAssignor")

UNKNOWN_LAG = 2**62  # no state for the task on the client


@dataclass(slots=True)
class ClientState:
    """One client (process) as the assignor sees it: its threads, what it ran, how far behind its state is."""

    capacity: int  # its stream threads (consumers) in this rebalance
    prev_active: set[Task] = field(default_factory=set)
    prev_standby: set[Task] = field(default_factory=set)
    lags: dict[Task, int] = field(default_factory=dict)  # stateful task -> changelog lag (0: caught up as active)
    active: set[Task] = field(default_factory=set)
    standby: set[Task] = field(default_factory=set)
    warmup: set[Task] = field(default_factory=set)  # standbys placed to catch up before their task moves here

    def lag(self, task: Task) -> int:
        return self.lags.get(task, UNKNOWN_LAG)

    def load(self) -> float:
        return (len(self.active) + len(self.standby)) / max(self.capacity, 1)

    def active_load(self) -> float:
        return len(self.active) / max(self.capacity, 1)


def task_lags(offset_sums: Mapping[Task, int], end_offset_sums: Mapping[Task, int]) -> dict[Task, int]:
    """A client's lag per stateful task from its subscription's offset sums and the changelogs' end offset sums."""
    out: dict[Task, int] = {}
    for task, end in end_offset_sums.items():
        s = offset_sums.get(task)
        if s is None or s == UNKNOWN_OFFSET_SUM:
            out[task] = UNKNOWN_LAG if s is None else max(end, 0)
        elif s == LATEST_OFFSET:
            out[task] = 0
        else:
            out[task] = max(end - s, 0)
    return out


@dataclass(frozen=True, slots=True)
class AssignmentConfigs:
    num_standby_replicas: int = 0
    acceptable_recovery_lag: int = 10000
    max_warmup_replicas: int = 2


def assign(clients: Mapping[str, ClientState], tasks: Iterable[Task], stateful: set[Task], configs: AssignmentConfigs) -> bool:
    """Fills each client's active, standby and warmup sets; returns whether a probing rebalance is needed."""
    order = sorted(clients)
    all_tasks = sorted(tasks)
    if not order:
        return False
    stateful_tasks = [t for t in all_tasks if t in stateful]
    stateless_tasks = [t for t in all_tasks if t not in stateful]
    _balanced_sticky(clients, order, stateful_tasks, by_lag=True)
    _assign_standbys(clients, order, stateful_tasks, configs.num_standby_replicas)
    warmups_left = [configs.max_warmup_replicas]
    moved = _keep_on_caught_up_clients(clients, order, stateful_tasks, configs, warmups_left)
    moved += _move_standbys_to_caught_up_clients(clients, order, stateful_tasks, configs, warmups_left)
    _balanced_sticky(clients, order, stateless_tasks, by_lag=False)
    if moved:
        warmups = {c: sorted(clients[c].warmup) for c in order if clients[c].warmup}
        log.info("Decided on assignment with warm-ups %s; a probing rebalance follows", warmups)
    return moved > 0


def _balanced_sticky(clients: Mapping[str, ClientState], order: list[str], tasks: list[Task], by_lag: bool) -> None:
    """Tasks over the clients in proportion to their threads, counting what they already hold: a previous owner
    keeps its tasks up to its floor share, the rest go to the least loaded client (its previous owner on a tie,
    then the one with the least lag when stateful)."""
    total_capacity = sum(clients[c].capacity for c in order) or 1
    goal = sum(len(clients[c].active) for c in order) + len(tasks)
    rest: list[Task] = []
    for task in tasks:
        owner = next((c for c in order if task in clients[c].prev_active), None)
        if owner is not None and len(clients[owner].active) < goal * clients[owner].capacity // total_capacity:
            clients[owner].active.add(task)
        else:
            rest.append(task)
    for task in rest:

        def rank(c: str, task: Task = task) -> tuple[float, bool, int, str]:
            after = (len(clients[c].active) + 1) / max(clients[c].capacity, 1)
            return (after, task not in clients[c].prev_active, clients[c].lag(task) if by_lag else 0, c)

        clients[min(order, key=rank)].active.add(task)


def _keep_on_caught_up_clients(
    clients: Mapping[str, ClientState], order: list[str], tasks: list[Task], configs: AssignmentConfigs, warmups_left: list[int]
) -> int:
    """Stateful tasks placed on a lagging client go back to a caught-up one, as Java's TaskMovement: one holding a
    standby of the task (they swap), else the least loaded caught-up client; with none caught up, to the client
    with the least lag if it has less than the placed one. The lagging client gets a warm-up (unless it already
    has a standby of the task, which warms it up as well)."""
    moved = 0
    movements: list[tuple[int, Task, str]] = []
    for task in tasks:
        dest = next(c for c in order if task in clients[c].active)
        caught_up = [c for c in order if clients[c].lag(task) <= configs.acceptable_recovery_lag]
        if dest in caught_up:
            continue
        if caught_up or min(clients[c].lag(task) for c in order) < clients[dest].lag(task):
            movements.append((len(caught_up), task, dest))
    for _, task, dest in sorted(movements):  # the tasks with the fewest caught-up clients first, as Java
        caught_up = [c for c in order if clients[c].lag(task) <= configs.acceptable_recovery_lag]
        if caught_up:
            with_standby = [c for c in caught_up if task in clients[c].standby]
            pool = with_standby or caught_up
            source = min(pool, key=lambda c: (clients[c].active_load(), task not in clients[c].prev_active, c))
        else:
            source = min(order, key=lambda c: (clients[c].lag(task), clients[c].active_load(), c))
        clients[dest].active.discard(task)
        clients[source].active.add(task)
        moved += 1
        if task in clients[source].standby:  # the caught-up standby becomes the active: the standby goes to dest
            clients[source].standby.discard(task)
            clients[dest].standby.add(task)
        elif task not in clients[dest].standby and warmups_left[0] > 0:
            clients[dest].standby.add(task)
            clients[dest].warmup.add(task)
            warmups_left[0] -= 1
    return moved


def _move_standbys_to_caught_up_clients(
    clients: Mapping[str, ClientState], order: list[str], tasks: list[Task], configs: AssignmentConfigs, warmups_left: list[int]
) -> int:
    """Standbys (not warm-ups) on clients that would have to restore, while a more caught-up client holds no copy
    of the task, move there: the least loaded caught-up client, else the most caught-up one ahead of the placed
    client. The placed client keeps the standby as a warm-up while warm-ups are left (a probing rebalance hands
    it back once caught up); else it loses it."""
    caught_up = {t: [c for c in order if clients[c].lag(t) <= configs.acceptable_recovery_lag] for t in tasks}
    by_lag = {t: _clients_by_lag(clients, order, t) for t in tasks}
    movements: list[tuple[int, Task, str]] = []
    for dest in order:
        for task in sorted(clients[dest].standby):
            if task in clients[dest].warmup or task not in caught_up or dest in caught_up[task]:
                continue
            if clients[by_lag[task][0]].lag(task) < clients[dest].lag(task):
                movements.append((len(caught_up[task]), task, dest))
    moved = 0
    for _, task, dest in sorted(movements):  # the tasks with the fewest caught-up clients first, as Java

        def eligible(c: str, task: Task = task) -> bool:
            return task not in clients[c].active and task not in clients[c].standby

        candidates = [c for c in caught_up[task] if eligible(c)]
        source = min(candidates, key=lambda c: (clients[c].load(), c)) if candidates else None
        if source is None:
            for c in by_lag[task]:  # the most caught-up eligible client ahead of the destination
                if c == dest:
                    break
                if eligible(c):
                    source = c
                    break
        if source is None:
            continue  # every more caught-up client already has a copy of the task
        clients[source].standby.add(task)
        moved += 1
        if warmups_left[0] > 0:
            clients[dest].warmup.add(task)  # stays as a warm-up
        else:
            clients[dest].standby.discard(task)
        warmups_left[0] -= 1
    return moved


def _clients_by_lag(clients: Mapping[str, ClientState], order: list[str], task: Task) -> list[str]:
    return sorted(order, key=lambda c: (clients[c].lag(task), c))


def _assign_standbys(clients: Mapping[str, ClientState], order: list[str], tasks: list[Task], replicas: int) -> None:
    if replicas <= 0:
        return
    for task in tasks:
        for _ in range(replicas):
            candidates = [c for c in order if task not in clients[c].active and task not in clients[c].standby]
            if not candidates:
                break
            chosen = min(candidates, key=lambda c: (clients[c].lag(task) == UNKNOWN_LAG, clients[c].load(), clients[c].lag(task), c))
            clients[chosen].standby.add(task)
