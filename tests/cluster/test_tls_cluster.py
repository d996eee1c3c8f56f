"""Three brokers with a PLAINTEXT and an SSL listener each, replicating over SSL (inter.broker.listener.name=SSL,
ssl.client.auth=required: every replica fetcher, controller request and AlterIsr presents the broker's
certificate). Clients get the endpoints of the listener they connected on; ZooKeeper holds every endpoint
as Kafka 2.8 writes /brokers/ids/<id>."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.cluster.zookeeper import ZkClient
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates
from strom.testing.zookeeper import ZooKeeperProcess, zookeeper  # noqa: F401 - fixture

pytestmark = pytest.mark.zookeeper


class TlsCluster:
    def __init__(self, zk: ZooKeeperProcess, pki: TestCertificates) -> None:
        self.connect = f"{zk.connect}/strom-tls-{uuid.uuid4().hex[:8]}"
        self.pki = pki
        self.ports = {i: (free_port(), free_port()) for i in range(3)}
        self.brokers = [
            BrokerProcess(
                port=plain,
                overrides={
                    "broker.id": str(i),
                    "zookeeper.connect": self.connect,
                    "zookeeper.session.timeout.ms": "6000",
                    "listeners": f"PLAINTEXT://127.0.0.1:{plain},SSL://127.0.0.1:{tls}",
                    "inter.broker.listener.name": "SSL",
                    "ssl.keystore.type": "PKCS12",
                    "ssl.keystore.location": str(pki.server.p12),
                    "ssl.keystore.password": pki.password,
                    "ssl.truststore.type": "PEM",
                    "ssl.truststore.location": str(pki.ca_pem),
                    "ssl.client.auth": "required",
                    "offsets.topic.replication.factor": "3",
                    "replica.lag.time.max.ms": "60000",
                },
            )
            for i, (plain, tls) in self.ports.items()
        ]

    def ssl_client(self) -> dict[str, str]:
        identity = self.pki.client("CN=app")
        return {
            "bootstrap.servers": ",".join(f"127.0.0.1:{tls}" for _, tls in self.ports.values()),
            "security.protocol": "ssl",
            "ssl.ca.location": str(self.pki.ca_pem),
            "ssl.certificate.location": str(identity.cert_pem),
            "ssl.key.location": str(identity.key_pem),
        }


@pytest.fixture(scope="module")
def tls_cluster(zookeeper: ZooKeeperProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsCluster]:  # noqa: F811
    cluster = TlsCluster(zookeeper, TestCertificates(tmp_path_factory.mktemp("pki")))
    for b in cluster.brokers:
        b.start()
    yield cluster
    for b in cluster.brokers:
        b.close()


def wait_for_brokers(admin: AdminClient, count: int) -> dict[int, tuple[str, int]]:
    deadline = time.monotonic() + 60
    while True:
        md = admin.list_topics(timeout=10)
        if len(md.brokers) == count or time.monotonic() > deadline:
            return {b.id: (b.host, b.port) for b in md.brokers.values()}
        time.sleep(0.2)


def test_replication_over_the_ssl_inter_broker_listener(tls_cluster: TlsCluster) -> None:
    conf = tls_cluster.ssl_client()
    admin = AdminClient(conf)
    # each client is answered with the endpoints of the listener it came on
    assert wait_for_brokers(admin, 3) == {i: ("127.0.0.1", tls) for i, (_, tls) in tls_cluster.ports.items()}
    plain_admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{tls_cluster.ports[0][0]}"})
    assert wait_for_brokers(plain_admin, 3) == {i: ("127.0.0.1", plain) for i, (plain, _) in tls_cluster.ports.items()}

    topic = f"tls-rep-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, 2, 3, config={"min.insync.replicas": "3"})])[topic].result(60)
    producer = ck.Producer({**conf, "acks": "all", "message.timeout.ms": "45000"})
    errors: list[ck.KafkaError] = []
    for i in range(200):
        producer.produce(topic, f"m{i}".encode(), on_delivery=lambda err, _m: errors.append(err) if err else None)
    assert producer.flush(60) == 0 and not errors, errors[:3]  # min.insync.replicas=3: every follower fetched over SSL

    partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
    assert all(sorted(p.isrs) == [0, 1, 2] for p in partitions.values())
    consumer = ck.Consumer({**conf, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = 0
    deadline = time.monotonic() + 60
    while got < 200 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got += 1
    consumer.close()
    assert got == 200


def test_zookeeper_registration_lists_every_endpoint(tls_cluster: TlsCluster) -> None:
    zk = ZkClient(tls_cluster.connect, 10000)
    zk.start()
    try:
        data, _ = zk.get("/brokers/ids/1")
    finally:
        zk.close()
    registration = json.loads(data)
    plain, tls = tls_cluster.ports[1]
    assert registration["endpoints"] == [f"PLAINTEXT://127.0.0.1:{plain}", f"SSL://127.0.0.1:{tls}"]
    assert registration["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT", "SSL": "SSL"}
    assert (registration["host"], registration["port"]) == ("127.0.0.1", plain)


def test_server_log_shows_no_failed_inter_broker_handshake(tls_cluster: TlsCluster) -> None:
    for broker in tls_cluster.brokers:
        log = Path(broker.base / "logs" / "server.log").read_text()
        assert "Failed authentication" not in log
