"""KIP-618 zombie fencing by the leader, on two Strom workers with exactly.once.source.support=enabled: the first
generation of a connector's tasks gets a tasks-fencing record without a fencing round; when the task configs change,
the leader fences every transactional id of the previous generation before the new tasks produce, so a zombie
producer of a task the new generation no longer has (task 2 of 3, now 2 tasks) can no longer commit. The tasks run
on both workers, so the follower's tasks ask the leader over REST (PUT /connectors/{name}/fence) while the group
rebalances around them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping

import pytest

from strom import Consumer, Producer, TopicPartition
from strom.connect.api import ConfigDef, SourceConnector, SourceRecord, SourceTask, Task
from strom.connect.data import Schema
from strom.testing.broker import BrokerProcess
from tests.integration.test_connect_distributed import Worker, status, wait_for

TOPIC = "fencing-out"


class NumberSource(SourceConnector):
    """tasks.max tasks, each sending `task-<n>:<i>` records, one transaction per poll."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return NumberTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.number": str(n)} for n in range(max_tasks)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


class NumberTask(SourceTask):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.number = int(props["task.number"])
        stored = self.context.offset_storage_reader().offset({"task": self.number})
        self.next = 0 if stored is None else int(stored["i"]) + 1

    def poll(self) -> list[SourceRecord] | None:
        time.sleep(0.2)
        record = SourceRecord(
            {"task": self.number}, {"i": self.next}, TOPIC, None, None, None, Schema.STRING_SCHEMA, f"task-{self.number}:{self.next}"
        )
        self.next += 1
        return [record]

    def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
def cluster(strom_broker: BrokerProcess) -> Iterator[list[Worker]]:
    group = f"fencing-{uuid.uuid4().hex[:6]}"
    extra = {"exactly.once.source.support": "enabled"}
    workers = [Worker(strom_broker.bootstrap, group, extra), Worker(strom_broker.bootstrap, group, extra)]
    yield workers
    for w in workers:
        w.close()


def config_records(bootstrap: str, topic: str) -> list[tuple[str, object]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    out: list[tuple[str, object]] = []
    idle = time.monotonic() + 3
    while time.monotonic() < idle:
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            value = msg.value()
            out.append((msg.key().decode(), None if value is None else json.loads(value)))
            idle = time.monotonic() + 0.8
    consumer.close()
    return out


def fencing_records(bootstrap: str, group: str) -> list[object]:
    return [v for k, v in config_records(bootstrap, f"{group}-configs") if k == "tasks-fencing-eos"]


def running_tasks(w: Worker, name: str, tasks: int) -> bool:
    s = status(w, name)
    return bool(s) and s["connector"]["state"] == "RUNNING" and [t["state"] for t in s["tasks"]] == ["RUNNING"] * tasks


def committed_values(bootstrap: str) -> list[str]:
    """The read_committed values up to the partition's end as it is now (the tasks keep sending after it)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest",
         "isolation.level": "read_committed"}
    )  # fmt: skip
    consumer.subscribe([TOPIC])
    _, end = consumer.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=10)
    values: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = consumer.poll(0.3)
        if msg is not None and msg.error() is None:
            values.append(msg.value().decode())
            if (msg.offset() or 0) >= end - 1:
                break
    consumer.close()
    return values


def test_the_leader_fences_the_previous_generation(cluster: list[Worker], strom_broker: BrokerProcess) -> None:
    w1, w2 = cluster
    bootstrap = strom_broker.bootstrap
    group = w1.props["group.id"]
    config = {
        "connector.class": f"{__name__}.NumberSource",
        "tasks.max": "3",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }
    r = w2.http.put("/connectors/eos/config", json=config)
    assert r.status_code == 201, r.text
    wait_for(lambda: running_tasks(w1, "eos", 3), 90, "3 tasks RUNNING")
    owners = {t["worker_id"] for t in status(w1, "eos")["tasks"]}
    assert owners == {f"127.0.0.1:{w.port}" for w in cluster}  # a follower's tasks ask the leader over REST
    # the first generation: nothing to fence, but a record of how many tasks may now hold transactional ids
    assert wait_for(lambda: fencing_records(bootstrap, group), 30, "a tasks-fencing record") == [{"task-count": 3}]

    # stopped: no task runs; then a zombie of task 2 (a worker cut off from the group) opens a transaction
    assert w1.http.put("/connectors/eos/stop").status_code == 204
    wait_for(lambda: status(w1, "eos").get("connector", {}).get("state") == "STOPPED", 60, "STOPPED")
    wait_for(lambda: not status(w1, "eos")["tasks"], 60, "tasks gone")
    zombie = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{group}-eos-2"})
    zombie.init_transactions(30)
    zombie.begin_transaction()
    delivered: list[object] = []
    zombie.produce(TOPIC, b"zombie", on_delivery=lambda err, msg: delivered.append(err))
    zombie.flush(30)
    assert delivered == [None]  # written, in an open transaction

    # two tasks now: task 2 is not among them, so only the leader's round fences the zombie's transactional id
    assert w2.http.put("/connectors/eos/config", json={**config, "tasks.max": "2"}).status_code == 200
    assert w2.http.put("/connectors/eos/resume").status_code == 202
    wait_for(lambda: running_tasks(w2, "eos", 2), 90, "2 tasks RUNNING")
    assert wait_for(lambda: (r := fencing_records(bootstrap, group)) and r[-1] == {"task-count": 2} and r, 30, "new record")[0] == {
        "task-count": 3
    }
    with pytest.raises(Exception, match="(?i)fenc|epoch"):
        zombie.commit_transaction(30)
    values = wait_for(lambda: (v := committed_values(bootstrap)) and any(x.startswith("task-1:") for x in v) and v, 60, "records")
    assert "zombie" not in values
    # the internal endpoint wants a signed request, as Kafka's
    r = w1.http.put("/connectors/eos/fence")
    assert r.status_code == 400 and "signature" in r.json()["message"], r.text
