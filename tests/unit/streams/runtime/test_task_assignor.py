"""HighAvailabilityTaskAssignor (KIP-441): every task active on exactly one client, balance, stickiness, caught-up
clients keep stateful tasks while lagging ones warm up (at most max.warmup.replicas), standbys apart from actives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.streams.runtime import task_assignor as ha

TASKS = [(s, p) for s in range(3) for p in range(6)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, ha.ClientState], list, set, ha.AssignmentConfigs]:
    n_clients = draw(st.integers(1, 5))
    tasks = draw(st.lists(st.sampled_from(TASKS), min_size=0, max_size=len(TASKS), unique=True))
    stateful = {t for t in tasks if draw(st.booleans())}
    clients: dict[str, ha.ClientState] = {}
    owners = {t: draw(st.integers(-1, n_clients - 1)) for t in tasks}
    for i in range(n_clients):
        lags = {t: draw(st.sampled_from([0, 50, 5000])) for t in stateful if draw(st.booleans())}
        prev = {t for t, o in owners.items() if o == i}
        lags.update({t: 0 for t in prev if t in stateful})
        clients[f"c{i}"] = ha.ClientState(capacity=draw(st.integers(1, 3)), prev_active=prev, lags=lags)
    configs = ha.AssignmentConfigs(draw(st.integers(0, 2)), 100, draw(st.integers(1, 3)))
    return clients, tasks, stateful, configs


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_every_task_runs_once_standbys_apart_and_warmups_bounded(scenario: tuple) -> None:
    clients, tasks, stateful, configs = scenario
    ha.assign(clients, tasks, stateful, configs)
    actives = [t for c in clients.values() for t in c.active]
    assert sorted(actives) == sorted(tasks)  # each task active exactly once
    for c in clients.values():
        assert not c.active & c.standby  # never active and standby on one client
        assert c.standby <= stateful
    assert sum(len(c.warmup) for c in clients.values()) <= configs.max_warmup_replicas
    for t in stateful:
        owner = next(n for n, c in clients.items() if t in c.active)
        caught_up = [n for n, c in clients.items() if c.lag(t) <= configs.acceptable_recovery_lag]
        if caught_up:
            assert owner in caught_up  # a stateful task never lands where it must restore while others need not
        else:  # none caught up: the most caught-up client takes it
            assert clients[owner].lag(t) == min(c.lag(t) for c in clients.values())


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5), st.lists(st.integers(1, 3), min_size=1, max_size=5), st.booleans())
def test_without_state_to_protect_actives_are_balanced_by_threads(n_subs: int, capacities: list[int], sticky: bool) -> None:
    tasks = [(s, p) for s in range(n_subs) for p in range(4)]
    clients = {f"c{i}": ha.ClientState(capacity=cap) for i, cap in enumerate(capacities)}
    if sticky:  # everything previously on c0
        clients["c0"].prev_active = set(tasks)
    ha.assign(clients, tasks, set(), ha.AssignmentConfigs())
    loads = [len(c.active) / c.capacity for c in clients.values()]
    assert max(loads) - min(loads) <= 1.0 + 1e-9


def test_a_stable_balanced_assignment_does_not_move() -> None:
    tasks = [(0, p) for p in range(6)]
    prev = {"a": set(tasks[:3]), "b": set(tasks[3:])}
    clients = {n: ha.ClientState(capacity=1, prev_active=set(p), lags={t: 0 for t in p}) for n, p in prev.items()}
    assert not ha.assign(clients, tasks, set(tasks), ha.AssignmentConfigs(num_standby_replicas=0))
    assert {n: c.active for n, c in clients.items()} == prev


def test_a_new_client_gets_warmups_and_the_tasks_stay_until_it_catches_up() -> None:
    tasks = [(0, p) for p in range(4)]
    clients = {"old": ha.ClientState(capacity=1, prev_active=set(tasks), lags={t: 0 for t in tasks}), "new": ha.ClientState(capacity=1)}
    assert ha.assign(clients, tasks, set(tasks), ha.AssignmentConfigs(max_warmup_replicas=2))  # a probing rebalance is needed
    assert clients["old"].active == set(tasks) and len(clients["new"].warmup) == 2 and clients["new"].standby == clients["new"].warmup
    # next probing rebalance: the warm-ups are caught up; they become the new client's actives
    warm = clients["new"].warmup
    again = {
        "old": ha.ClientState(capacity=1, prev_active=set(tasks), lags={t: 0 for t in tasks}),
        "new": ha.ClientState(capacity=1, prev_standby=set(warm), lags={t: 10 for t in warm}),
    }
    assert not ha.assign(again, tasks, set(tasks), ha.AssignmentConfigs(max_warmup_replicas=2))
    assert again["new"].active == warm and again["old"].active == set(tasks) - warm


def test_task_lags_from_offset_sums() -> None:
    ends = {(0, 0): 100, (0, 1): 100, (0, 2): 100, (0, 3): 100}
    lags = ha.task_lags({(0, 0): -2, (0, 1): 40, (0, 2): -3}, ends)
    assert lags == {(0, 0): 0, (0, 1): 60, (0, 2): 100, (0, 3): ha.UNKNOWN_LAG}


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_an_assignment_given_again_to_the_same_clients_stays_as_it_is(scenario: tuple) -> None:
    """Stickiness: once the warm-ups are done (every client caught up on what it was given), a rebalance with the
    same clients moves nothing."""
    clients, tasks, stateful, configs = scenario
    probing = ha.assign(clients, tasks, stateful, configs)
    again = {
        n: ha.ClientState(capacity=c.capacity, prev_active=set(c.active), lags={t: 0 for t in (c.active | c.standby) & stateful})
        for n, c in clients.items()
    }
    first = {n: c.active for n, c in clients.items()}
    # warm-ups that caught up take their tasks in this round; after that the assignment is stable
    ha.assign(again, tasks, stateful, configs)
    settled = {
        n: ha.ClientState(capacity=c.capacity, prev_active=set(c.active), lags={t: 0 for t in c.active & stateful})
        for n, c in again.items()
    }
    ha.assign(settled, tasks, stateful, configs)
    assert {n: c.active for n, c in settled.items()} == {n: c.active for n, c in again.items()}
    if not probing:  # nothing was waiting for a warm-up: no stateful task moves
        # (stateless tasks go to the least loaded clients each round, with no stickiness, as Java's assignor does)
        assert {n: c.active & stateful for n, c in again.items()} == {n: a & stateful for n, a in first.items()}


def test_a_standby_placed_where_state_lags_moves_to_a_caught_up_client() -> None:
    """Java's assignStandbyTaskMovements: the standby of t0 lands on the least loaded client, b, whose state is far
    behind, while d is caught up and holds no copy: the standby moves to d, b keeps a warm-up (or, without
    warm-ups left, nothing) and a probing rebalance follows."""
    t0, t1 = (0, 0), (0, 1)

    def clients() -> dict[str, ha.ClientState]:
        return {
            "a": ha.ClientState(capacity=1, prev_active={t0}, lags={t0: 0}),
            "b": ha.ClientState(capacity=1, lags={t0: 50_000}),
            "d": ha.ClientState(capacity=1, prev_active={t1}, lags={t0: 100, t1: 0}),
        }

    warm = clients()
    assert ha.assign(warm, [t0, t1], {t0, t1}, ha.AssignmentConfigs(num_standby_replicas=1, max_warmup_replicas=2))
    assert (warm["a"].active, warm["d"].active) == ({t0}, {t1})
    assert t0 in warm["d"].standby and warm["b"].standby == warm["b"].warmup == {t0}
    cold = clients()
    assert ha.assign(cold, [t0, t1], {t0, t1}, ha.AssignmentConfigs(num_standby_replicas=1, max_warmup_replicas=0))
    assert t0 in cold["d"].standby and cold["b"].standby == set() and not cold["b"].warmup
