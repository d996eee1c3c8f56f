"""Wall-clock jumps on one broker at a time (an hour forward, an hour back) while an acks=all idempotent producer
and a consumer group of two members run: nothing acknowledged is lost, duplicated or reordered, and the group does not
rebalance (sessions are timed on the steady clock, as Kafka times them on a monotonic timer). The brokers run
on strom.testing.faults.clock, the clock the storage, cluster and coordination layers take, with an offset a
test sets per broker. The coordinators' unit tests (tests/unit/broker/test_coordinator_clock_jumps.py) are
the CI slice of this fault class."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.faults.cluster import NetnsCluster
from tests.faults.netfault_harness import FaultRun, assert_ok, running_cluster

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300), pytest.mark.slow]

HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def jumping_cluster() -> Iterator[NetnsCluster]:
    yield from running_cluster(jumping_clocks=True)


def test_wall_clock_jumps_lose_nothing_and_rebalance_no_group(jumping_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(jumping_cluster, "clock-jumps", tmp_path, seed=27).start(members=2)
    wait_assigned = time.monotonic() + 30
    while sum(c.assignments for c in run.consumers) < 3 and time.monotonic() < wait_assigned:
        time.sleep(0.1)  # the first member alone, then both
    time.sleep(2.0)
    assignments = sum(c.assignments for c in run.consumers)
    for cycle in range(6):
        broker_id = cycle % 3
        offset = HOUR_MS if cycle < 3 else -HOUR_MS
        jumping_cluster.jump_clock(broker_id, offset)
        run.history.fault("clock", f"broker {broker_id} wall clock {offset:+d} ms")
        run.wait_acks(200, message=f"acks after the jump on broker {broker_id}")
        time.sleep(1.0)
    for broker_id in range(3):
        jumping_cluster.jump_clock(broker_id, 0)
    run.history.fault("clock", "every wall clock back to the real time")
    run.stats["recovery_s"] = run.heal_and_recover()
    time.sleep(2.0)
    run.stats["rebalances"] = sum(c.assignments for c in run.consumers) - assignments
    assert_ok(run, run.finish())
    assert run.stats["rebalances"] == 0, "a clock jump made the group rebalance"


MEMBER = """
import sys, confluent_kafka as ck
c = ck.Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "session.timeout.ms": 10000,
                 "auto.offset.reset": "earliest"})
c.subscribe([sys.argv[3]], on_assign=lambda consumer, parts: print("assigned", flush=True))
while True:
    c.poll(0.2)
"""


def test_a_member_killed_after_the_clock_went_back_is_expired_within_its_session(jumping_cluster: NetnsCluster, tmp_path: Path) -> None:
    """Every broker's wall clock an hour back, then a member dies without leaving (kill -9): the group
    rebalances within session.timeout.ms (10 s), not an hour later."""
    run = FaultRun(jumping_cluster, "clock-back", tmp_path, seed=28).start()
    group = f"{run.topic}-group"
    member = subprocess.Popen(
        [sys.executable, "-c", MEMBER, jumping_cluster.bootstrap, group, run.topic], stdout=subprocess.PIPE, text=True
    )
    try:
        assert member.stdout is not None and member.stdout.readline().startswith("assigned")
        deadline = time.monotonic() + 30
        while run.consumer.assignments < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the rebalance that let the second member in
        time.sleep(1.0)
        before = run.consumer.assignments
        assert before == 2
        for broker_id in range(3):
            jumping_cluster.jump_clock(broker_id, -HOUR_MS)
        run.history.fault("clock", "every broker's wall clock -1 h")
        time.sleep(1.0)
        member.kill()
        run.history.fault("kill", "the second group member, kill -9")
        killed = time.monotonic()
        deadline = killed + 30
        while run.consumer.assignments == before and time.monotonic() < deadline:
            time.sleep(0.1)
        run.stats["member_expired_after_s"] = round(time.monotonic() - killed, 1)
        assert run.consumer.assignments > before, "the dead member was not expired within 30 s"
    finally:
        member.kill()
        member.wait()
        if member.stdout is not None:
            member.stdout.close()
        for broker_id in range(3):
            jumping_cluster.jump_clock(broker_id, 0)
    assert_ok(run, run.finish())
