"""Records the fuzzing corpus of tests/faults/test_fuzz_*.py: every request real clients send while they
produce (plain, idempotent, transactional, compressed), consume in groups, commit, and administer topics,
configs, groups and records -- through a recording proxy in front of a Strom broker.

    .venv/bin/python -m tests.faults.record_captures   # rewrites tests/faults/data/client_captures.bin

The file is frames as on the wire (int32 size + request), deduplicated by content; the fuzz tests mutate
them, and add a request of every API key and version no capture covers (encoded from its schema)."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import confluent_kafka as ck
import kafka
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from strom.testing.broker import BrokerProcess
from strom.testing.kafka_proxy import KafkaProxy

CAPTURES = Path(__file__).parent / "data" / "client_captures.bin"


def load_captures() -> list[bytes]:
    data = CAPTURES.read_bytes()
    frames, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack_from(">i", data, pos)
        frames.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return frames


def drive_confluent(bootstrap: str) -> None:
    topic = f"cap-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1, config={"cleanup.policy": "delete"})])[topic].result(10)
    admin.create_partitions([NewPartitions(topic, 4)])[topic].result(10)
    admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "100000"})])
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        p = ck.Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "enable.idempotence": codec == "lz4"})
        for i in range(20):
            p.produce(topic, key=b"k%d" % i, value=b"v%d" % i * 10, headers={"h": b"x"})
        p.flush(10)
    tp = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": f"tx-{topic}"})
    tp.init_transactions(10)
    tp.begin_transaction()
    tp.produce(topic, value=b"in-txn")
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = 0
    while seen < 50:
        msg = consumer.poll(5)
        if msg is None:
            break
        seen += 1
    tp.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata())
    tp.commit_transaction(10)
    consumer.commit(asynchronous=False)
    consumer.committed(consumer.assignment(), 5)
    consumer.offsets_for_times([ck.TopicPartition(topic, 0, 1)], 5)
    consumer.close()
    admin.list_consumer_groups().result(10)
    admin.describe_consumer_groups([f"g-{topic}"])[f"g-{topic}"].result(10)
    admin.delete_records([ck.TopicPartition(topic, 0, 1)])
    admin.describe_cluster().result(10)
    admin.delete_topics([topic])[topic].result(10)


def drive_kafka_python(bootstrap: str) -> None:
    topic = f"kp-{uuid.uuid4().hex[:6]}"
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip")
    for i in range(10):
        producer.send(topic, key=b"k", value=b"v%d" % i)
    producer.flush(10)
    producer.close()
    consumer = kafka.KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}", auto_offset_reset="earliest", consumer_timeout_ms=3000
    )
    for _ in consumer:
        pass
    consumer.commit()
    consumer.close()
    admin = kafka.KafkaAdminClient(bootstrap_servers=bootstrap)
    group = f"g-{topic}"
    calls = [
        lambda: admin.list_groups(),
        lambda: admin.describe_groups([group]),
        lambda: admin.list_group_offsets(group),
        lambda: admin.describe_cluster(),
        lambda: admin.describe_topics([topic]),
        lambda: admin.describe_log_dirs(),
        lambda: admin.describe_acls(
            kafka.admin.ACLFilter(
                None,
                kafka.admin.ACLOperation.ANY,
                kafka.admin.ACLPermissionType.ANY,
                kafka.admin.ResourcePatternFilter(kafka.admin.ResourceType.ANY, None, kafka.admin.ACLResourcePatternType.ANY),
            )
        ),
        lambda: admin.describe_producers([kafka.TopicPartition(topic, 0)]),
        lambda: admin.list_transactions(),
        lambda: admin.describe_features(),
        lambda: admin.describe_user_scram_credentials(),
        lambda: admin.list_partition_reassignments(),
        lambda: admin.describe_topic_partitions([topic]),
        lambda: admin.elect_leaders("PREFERRED", [kafka.TopicPartition(topic, 0)]),
        lambda: admin.delete_group_offsets(group, [kafka.TopicPartition(topic, 0)]),
        lambda: admin.delete_groups([group]),
        lambda: admin.delete_topics([topic]),
    ]
    for call in calls:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - only the requests matter here
            print("kafka-python admin call failed (its request is still captured):", exc)
    admin.close()


def main() -> None:
    with BrokerProcess() as broker:
        proxy = KafkaProxy("127.0.0.1", broker.port).start()
        try:
            drive_confluent(proxy.bootstrap)
            drive_kafka_python(proxy.bootstrap)
        finally:
            proxy.close()
    frames = list(dict.fromkeys(proxy.request_frames))  # first occurrence of each distinct frame, in order
    CAPTURES.parent.mkdir(exist_ok=True)
    CAPTURES.write_bytes(b"".join(struct.pack(">i", len(f)) + f for f in frames))
    keys = sorted({struct.unpack_from(">hh", f)[:2] for f in frames})
    print(f"{len(frames)} distinct requests, {CAPTURES.stat().st_size} bytes, (api key, version): {keys}")


if __name__ == "__main__":
    main()
