"""The broker's Prometheus endpoint (metrics.prometheus.listener), scraped while real clients produce and consume:
counters move by exactly what the clients did, under the JMX exporter's names for Kafka's MBeans."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from strom.testing.broker import BrokerProcess, free_port

TIMEOUT = 30


@pytest.fixture(scope="module")
def metrics_broker() -> Iterator[tuple[BrokerProcess, str]]:
    port = free_port()
    broker = BrokerProcess(overrides={"metrics.prometheus.listener": f"http://127.0.0.1:{port}"}).start()
    yield broker, f"http://127.0.0.1:{port}/metrics"
    broker.close()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        text = resp.read().decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def create_topic(bootstrap: str, partitions: int = 1, **configs: str) -> str:
    topic = f"metrics-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1, config={k.replace("_", "."): v for k, v in configs.items()})])[topic].result(
        TIMEOUT
    )
    return topic


def produce(bootstrap: str, topic: str, count: int, size: int = 100) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, b"v" * size, key=str(i).encode(), partition=0)
    assert producer.flush(TIMEOUT) == 0


def test_produce_and_fetch_move_the_counters_by_what_the_clients_did(metrics_broker: tuple[BrokerProcess, str]) -> None:
    broker, url = metrics_broker
    topic = create_topic(broker.bootstrap)
    before = scrape(url)
    produce(broker.bootstrap, topic, 500)
    after = scrape(url)
    assert value(after, "kafka_server_brokertopicmetrics_messagesin_total", topic=topic) == 500
    messages_delta = value(after, "kafka_server_brokertopicmetrics_messagesin_total") - value(
        before, "kafka_server_brokertopicmetrics_messagesin_total"
    )
    assert messages_delta == 500  # the all-topics meter too (no other topic is written meanwhile)
    bytes_in = value(after, "kafka_server_brokertopicmetrics_bytesin_total", topic=topic)
    size = value(after, "kafka_log_log_size", topic=topic, partition="0")
    assert bytes_in == size > 500 * 100  # batches appended as they came: bytes in are the log's bytes
    assert value(after, "kafka_log_log_logendoffset", topic=topic, partition="0") == 500
    assert value(after, "kafka_log_log_logstartoffset", topic=topic, partition="0") == 0
    produces = value(after, "kafka_network_requestmetrics_totaltimems_count_total", request="Produce")
    assert produces >= 1
    assert value(after, "kafka_network_requestmetrics_totaltimems", request="Produce", quantile="0.99") > 0
    by_version = sum(
        v for (n, labels), v in after.items() if n == "kafka_network_requestmetrics_requests_total" and ("request", "Produce") in labels
    )
    assert by_version == produces

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"g-{topic}", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = 0
    while got < 500:
        msgs = consumer.consume(500, 5)
        assert msgs, "the consumer read nothing"
        got += sum(1 for m in msgs if m.error() is None)
    consumer.commit(offsets=[TopicPartition(topic, 0, 200)], asynchronous=False)
    fetched = scrape(url)
    consumer.close()
    assert value(fetched, "kafka_server_brokertopicmetrics_bytesout_total", topic=topic) == size  # each batch fetched once
    assert value(fetched, "kafka_network_requestmetrics_totaltimems_count_total", request="FetchConsumer") >= 1
    # kafka-exporter's consumer lag: high watermark minus committed offset
    assert value(fetched, "kafka_consumergroup_current_offset", consumergroup=f"g-{topic}", topic=topic, partition="0") == 200
    assert value(fetched, "kafka_consumergroup_lag", consumergroup=f"g-{topic}", topic=topic, partition="0") == 300
    assert value(fetched, "kafka_consumergroup_lag_sum", consumergroup=f"g-{topic}", topic=topic) == 300
    assert value(fetched, "kafka_topic_partition_current_offset", topic=topic, partition="0") == 500


def test_broker_gauges_and_process_metrics(metrics_broker: tuple[BrokerProcess, str]) -> None:
    broker, url = metrics_broker
    create_topic(broker.bootstrap, partitions=3)
    connections = [socket.create_connection(("127.0.0.1", broker.port), TIMEOUT) for _ in range(3)]
    deadline = time.monotonic() + TIMEOUT
    while True:  # the broker accepts them on its event loop
        samples = scrape(url)
        count = value(samples, "kafka_server_socket_server_metrics_connection_count", listener="PLAINTEXT", networkProcessor="0")
        if count >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for conn in connections:
        conn.close()
    assert count >= 3
    partitions = value(samples, "kafka_server_replicamanager_partitioncount")
    assert partitions >= 3
    assert value(samples, "kafka_server_replicamanager_leadercount") == partitions  # a single broker leads all
    assert value(samples, "kafka_server_replicamanager_underreplicatedpartitions") == 0
    assert value(samples, "kafka_controller_kafkacontroller_activecontrollercount") == 1
    assert value(samples, "kafka_controller_kafkacontroller_offlinepartitionscount") == 0
    assert value(samples, "process_resident_memory_bytes") > 10e6
    assert value(samples, "process_open_fds") > 0
    assert ("strom_eventloop_lag_seconds", ()) in samples


def test_failed_produce_counts_as_failed_and_rejected(metrics_broker: tuple[BrokerProcess, str]) -> None:
    broker, url = metrics_broker
    topic = create_topic(broker.bootstrap, max_message_bytes="1000")
    producer = Producer({"bootstrap.servers": broker.bootstrap, "message.max.bytes": 100000, "retries": 0})
    errors: list[object] = []
    producer.produce(topic, b"x" * 5000, partition=0, on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(TIMEOUT)
    assert errors and errors[0] is not None  # MSG_SIZE_TOO_LARGE
    samples = scrape(url)
    assert value(samples, "kafka_server_brokertopicmetrics_messagesin_total", topic=topic) == 0
    # a record too large is rejected bytes, not a failure of the broker (as Kafka counts it)
    assert value(samples, "kafka_server_brokertopicmetrics_bytesrejected_total", topic=topic) > 5000
    assert value(samples, "kafka_server_brokertopicmetrics_failedproducerequests_total", topic=topic) == 0
    assert value(samples, "kafka_server_brokertopicmetrics_totalproducerequests_total", topic=topic) == 1


def test_a_deleted_topic_takes_its_metrics_along(metrics_broker: tuple[BrokerProcess, str]) -> None:
    broker, url = metrics_broker
    topic = create_topic(broker.bootstrap)
    produce(broker.bootstrap, topic, 10)
    assert value(scrape(url), "kafka_server_brokertopicmetrics_messagesin_total", topic=topic) == 10
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.delete_topics([topic])[topic].result(TIMEOUT)
    samples = scrape(url)
    assert not [key for key in samples if ("topic", topic) in key[1]]
    assert value(samples, "kafka_server_brokertopicmetrics_messagesin_total") >= 10  # the all-topics count stays


def test_only_metrics_path_is_served(metrics_broker: tuple[BrokerProcess, str]) -> None:
    _, url = metrics_broker
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url.replace("/metrics", "/other"), timeout=TIMEOUT)
    assert err.value.code == 404
    err.value.close()


def test_grafana_dashboard_queries_only_metrics_the_broker_serves(metrics_broker: tuple[BrokerProcess, str]) -> None:
    """config/grafana/strom-broker.json: every metric its panels query is one the endpoint serves."""
    _, url = metrics_broker
    dashboard = json.loads((Path(__file__).parents[2] / "config" / "grafana" / "strom-broker.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\b((?:kafka|process|strom)_[a-z_]+)\b", target["expr"])
    }
    served = {name for name, _ in scrape(url)}
    assert len(queried) >= 20
    assert queried <= served, f"queried but not served: {sorted(queried - served)}"


def test_a_failed_log_dir_counts_its_replicas_offline(tmp_path: Path) -> None:
    """OfflineReplicaCount: a write error takes a log dir offline (strom.testing.disk_faults, in-process broker
    with two log dirs); its partitions' replicas are counted offline until a restart."""
    from strom.testing.disk_faults import DiskFaults
    from strom.testing.embedded import EmbeddedBroker

    port = free_port()
    dirs = f"{tmp_path / 'a'},{tmp_path / 'b'}"
    url = f"http://127.0.0.1:{port}/metrics"
    overrides = {"metrics.prometheus.listener": f"http://127.0.0.1:{port}", "log.dirs": dirs, "offsets.topic.num.partitions": "1"}
    with EmbeddedBroker(overrides=overrides) as broker:
        topic = create_topic(broker.bootstrap, partitions=2)
        before = scrape(url)
        assert ("kafka_server_replicamanager_offlinereplicacount", ()) in before
        assert value(before, "kafka_server_replicamanager_offlinereplicacount") == 0
        producer = Producer({"bootstrap.servers": broker.bootstrap, "retries": 0, "linger.ms": 0})
        errors: list[object] = []
        with DiskFaults() as disk:
            disk.fail_writes(1)
            producer.produce(topic, b"x", partition=0, on_delivery=lambda err, msg: errors.append(err))
            assert producer.flush(TIMEOUT) == 0
        assert errors and errors[0] is not None  # KAFKA_STORAGE_ERROR
        after = scrape(url)
        offline = value(after, "kafka_server_replicamanager_offlinereplicacount")
        assert offline >= 1  # partition 0, and whatever else lives in its dir
        online = value(after, "kafka_server_replicamanager_partitioncount")
        assert online + offline == value(before, "kafka_server_replicamanager_partitioncount")
