"""KIP-848 groups survive a broker kill -9: their epochs, members and assignments are records in
__consumer_offsets (key versions 3-8, Kafka 3.9's formats, which Kafka's own DumpLogSegments decodes), so the
restarted coordinator resumes the group where it was instead of making every member rejoin."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient

from strom.protocol.errors import ErrorCode
from strom.testing.apache_kafka import TOOLS, java_command
from strom.testing.broker import BrokerProcess

from .test_groups_consumer_protocol import OVERRIDES, PARTITIONS, consumer, describe, new_topic, owned, poll_until, produce, split


def _members(d: Any) -> dict[str, tuple[int, list[int]]]:
    return {m.member_id: (m.member_epoch, sorted(p for tp in m.assignment.topic_partitions for p in tp.partitions)) for m in d.members}


def _decoded_records(kafka_tool: Any, broker: BrokerProcess) -> list[dict[str, Any]]:
    """Every record of __consumer_offsets as Kafka 3.9's `kafka-dump-log --offsets-decoder` decodes it."""
    segments = sorted(str(s) for s in (broker.base / "data").glob("__consumer_offsets-*/*.log") if s.stat().st_size)
    result = kafka_tool("kafka-dump-log.sh", ["--offsets-decoder", "--files", ",".join(segments)])
    assert result.returncode == 0, result.stderr[-2000:]
    records = []
    for line in result.stdout.splitlines():
        if "| offset:" not in line or " key: " not in line:
            continue
        key_text, _, value_text = line.split(" key: ", 1)[1].partition(" payload: ")
        records.append({"key": json.loads(key_text), "value": None if value_text.strip() == "<DELETE>" else json.loads(value_text)})
    return records


def test_librdkafka_group_resumes_with_its_epoch_and_members_after_kill_9() -> None:
    """Both members stay up across the broker's kill -9; the restarted broker knows them (same ids, same
    epochs, same partitions), so nobody rejoins and no committed record is read again."""
    b = BrokerProcess(overrides=OVERRIDES).start()
    try:
        adm = AdminClient({"bootstrap.servers": b.bootstrap})
        topic = new_topic(adm)
        group = f"cg-restart-{uuid.uuid4().hex[:6]}"
        members = [consumer(b.bootstrap, group, **{"enable.auto.commit": False}) for _ in range(2)]
        for c in members:
            c.subscribe([topic])
        poll_until(members, split(members))
        poll_until(members, lambda: describe(b.bootstrap, group).group_state == "Stable")  # type: ignore[attr-defined]
        produce(b.bootstrap, topic, 30)
        seen: list[bytes] = []
        poll_until(members, lambda: len(seen) >= 30, seen=seen)
        for c in members:
            c.commit(asynchronous=False)
        before = describe(b.bootstrap, group)
        b.kill()
        b.start()
        after = describe(b.bootstrap, group)
        assert (after.group_epoch, after.assignment_epoch) == (before.group_epoch, before.assignment_epoch)  # type: ignore[attr-defined]
        assert _members(after) == _members(before) and after.group_state == "Stable"  # type: ignore[attr-defined]
        produce(b.bootstrap, topic, 12)
        more: list[bytes] = []
        poll_until(members, lambda: len(more) >= 12, seen=more, timeout=60)
        for c in members:
            c.poll(0.5)
        assert sorted(int(v) for v in seen) == list(range(30)) and sorted(int(v) for v in more) == list(range(12))
        end = describe(b.bootstrap, group)
        assert end.group_epoch == before.group_epoch and _members(end) == _members(before)  # type: ignore[attr-defined]
        assert [sorted(owned(c)) for c in members] != [[], []]
        for c in members:
            c.close()  # both leave: the group is Empty, then deleted -- and a restart must not bring it back
        assert describe(b.bootstrap, group).group_state == "Empty"  # type: ignore[attr-defined]
        adm = AdminClient({"bootstrap.servers": b.bootstrap})  # not one backing off from the dead broker
        assert adm.delete_consumer_groups([group])[group].result(10) is None
        b.kill()
        b.start()
        assert describe(b.bootstrap, group).error_code == ErrorCode.GROUP_ID_NOT_FOUND  # type: ignore[attr-defined]
    finally:
        b.close()


def _java_consumer(bootstrap: str, topic: str, group: str) -> subprocess.Popen[str]:
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--group", group, "--consumer-property", "group.protocol=consumer",
            "--consumer-property", "auto.commit.interval.ms=1000", "--consumer-property", "auto.offset.reset=earliest",
            "--property", "print.partition=true", "--property", "print.offset=true"]  # fmt: skip
    return subprocess.Popen(
        java_command(TOOLS["kafka-console-consumer.sh"], args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _committed(admin: AdminClient, group: str, topic: str) -> dict[int, int]:
    request = [ck.ConsumerGroupTopicPartitions(group, [ck.TopicPartition(topic, p) for p in range(PARTITIONS)])]
    result = admin.list_consumer_group_offsets(request)[group].result(10)
    return {tp.partition: tp.offset for tp in result.topic_partitions}


@pytest.mark.java
def test_java_consumer_killed_with_the_broker_resumes_from_committed_offsets(kafka_tool: Any) -> None:
    """A Java 3.9 consumer (group.protocol=consumer) and the broker are killed -9 together. After the restart
    the group is there with its epoch and its (dead) member, as Kafka's tools show it; the records on disk
    are Kafka's own formats; a new consumer is assigned once the dead member's session ends and reads from
    the committed offsets: only the uncommitted tail comes again."""
    b = BrokerProcess(overrides=OVERRIDES).start()
    first = second = None
    try:
        adm = AdminClient({"bootstrap.servers": b.bootstrap})
        topic = new_topic(adm)
        group = f"java-restart-{uuid.uuid4().hex[:6]}"
        produce(b.bootstrap, topic, 60)
        first = _java_consumer(b.bootstrap, topic, group)
        deadline = time.monotonic() + 60
        while sum(max(o, 0) for o in _committed(adm, group, topic).values()) < 60:
            assert time.monotonic() < deadline and first.poll() is None, "the first consumer did not commit all 60"
            time.sleep(0.3)
        produce(b.bootstrap, topic, 30)  # offsets 10..14 of each partition: read, perhaps committed
        time.sleep(1.0)
        before = describe(b.bootstrap, group)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        produce(b.bootstrap, topic, 12)  # offsets 15..16: never read by the first consumer
        b.kill()
        b.start()
        after = describe(b.bootstrap, group)
        assert after.group_epoch == before.group_epoch and set(_members(after)) == set(_members(before))  # type: ignore[attr-defined]
        tool = kafka_tool("kafka-consumer-groups.sh", ["--bootstrap-server", b.bootstrap, "--describe", "--group", group, "--members"])
        rows = [line.split() for line in tool.stdout.splitlines() if line.startswith(group)]
        assert [r[1] for r in rows] == [m.member_id for m in after.members] and rows[0][-1] == "6", tool.stdout  # type: ignore[attr-defined]
        adm = AdminClient({"bootstrap.servers": b.bootstrap})  # not one backing off from the dead broker
        committed = _committed(adm, group, topic)
        second = _java_consumer(b.bootstrap, topic, group)
        read: set[tuple[int, int]] = set()
        expected = {(p, o) for p in range(PARTITIONS) for o in range(committed[p], 17)}
        deadline = time.monotonic() + 60
        assert second.stdout is not None
        while read != expected:
            assert time.monotonic() < deadline and second.poll() is None, (sorted(read), sorted(expected))
            line = second.stdout.readline()
            if line.startswith("Partition:"):
                fields = dict(part.split(":", 1) for part in line.split("\t")[:2])
                read.add((int(fields["Partition"]), int(fields["Offset"])))
                assert (int(fields["Partition"]), int(fields["Offset"])) in expected, f"read {line!r}, committed {committed}"
        d = describe(b.bootstrap, group)
        assert d.group_epoch > before.group_epoch and len(d.members) == 1  # type: ignore[attr-defined]
        # on disk: Kafka's decoder reads the group's records, the dead member's with tombstones
        records = _decoded_records(kafka_tool, b)
        types = {r["key"]["type"] for r in records if r["key"]["data"].get("groupId") == group}
        assert {"3", "4", "5", "6", "7", "8"} <= types, types
        epochs = [r["value"]["data"]["epoch"] for r in records if r["key"]["type"] == "3" and r["key"]["data"]["groupId"] == group]
        assert epochs[-1] == d.group_epoch  # type: ignore[attr-defined]
        dead = next(iter(_members(before)))
        gone = [r for r in records if r["key"]["data"].get("memberId") == dead and r["value"] is None]
        assert {r["key"]["type"] for r in gone} == {"5", "7", "8"}
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
        b.close()
