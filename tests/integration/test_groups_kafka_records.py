"""Strom reads KIP-848 group records as Apache Kafka 3.9 writes them. Kafka's coordinator writes one record per
event (joins, epoch bumps, target and current assignments, tombstones when a member leaves); replaying its
__consumer_offsets segment with Strom's loader must rebuild the group Kafka itself describes."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.coordination.consumer_group import ConsumerGroup
from strom.coordination.consumer_group_records import PARTITION_METADATA, decode_value, group_records, parse_record_key
from strom.coordination.offsets import OffsetStore
from strom.protocol.records import iter_all_records
from strom.testing.apache_kafka import TOOLS, ApacheKafka, KafkaUnavailable, java_command

from .test_groups_consumer_protocol import describe

pytestmark = pytest.mark.java

PARTITIONS = 6


@pytest.fixture(scope="module")
def kafka(kafka_tool: Any) -> Iterator[ApacheKafka]:
    overrides = {"group.coordinator.rebalance.protocols": "classic,consumer", "offsets.topic.num.partitions": "1",
                 "group.consumer.heartbeat.interval.ms": "500", "group.consumer.min.heartbeat.interval.ms": "500"}  # fmt: skip
    k = ApacheKafka(overrides=overrides)
    try:
        k.start()
    except KafkaUnavailable as exc:
        k.close()
        pytest.fail(str(exc))
    yield k
    k.close()


def _consumer(bootstrap: str, topic: str, group: str) -> subprocess.Popen[bytes]:
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--group", group, "--consumer-property", "group.protocol=consumer"]
    return subprocess.Popen(java_command(TOOLS["kafka-console-consumer.sh"], args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _loaded(kafka: ApacheKafka, group: str) -> ConsumerGroup | None:
    """The group as Strom's loader rebuilds it from Kafka's __consumer_offsets-0 segments; and Strom's own
    records for that state must be Kafka's, byte for byte (the partition metadata aside: Kafka adds racks)."""
    store = OffsetStore()
    for segment in sorted((kafka.base / "data" / "__consumer_offsets-0").glob("*.log")):
        for _, record in iter_all_records(segment.read_bytes()):
            store.apply_record(record.key, record.value)
    g = store.consumer_groups.build(group)
    if g is not None:
        kafkas = store.consumer_groups.stored[group]
        ours = group_records(g)
        assert set(ours) == set(kafkas)
        for key, value in ours.items():
            version = parse_record_key(key)[0]
            if version == PARTITION_METADATA:
                topics = [(t.topic_id, t.topic_name, t.num_partitions) for t in decode_value(version, kafkas[key]).topics]
                assert topics == [(t.topic_id, t.topic_name, t.num_partitions) for t in decode_value(version, value).topics]
            else:
                assert value == kafkas[key], (version, value.hex(), kafkas[key].hex())
    return g


def _assigned(parts: Any) -> dict[Any, list[int]]:
    return {tp.topic_id: sorted(tp.partitions) for tp in parts.topic_partitions if tp.partitions}


def _same_as_described(kafka: ApacheKafka, group: str) -> tuple[Any, ConsumerGroup | None]:
    d: Any = describe(kafka.bootstrap, group)
    g = _loaded(kafka, group)
    assert g is not None and (g.group_epoch, g.assignment_epoch) == (d.group_epoch, d.assignment_epoch), (d, g)
    described = {m.member_id: (m.member_epoch, _assigned(m.assignment), _assigned(m.target_assignment), m.client_id,
                               m.subscribed_topic_names) for m in d.members}  # fmt: skip
    loaded = {mid: (m.member_epoch, {t: sorted(p) for t, p in m.assigned.items() if p},
                    {t: sorted(p) for t, p in g.target.get(mid, {}).items() if p}, m.client_id, list(m.subscribed_topic_names))
              for mid, m in g.members.items()}  # fmt: skip
    assert loaded == described
    return d, g


def test_strom_rebuilds_the_group_kafka_describes_from_kafkas_records(kafka: ApacheKafka) -> None:
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    topic = f"kafka-records-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    group = f"kafka-written-{uuid.uuid4().hex[:6]}"
    procs = [_consumer(kafka.bootstrap, topic, group)]
    try:

        def stable_with(n: int) -> bool:
            d: Any = describe(kafka.bootstrap, group)
            return d.error_code == 0 and d.group_state == "Stable" and len(d.members) == n

        def wait(n: int) -> None:
            deadline = time.monotonic() + 60
            while not stable_with(n):
                alive = all(p.poll() is None for p in procs[-n:])
                assert time.monotonic() < deadline and alive, describe(kafka.bootstrap, group)
                time.sleep(0.3)

        wait(1)
        procs.append(_consumer(kafka.bootstrap, topic, group))
        wait(2)  # partitions were revoked from the first member and handed to the second
        d, g = _same_as_described(kafka, group)
        assert d.group_epoch >= 2 and sorted(len(p) for m in g.members.values() for p in m.assigned.values()) == [3, 3]  # type: ignore[union-attr]
        procs[0].send_signal(signal.SIGTERM)  # leaves: Kafka writes its tombstones and a new epoch
        procs[0].wait(30)
        wait(1)
        _same_as_described(kafka, group)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
