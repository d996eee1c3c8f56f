"""The long campaign (STROM_SLOW=1): STROM_FAULT_CYCLES cycles (default 100) of network and process faults,
each class picked by the seeded random generator, on one topic, with the producer and the group running
throughout; one history, one verdict. Per class: how many cycles, the longest time to a new leader, the
longest recovery after heal. The figures go to $STROM_FAULT_ARTIFACTS/campaign.json (docs/RELIABILITY.md)."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.faults.cluster import NetnsCluster
from tests.faults.netfault_harness import FaultRun, assert_ok, running_cluster, wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.slow, pytest.mark.timeout(6 * 3600)]

BROKERS = ["b0", "b1", "b2"]
KINDS = [
    "zombie-leader",
    "leader-from-brokers",
    "leader-from-zookeeper",
    "minority",
    "pause-leader",
    "pause-controller",
    "loss-20%",
    "flap",
]


@pytest.fixture(scope="module")
def netns_cluster() -> Iterator[NetnsCluster]:
    yield from running_cluster()


def inject(run: FaultRun, kind: str) -> float | None:
    """Injects one fault, holds it, and undoes the process faults; returns the seconds to a new leader of
    partition 0 when the fault forces one. The network is healed by the caller."""
    net, rnd = run.cluster.net, run.history.random
    victim = run.controller() if kind == "pause-controller" else run.leader(0)
    node = run.cluster.node_of(victim)
    rest = [n for n in BROKERS if n != node]
    started = time.monotonic()
    if kind in ("pause-leader", "pause-controller"):
        broker = run.cluster.brokers[victim]
        broker.pause()
        run.history.fault("pause", f"broker {victim} ({kind})")
        try:
            wait_until(lambda: (run.controller() if kind == "pause-controller" else run.leader(0)) not in (victim, -1), timeout=60)
            return time.monotonic() - started
        finally:
            time.sleep(rnd.uniform(0.0, 3.0))
            broker.resume()
            run.history.fault("resume", f"broker {victim}")
    cut = {
        "zombie-leader": [*rest, "zk"],
        "leader-from-brokers": rest,
        "leader-from-zookeeper": ["zk"],
        "minority": [*rest, "zk", "clients"],
    }.get(kind)
    if cut is not None:
        net.isolate(node, cut)
        run.history.fault("partition", f"{node} | {','.join(cut)} ({kind})")
        if kind == "leader-from-brokers":
            time.sleep(rnd.uniform(2.0, 12.0))
            return None
        wait_until(lambda: run.leader(0) not in (victim, -1), timeout=60, message=f"a new leader ({kind})")
        elected = time.monotonic() - started
        time.sleep(rnd.uniform(0.0, 3.0))
        return elected
    if kind == "loss-20%":
        for n in BROKERS:
            net.loss(n, [m for m in BROKERS if m != n], 20)
        run.history.fault("loss", "20% between all brokers")
        time.sleep(rnd.uniform(3.0, 10.0))
        return None
    for _ in range(rnd.randint(3, 6)):  # flap: the leader's links cut and healed at random intervals
        net.isolate(node, [*rest, "zk"])
        run.history.fault("partition", f"{node} | {','.join(rest)},zk (flap)")
        time.sleep(rnd.uniform(0.5, 4.0))
        net.heal()
        run.history.fault("heal", "flap")
        time.sleep(rnd.uniform(0.5, 2.0))
    return None


def test_campaign(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    cycles = int(os.environ.get("STROM_FAULT_CYCLES", "100"))
    seed = int(os.environ.get("STROM_FAULT_SEED", "1919"))
    run = FaultRun(netns_cluster, "campaign", tmp_path, seed=seed).start()
    per_kind: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    started = time.monotonic()
    for cycle in range(cycles):
        kind = run.history.random.choice(KINDS)
        try:
            elected = inject(run, kind)
            if elected is not None:
                per_kind[kind]["new_leader_s"].append(elected)
            per_kind[kind]["recovery_s"].append(run.heal_and_recover())
        except AssertionError as exc:
            run.history.fault("stuck", f"cycle {cycle} ({kind}): {exc}")
            raise AssertionError(f"cycle {cycle} ({kind}): {exc}; saved: {run.save()}") from None
    report = run.finish()
    summary = {
        "seed": seed,
        "cycles": cycles,
        "duration_s": round(time.monotonic() - started),
        "report": report.summary(),
        "longest_ack_gap_s": run.stats["longest_ack_gap_s"],
        "kinds": {
            kind: {"cycles": len(v["recovery_s"])}
            | {f"max_{name}": round(max(values), 2) for name, values in v.items()}
            | {f"p50_{name}": round(sorted(values)[len(values) // 2], 2) for name, values in v.items()}
            for kind, v in sorted(per_kind.items())
        },
    }
    target = Path(os.environ.get("STROM_FAULT_ARTIFACTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    (target / "campaign.json").write_text(json.dumps(summary, indent=1))
    print("campaign:", json.dumps(summary))
    assert_ok(run, report)
