"""OffsetFetch v8+ with several groups in one request, as Apache Kafka's Java Admin batches it
(Admin.listConsumerGroupOffsets with a map of groups), against offsets committed by librdkafka."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import java_command
from strom.testing.broker import BrokerProcess

JAVA_SOURCE = """
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

public class MultiGroupOffsets {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        try (Admin admin = Admin.create(props)) {
            Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
            for (int i = 1; i < args.length; i++) specs.put(args[i], new ListConsumerGroupOffsetsSpec());
            ListConsumerGroupOffsetsResult result = admin.listConsumerGroupOffsets(specs);
            for (String group : specs.keySet()) {
                Map<TopicPartition, OffsetAndMetadata> offsets = result.partitionsToOffsetAndMetadata(group).get();
                System.out.println("group " + group + " " + offsets.size());
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
                    System.out.println(group + " " + e.getKey().topic() + " " + e.getKey().partition() + " "
                        + e.getValue().offset() + " " + e.getValue().metadata());
                }
            }
        }
    }
}
"""


@pytest.mark.java
def test_java_admin_fetches_offsets_of_several_groups_in_one_request(
    strom_broker: BrokerProcess, kafka_tool: object, tmp_path: Path
) -> None:
    admin = AdminClient({"bootstrap.servers": strom_broker.bootstrap})
    topic = f"multi-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(10)
    groups = [f"mg-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    commits = {groups[0]: [(0, 5, "first")], groups[1]: [(0, 1, ""), (1, 7, "second")]}  # groups[2]: nothing
    for group, offsets in commits.items():
        c = ck.Consumer({"bootstrap.servers": strom_broker.bootstrap, "group.id": group, "enable.auto.commit": False})
        c.commit(offsets=[ck.TopicPartition(topic, p, o, metadata=m) for p, o, m in offsets], asynchronous=False)
        c.close()
    source = tmp_path / "MultiGroupOffsets.java"
    source.write_text(JAVA_SOURCE)
    proc = subprocess.run(java_command(str(source), [strom_broker.bootstrap, *groups]), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert [line for line in lines if line.startswith("group ")] == [f"group {groups[0]} 1", f"group {groups[1]} 2", f"group {groups[2]} 0"]
    # librdkafka stores the metadata string with its C terminator; Apache Kafka hands it back the same way
    rows = sorted(line.rstrip("\x00 ") for line in lines if not line.startswith("group "))
    expected = sorted(f"{g} {topic} {p} {o} {m}".rstrip() for g, offs in commits.items() for p, o, m in offs)
    assert rows == expected
