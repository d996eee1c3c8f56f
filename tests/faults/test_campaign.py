"""The long campaign (STROM_SLOW=1): STROM_FAULT_CYCLES cycles (default 100) of network and process faults,
each class picked by the seeded random generator, on one topic, with the producer and the group running
throughout; one history, one verdict. Per class: how many cycles, the longest time to a new leader, the
longest recovery after heal. The figures go to $STROM_FAULT_ARTIFACTS/campaign.json (docs/RELIABILITY.md).

STROM_FAULT_CLASS=<kind> makes every cycle that one class (its own topic, history and verdict, figures in
campaign-<kind>-<system>.json); STROM_FAULT_KAFKA=<version> runs the same cycles against Apache Kafka in
ZooKeeper mode; STROM_FAULT_HOLD scales how long each fault is held (default 1.0); STROM_FAULT_RATE is the
producer's records/s (default 500); STROM_FAULT_PROPS=k=v,k=v adds broker settings (both systems)."""

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
    props = dict(kv.split("=", 1) for kv in os.environ.get("STROM_FAULT_PROPS", "").split(",") if kv)
    yield from running_cluster(**{k.replace(".", "_"): v for k, v in props.items()})


def system() -> str:
    kafka = os.environ.get("STROM_FAULT_KAFKA")
    return f"kafka-{kafka}" if kafka else "strom"


def inject(run: FaultRun, kind: str, hold: float = 1.0) -> float | None:
    """Injects one fault, holds it (random spans times `hold`), and undoes the process faults; returns the
    seconds to a new leader of partition 0 when the fault forces one. The network is healed by the caller."""
    net, rnd = run.cluster.net, run.history.random

    def held(low: float, high: float) -> None:
        time.sleep(rnd.uniform(low, high) * hold)

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
            held(0.0, 3.0)
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
            held(2.0, 12.0)
            return None
        wait_until(lambda: run.leader(0) not in (victim, -1), timeout=60, message=f"a new leader ({kind})")
        elected = time.monotonic() - started
        held(0.0, 3.0)
        return elected
    if kind == "loss-20%":
        for n in BROKERS:
            net.loss(n, [m for m in BROKERS if m != n], 20)
        run.history.fault("loss", "20% between all brokers")
        held(3.0, 10.0)
        return None
    for _ in range(rnd.randint(3, 6)):  # flap: the leader's links cut and healed at random intervals
        net.isolate(node, [*rest, "zk"])
        run.history.fault("partition", f"{node} | {','.join(rest)},zk (flap)")
        held(0.5, 4.0)
        net.heal()
        run.history.fault("heal", "flap")
        held(0.5, 2.0)
    return None


def percentile(values: list[float], q: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(len(values) * q))], 2)


def test_campaign(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    cycles = int(os.environ.get("STROM_FAULT_CYCLES", "100"))
    seed = int(os.environ.get("STROM_FAULT_SEED", "1919"))
    only = os.environ.get("STROM_FAULT_CLASS")
    assert only is None or only in KINDS, f"STROM_FAULT_CLASS must be one of {KINDS}"
    hold = float(os.environ.get("STROM_FAULT_HOLD", "1.0"))
    topic = f"campaign-{only}" if only else "campaign"
    run = FaultRun(netns_cluster, topic, tmp_path, seed=seed).start(rate=float(os.environ.get("STROM_FAULT_RATE", "500")))
    per_kind: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    stuck: list[str] = []
    load_before, started = os.getloadavg(), time.monotonic()
    for cycle in range(cycles):
        kind = only or run.history.random.choice(KINDS)
        cycle_started = time.monotonic()
        try:
            elected = inject(run, kind, hold)
            if elected is not None:
                per_kind[kind]["new_leader_s"].append(elected)
            per_kind[kind]["recovery_s"].append(run.heal_and_recover())
        except AssertionError as exc:
            # saved as it stands; one more chance to recover (a stuck cycle is a result), else the run ends
            run.history.fault("stuck", f"cycle {cycle} ({kind}): {exc}")
            saved = run.save()
            stuck.append(f"cycle {cycle}: {exc}; saved: {saved}")
            try:
                run.heal_and_recover()
            except AssertionError as again:
                raise AssertionError(f"cycle {cycle} ({kind}) stuck twice: {exc}; then {again}; saved: {saved}") from None
        per_kind[kind]["cycle_s"].append(time.monotonic() - cycle_started)
        print(f"cycle {cycle} {kind}: {time.monotonic() - cycle_started:.1f} s, {run.producer.acked} acked", flush=True)
    report = run.finish()
    summary = {
        "system": system(),
        "seed": seed,
        "cycles": cycles,
        "hold": hold,
        "rate": run.producer.rate,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "duration_s": round(time.monotonic() - started),
        "report": report.summary(),
        "acked": report.acked,
        "lost": report.lost_count,
        "divergent": report.divergent_count,
        "duplicated": report.duplicated_count,
        "reordered": report.reordered_count,
        "commits_backwards": report.commits_backwards_count,
        "unknown": run.stats["unknown"],
        "stuck": stuck,
        "longest_ack_gap_s": run.stats["longest_ack_gap_s"],
        "kinds": {
            kind: {"cycles": len(v["cycle_s"])}
            | {f"max_{name}": round(max(values), 2) for name, values in v.items()}
            | {f"p50_{name}": percentile(values, 0.5) for name, values in v.items()}
            for kind, v in sorted(per_kind.items())
        },
    }
    target = Path(os.environ.get("STROM_FAULT_ARTIFACTS", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    name = f"campaign-{only}-{system()}.json" if only else "campaign.json"
    (target / name).write_text(json.dumps(summary, indent=1))
    print("campaign:", json.dumps(summary))
    assert not stuck, stuck
    assert_ok(run, report)
