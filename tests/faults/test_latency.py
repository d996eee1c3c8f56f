"""Latency (100-500 ms one way, with jitter) and packet loss between brokers, on a 3-broker cluster (RF=3,
min.insync.replicas=2, an acks=all idempotent producer, a consumer group). The inter-broker listener runs
through the delay proxy (strom.testing.faults.delay_proxy, in its own namespace): replication, AlterIsr and
the controller's requests are delayed, clients and ZooKeeper are not; loss is real (nftables drops a random
share of the packets between the brokers and the proxy, and TCP retransmits).

The CI slice runs three short cycles; the campaign (slow) runs STROM_FAULT_CYCLES (100) seeded cycles and
writes its figures to $STROM_FAULT_ARTIFACTS/latency-campaign.json. STROM_FAULT_KAFKA=2.8.1 runs both
against Apache Kafka with the same proxy.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient

from strom.testing.faults.checker import Report
from strom.testing.faults.cluster import PROXY_PORT, NetnsCluster
from strom.testing.faults.delay_proxy import DelayProxy
from tests.faults.netfault_harness import FaultRun, assert_ok, running_cluster, wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]

BROKERS = ["b0", "b1", "b2"]
KINDS = ["delay-all", "delay-leader", "delay+loss", "loss"]


@pytest.fixture(scope="module")
def latency_cluster() -> Iterator[NetnsCluster]:
    running = running_cluster(delay_proxy=True)
    cluster = next(running)
    try:
        wait_until(partial(every_broker_knows_every_broker, cluster), timeout=120, interval=0.5, message="every broker's metadata")
        yield cluster
    finally:
        running.close()


def every_broker_knows_every_broker(cluster: NetnsCluster) -> bool:
    """A broker learns the others from the controller's UpdateMetadata (through the delayed links): until
    then topic creation can answer INVALID_REPLICATION_FACTOR (Apache Kafka's on a loaded machine)."""
    for broker in cluster.brokers.values():
        try:
            if len(AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=5).brokers) < len(cluster.brokers):
                return False
        except ck.KafkaException:
            return False
    return True


def proxy_of(run: FaultRun) -> DelayProxy:
    assert run.cluster.proxy is not None
    return run.cluster.proxy


def ack_latencies(run: FaultRun, since: float, until: float) -> list[float]:
    """Send-to-ack seconds of the records acknowledged between `since` and `until` (history times)."""
    sent = {e.value: e.time for e in run.history.events("send")}
    return [e.time - sent[e.value] for e in run.history.events("ack") if since <= e.time <= until and e.value in sent]


def inject(run: FaultRun, kind: str, delay_ms: float, jitter_ms: float, loss: int) -> str:
    """Puts one fault on the inter-broker links; returns its description. Undone by `heal_and_recover`."""
    proxy, net = proxy_of(run), run.cluster.net
    if kind == "delay-leader":  # the links of partition 0's leader only, both ways
        leader = run.leader(0)
        proxy.delay(delay_ms, jitter_ms, source=net.nodes[run.cluster.node_of(leader)].ip)
        proxy.delay(delay_ms, jitter_ms, port=PROXY_PORT + leader)
        what = f"{delay_ms:.0f}+-{jitter_ms:.0f} ms one way on broker {leader}'s links"
    elif kind in ("delay-all", "delay+loss"):
        proxy.delay(delay_ms, jitter_ms)
        what = f"{delay_ms:.0f}+-{jitter_ms:.0f} ms one way between all brokers"
    else:
        what = ""
    if kind in ("delay+loss", "loss"):
        net.loss("px", BROKERS, loss)
        what = f"{what}, {loss}% loss" if what else f"{loss}% loss between all brokers"
    run.history.fault("latency", f"{what} ({kind})")
    return what


def hold(run: FaultRun, seconds: float) -> dict[str, float]:
    """Keeps the fault for `seconds`; what the producer saw meanwhile: acks, p50/max send-to-ack, ISR."""
    started = run.history.now()
    acked = run.producer.acked
    time.sleep(seconds)
    isr = min(len(run.state(p).isr) for p in range(2))
    lat = ack_latencies(run, started, run.history.now())
    return {
        "acks": run.producer.acked - acked,
        "ack_p50_s": round(statistics.median(lat), 3) if lat else -1.0,
        "ack_max_s": round(max(lat), 3) if lat else -1.0,
        "min_isr": isr,
    }


def test_latency_and_loss_between_brokers_ci_slice(latency_cluster: NetnsCluster, tmp_path: Path) -> None:
    """Three short cycles: 300+-100 ms on every link, 400 ms on the leader's links, 200 ms with 10% loss.
    Writes keep being acknowledged, each after at least a round trip of the delay (the replication path did
    cross the proxy), nothing acknowledged is lost, and the ISR is whole again after each heal."""
    run = FaultRun(latency_cluster, "latency-slice", tmp_path, seed=1990).start(rate=300)
    observed = []
    for kind, delay_ms, jitter_ms, loss in [("delay-all", 300, 100, 0), ("delay-leader", 400, 50, 0), ("delay+loss", 200, 50, 10)]:
        inject(run, kind, delay_ms, jitter_ms, loss)
        seen = hold(run, 2.5)
        seen["recovery_s"] = round(run.heal_and_recover(), 2)
        observed.append((kind, seen))
    run.stats["cycles"] = observed
    report = run.finish()
    assert_ok(run, report)
    for kind, seen in observed:
        assert seen["acks"] > 0, f"no acks under {kind}: {observed}"
    # acks=all waits for the followers' fetches, which cross the delayed links at least twice
    assert observed[0][1]["ack_p50_s"] >= 0.35, observed
    assert proxy_of(run).stats()["bytes"] > 0


def campaign_summary(
    per_kind: dict[str, dict[str, list[float]]],
    seed: int,
    cycles: int,
    started: float,
    report: Report | None = None,
    longest_ack_gap_s: float | None = None,
) -> dict[str, Any]:
    """The figures per fault class, written to $STROM_FAULT_ARTIFACTS/latency-campaign-<system>.json (with
    `.progress` in the name until the run's verdict is in)."""

    def p50(values: list[float]) -> float:
        return round(sorted(values)[len(values) // 2], 2)

    system = os.environ.get("STROM_FAULT_KAFKA") or "strom"
    summary = {
        "seed": seed,
        "cycles": cycles,
        "kafka": system,
        "duration_s": round(time.monotonic() - started),
        "report": report.summary() if report is not None else None,
        "longest_ack_gap_s": longest_ack_gap_s,
        "kinds": {
            kind: {
                "cycles": len(v["recovery_s"]),
                "cycles_isr_shrunk": sum(1 for x in v["min_isr"] if x < 3),
                "cycles_without_acks": sum(1 for x in v["acks"] if x == 0),
                "cycles_stuck": len(v["stuck"]),
                "p50_ack_p50_s": p50([x for x in v["ack_p50_s"] if x >= 0] or [-1.0]),
                "max_ack_max_s": round(max(v["ack_max_s"]), 2),
                "p50_recovery_s": p50(v["recovery_s"]),
                "max_recovery_s": round(max(v["recovery_s"]), 2),
            }
            for kind, v in sorted(per_kind.items())
        },
    }
    target = Path(os.environ.get("STROM_FAULT_ARTIFACTS", tempfile.gettempdir()))
    target.mkdir(parents=True, exist_ok=True)
    name = f"latency-campaign-{system}.json" if report is not None else f"latency-campaign-{system}.progress.json"
    (target / name).write_text(json.dumps(summary, indent=1))
    return summary


@pytest.mark.slow
@pytest.mark.timeout(6 * 3600)
def test_latency_campaign(latency_cluster: NetnsCluster, tmp_path: Path) -> None:
    cycles = int(os.environ.get("STROM_FAULT_CYCLES", "100"))
    seed = int(os.environ.get("STROM_FAULT_SEED", "1919"))
    run = FaultRun(latency_cluster, "latency-campaign", tmp_path, seed=seed).start()
    rnd = run.history.random
    per_kind: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    started = time.monotonic()
    stop = Path(os.environ.get("STROM_FAULT_ARTIFACTS", tmp_path)) / "stop"  # touch it to end the run early, with a verdict
    for cycle in range(cycles):
        if stop.exists():
            cycles = cycle
            break
        kind = rnd.choice(KINDS)
        delay_ms = rnd.uniform(100, 500)
        jitter_ms = rnd.uniform(0, min(100, delay_ms / 2))
        loss = rnd.randint(5, 30)
        inject(run, kind, delay_ms, jitter_ms, loss)
        seen = hold(run, rnd.uniform(3.0, 8.0))
        for name, value in seen.items():
            per_kind[kind][name].append(value)
        healed = time.monotonic()
        try:
            run.heal_and_recover()
        except AssertionError as exc:  # saved, and given one more recovery: the verdict is the checker's
            run.history.fault("stuck", f"cycle {cycle} ({kind}): {exc}")
            per_kind[kind]["stuck"].append(1)
            print(f"cycle {cycle} ({kind}) stuck: {exc}; saved: {run.save()}")
            try:
                run.heal_and_recover()
            except AssertionError as again:
                raise AssertionError(f"cycle {cycle} ({kind}): {again}; saved: {run.save()}") from None
        per_kind[kind]["recovery_s"].append(time.monotonic() - healed)
        campaign_summary(per_kind, seed, cycle + 1, started)  # what is done so far, readable during a long run
    report = run.finish()
    summary = campaign_summary(per_kind, seed, cycles, started, report, run.stats["longest_ack_gap_s"])
    print("latency campaign:", json.dumps(summary))
    assert_ok(run, report)
