"""A broker restarted right after it stopped gets its replicas back: the controller sends the NEW process
LeaderAndIsr, it fetches, and the ISR returns to 3.

The restart is made a "bounce" deterministically: the controller process is paused (SIGSTOP, shorter than its
ZooKeeper session) while the broker goes and comes back, so the controller sees the broker's znode with a new
czxid (broker epoch) at once, never its absence -- Kafka's bounced-broker case, where requests still queued or
being retried for the old process must not stand in for the new process's LeaderAndIsr."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.cluster.conftest import wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(180)]

TOPIC = "bounce"
PARTITIONS = 3
SESSION_MS = 6000


def _states(zk) -> list[dict]:
    return [json.loads(zk.get(f"/brokers/topics/{TOPIC}/partitions/{p}/state")[0]) for p in range(PARTITIONS)]


def _controller(zk) -> int:
    return int(json.loads(zk.get("/controller")[0])["brokerid"])


def _full_isr(zk) -> bool:
    return all(sorted(s["isr"]) == [0, 1, 2] for s in _states(zk))


def _diagnose(cluster, zk, target: int, controller: int) -> str:
    restarted = (cluster.brokers[target].base / "logs" / "server.log").read_text(errors="replace")
    controller_log = (cluster.brokers[controller].base / "logs" / "server.log").read_text(errors="replace")
    controller_log = "\n".join(ln for ln in controller_log.splitlines() if "ReplicaFetcher" not in ln)
    return (
        f"states {_states(zk)}\n--- restarted broker {target}:\n{restarted.rsplit('Connecting to zookeeper', 1)[-1][-3000:]}"
        f"\n--- controller {controller}:\n{controller_log[-5000:]}"
    )


def _bounce_handled(controller_log: str, target: int) -> bool:
    before, seen, after = controller_log.partition(f"broker {target} bounced")
    return bool(seen) and f"new broker(s): [{target}]" in after


def _stop_then_pause(broker, controller_pid: int) -> None:
    """SIGTERM the broker; pause the controller the moment the controlled shutdown succeeded, before the
    broker's ZooKeeper session closes (the broker still stops its listeners and fetchers first)."""
    server_log = broker.base / "logs" / "server.log"
    seen = server_log.read_text(errors="replace").count("Controlled shutdown succeeded")
    broker.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    while server_log.read_text(errors="replace").count("Controlled shutdown succeeded") == seen:
        assert time.monotonic() < deadline, "no controlled shutdown"
        time.sleep(0.001)
    os.kill(controller_pid, signal.SIGSTOP)
    assert broker.proc.wait(20) == 0


@pytest.mark.parametrize("how", ["controlled", "kill9"])
def test_bounced_broker_gets_its_replicas_back(cluster_factory, how: str) -> None:
    cluster = cluster_factory(3, replica_lag_time_max_ms="3000", zookeeper_session_timeout_ms=str(SESSION_MS))
    zk = cluster.zk_client()
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 3)])[TOPIC].result(30)
    wait_until(lambda: all(zk.exists(f"/brokers/topics/{TOPIC}/partitions/{p}/state") for p in range(PARTITIONS)))
    wait_until(lambda: _full_isr(zk), message="full ISR")
    controller = _controller(zk)
    target = next(b for b in (2, 1, 0) if b != controller)
    before = _states(zk)
    led_before = [p for p, s in enumerate(before) if s["leader"] == target]
    epoch = zk.exists(f"/brokers/ids/{target}").czxid
    paused = cluster.brokers[controller].proc
    killed_at = time.monotonic()
    if how == "controlled":
        _stop_then_pause(cluster.brokers[target], paused.pid)
    else:
        cluster.brokers[target].kill()
    try:
        if how == "kill9":  # pause the controller before the dead session expires (the last ping may be 2 s old)
            time.sleep(max(0.0, SESSION_MS / 1000 - 2.5 - (time.monotonic() - killed_at)))
            os.kill(paused.pid, signal.SIGSTOP)
        cluster.brokers[target].start()  # (after a kill -9 it registers once its previous znode expired)
        wait_until(lambda: (s := zk.exists(f"/brokers/ids/{target}")) and s.czxid != epoch, message="re-registered")
    finally:
        os.kill(paused.pid, signal.SIGCONT)
    assert _controller(zk) == controller  # the pause was shorter than the controller's session
    controller_log = cluster.brokers[controller].base / "logs" / "server.log"
    try:
        # "bounced", then the failure handling (ZooKeeper writes), then "new broker(s)"
        wait_until(lambda: _bounce_handled(controller_log.read_text(errors="replace"), target), message="bounce handled")
        wait_until(lambda: _full_isr(zk), timeout=40, message="ISR back to 3")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_diagnose(cluster, zk, target, controller)}") from None
    # as Kafka: the bounced broker was first treated as failed, so what it led moved on at a new leader epoch
    # (to another broker, or back to it once it returned), and its replicas left the ISR and came back
    for p, (old, new) in enumerate(zip(before, _states(zk), strict=True)):
        if p in led_before:
            assert new["leader"] != -1 and new["leader_epoch"] > old["leader_epoch"], (old, new)
    # the restarted process serves the topic's metadata like the others
    md = AdminClient({"bootstrap.servers": cluster.brokers[target].bootstrap}).list_topics(TOPIC, timeout=10)
    assert target in md.brokers and len(md.topics[TOPIC].partitions) == PARTITIONS
