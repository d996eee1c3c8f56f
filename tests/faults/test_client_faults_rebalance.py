"""Consumer group members killed with kill -9 in the middle of a rebalance (confluent-kafka and Strom's consumer).

Members are processes (tests/faults/group_member.py) that commit synchronously what they consumed. Each cycle
starts a new member, waits until the group is rebalancing, and kills a member (seeded: an old one or the
newcomer, at once or a moment later) while it is. An acks=all idempotent producer writes throughout. The
history checker then finds: no acknowledged record lost, no committed offset read back below an acknowledged
commit, and no record below the group's commits that no member consumed (at least once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess
from strom.testing.faults.checker import check
from strom.testing.faults.history import Event, History
from strom.testing.faults.workload import RecordingProducer, observe_committed, read_back
from tests.cluster.conftest import wait_until

CYCLES = int(os.environ.get("STROM_FAULT_CYCLES", "5"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300 + 60 * CYCLES)]

PARTITIONS = 6
REBALANCING = (ConsumerGroupState.PREPARING_REBALANCING, ConsumerGroupState.COMPLETING_REBALANCING)
ROOT = Path(__file__).resolve().parents[2]


class Members:
    """The group's member processes and the events they wrote."""

    def __init__(self, client: str, bootstrap: str, group: str, topic: str, history: History, out: Path) -> None:
        self.client, self.bootstrap, self.group, self.topic, self.history, self.out = client, bootstrap, group, topic, history, out
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.count = 0

    def start(self) -> str:
        name = f"c{self.count}"
        self.count += 1
        args = [sys.executable, "-m", "tests.faults.group_member", "--client", self.client, "--bootstrap", self.bootstrap]
        args += ["--group", self.group, "--topic", self.topic, "--name", name, "--out", str(self.out / f"{name}.jsonl")]
        args += ["--started", str(self.history.started)]
        with open(self.out / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            self.procs[name] = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return name

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.kill()
        self.history.fault("kill -9", name)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def events(self) -> list[Event]:
        out = []
        for path in sorted(self.out.glob("c*.jsonl")):
            for line in path.read_text().splitlines():
                if line.endswith("}"):  # a line cut by the kill is dropped
                    out.append(Event(**json.loads(line)))
        return out


def group_state(admin: AdminClient, group: str) -> Any:
    try:
        return admin.describe_consumer_groups([group])[group].result(10).state
    except ck.KafkaException:
        return None


def committed_total(members: Members) -> int:
    return sum(e.offset - 0 for e in _last_commits(members.events()).values())


def _last_commits(events: list[Event]) -> dict[tuple[str, int], Event]:
    last: dict[tuple[str, int], Event] = {}
    for e in events:
        if e.kind == "commit" and ((e.topic, e.partition) not in last or e.offset > last[(e.topic, e.partition)].offset):
            last[(e.topic, e.partition)] = e
    return last


@pytest.mark.parametrize("client", ["confluent", "strom"])
def test_members_killed_mid_rebalance_lose_no_record_for_the_group(client: str, tmp_path: Path) -> None:
    history = History(seed=int(os.environ.get("STROM_FAULT_SEED", "25")))
    topic, group = f"rebalance-{client}", f"rebalance-{client}-group"
    broker = BrokerProcess(overrides={"group.min.session.timeout.ms": "6000"}).start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    members = Members(client, broker.bootstrap, group, topic, history, tmp_path)
    producer = None
    stats: dict[str, Any] = {"kills": []}
    try:
        admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
        conf = {"bootstrap.servers": broker.bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5}
        producer = RecordingProducer(history, ck.Producer(conf), topic, PARTITIONS, rate=300).start()
        for _ in range(3):
            members.start()
        wait_until(lambda: group_state(admin, group) == ConsumerGroupState.STABLE, timeout=60, message="a stable group")
        started = time.monotonic()
        for _ in range(CYCLES):
            newcomer = members.start()
            deadline = time.monotonic() + 20
            while group_state(admin, group) not in REBALANCING and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(history.random.choice([0, 0, 0.2, 0.5, 1.0]))
            victim = history.random.choice(sorted(members.procs))
            state = group_state(admin, group)
            members.kill(victim)
            stats["kills"].append((victim, "newcomer" if victim == newcomer else "member", str(state).rsplit(".", 1)[-1]))
            # the victim's session (6 s) expires, the group settles; keep three members
            wait_until(lambda: group_state(admin, group) == ConsumerGroupState.STABLE, timeout=90, message="the group settles")
            while len(members.procs) < 3:
                members.start()
        stats["cycles_s"] = round(time.monotonic() - started, 1)
        unknown, producer = producer.stop(), None
        assert unknown == 0
        probe = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "probe"})
        ends = {p: probe.get_watermark_offsets(ck.TopicPartition(topic, p), timeout=30)[1] for p in range(PARTITIONS)}
        probe.close()
        # the survivors consume and commit everything
        wait_until(lambda: committed_total(members) >= sum(ends.values()), timeout=120, message="the group committed everything")
        members.stop_all()
        history.extend(members.events())
        final = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "final", "enable.auto.commit": False})
        read_back(history, final, topic, PARTITIONS, ends)
        reader = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
        observe_committed(history, reader, "final", group, [ck.TopicPartition(topic, p) for p in range(PARTITIONS)])
        reader.close()
        report = check(history)
        rereads = len(history.events("consume")) - len([e for e in history.events("consume") if e.process == "final"]) - sum(ends.values())
        print(f"members killed mid-rebalance ({client}): {report.summary()}; kills {stats['kills']}; records read again {rereads}; {stats}")
        assert len(history.events("commit")) > 0 and report.skipped_count == 0 and report.ok, report.summary()
    finally:
        if producer is not None:
            producer.stop(5)
        members.stop_all()
        broker.close()
