"""Three brokers replicating over a SASL_PLAINTEXT (and, slow, a SASL_SSL) inter-broker listener (sasl.mechanism.inter.broker.protocol
=PLAIN, the broker's login from the listener's JAAS line), and SCRAM credentials made through one broker that
authenticate on the others within seconds (/config/users/<name> + /config/changes in ZooKeeper)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.cli import kafka_configs
from strom.client.admin import AsyncAdmin
from strom.protocol.errors import KafkaError
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates
from strom.testing.zookeeper import ZooKeeperProcess, zookeeper  # noqa: F401 - fixture

pytestmark = pytest.mark.zookeeper

JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" '
    'user_broker="broker-secret" user_alice="alice-secret";'
)


class SaslCluster:
    def __init__(self, zk: ZooKeeperProcess, protocol: str, pki: TestCertificates | None) -> None:
        self.connect = f"{zk.connect}/strom-sasl-{uuid.uuid4().hex[:8]}"
        self.protocol = protocol
        self.pki = pki
        tls = (
            {
                "ssl.keystore.type": "PKCS12",
                "ssl.keystore.location": str(pki.server.p12),
                "ssl.keystore.password": pki.password,
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(pki.ca_pem),
            }
            if pki is not None
            else {}
        )
        self.ports = {i: (free_port(), free_port()) for i in range(3)}
        self.brokers = [
            BrokerProcess(
                port=plain,
                overrides={
                    "broker.id": str(i),
                    "zookeeper.connect": self.connect,
                    "zookeeper.session.timeout.ms": "6000",
                    "listeners": f"PLAINTEXT://127.0.0.1:{plain},{protocol}://127.0.0.1:{sasl}",
                    "inter.broker.listener.name": protocol,
                    "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
                    "sasl.mechanism.inter.broker.protocol": "PLAIN",
                    f"listener.name.{protocol.lower()}.plain.sasl.jaas.config": JAAS,
                    **tls,
                    "offsets.topic.replication.factor": "3",
                    "replica.lag.time.max.ms": "60000",
                },
            )
            for i, (plain, sasl) in self.ports.items()
        ]

    def sasl_client(
        self, mechanism: str = "PLAIN", user: str = "alice", password: str = "alice-secret", broker: int | None = None
    ) -> dict[str, str]:
        ids = [broker] if broker is not None else list(self.ports)
        conf = {
            "bootstrap.servers": ",".join(f"127.0.0.1:{self.ports[i][1]}" for i in ids),
            "security.protocol": self.protocol,
            "sasl.mechanism": mechanism,
            "sasl.username": user,
            "sasl.password": password,
        }
        if self.pki is not None:
            conf["ssl.ca.location"] = str(self.pki.ca_pem)
        return conf


@pytest.fixture(scope="module", params=["SASL_PLAINTEXT", pytest.param("SASL_SSL", marks=pytest.mark.slow)])
def sasl_cluster(
    request: pytest.FixtureRequest,
    zookeeper: ZooKeeperProcess,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SaslCluster]:
    pki = TestCertificates(tmp_path_factory.mktemp("pki")) if request.param == "SASL_SSL" else None
    cluster = SaslCluster(zookeeper, request.param, pki)
    for b in cluster.brokers:
        b.start()
    yield cluster
    for b in cluster.brokers:
        b.close()


def test_replication_over_the_sasl_inter_broker_listener(sasl_cluster: SaslCluster) -> None:
    conf = sasl_cluster.sasl_client()
    admin = AdminClient(conf)
    deadline = time.monotonic() + 60
    while len(admin.list_topics(timeout=10).brokers) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    topic = f"sasl-rep-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, 2, 3, config={"min.insync.replicas": "3"})])[topic].result(60)
    producer = ck.Producer({**conf, "acks": "all", "message.timeout.ms": "45000"})
    errors: list[ck.KafkaError] = []
    for i in range(100):
        producer.produce(topic, f"m{i}".encode(), on_delivery=lambda err, _m: errors.append(err) if err else None)
    assert producer.flush(60) == 0 and not errors, errors[:3]  # min.insync.replicas=3: every follower fetched over SASL
    partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
    assert all(sorted(p.isrs) == [0, 1, 2] for p in partitions.values())
    for broker in sasl_cluster.brokers:
        log = Path(broker.base / "logs" / "server.log").read_text()
        assert not [line for line in log.splitlines() if "Failed authentication" in line and "SaslServerAuthenticator" in line]


def _login_works(conf: dict[str, str]) -> bool:
    async def go() -> bool:
        admin = AsyncAdmin({**conf, "request.timeout.ms": 10000})
        try:
            await admin.describe_cluster()
            return True
        except KafkaError:
            return False
        finally:
            await admin.close()

    return asyncio.run(go())


def test_scram_credentials_reach_every_broker(sasl_cluster: SaslCluster) -> None:
    plain0 = f"127.0.0.1:{sasl_cluster.ports[0][0]}"
    add = ["--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=dave-secret]"]
    assert kafka_configs.main(["--bootstrap-server", plain0, "--entity-type", "users", "--entity-name", "dave", *add]) == 0
    started = time.monotonic()
    for broker in (1, 2):
        conf = sasl_cluster.sasl_client("SCRAM-SHA-512", "dave", "dave-secret", broker)
        while not _login_works(conf):
            assert time.monotonic() - started < 15, f"broker {broker} did not see the new credential"
            time.sleep(0.3)
    print(f"SCRAM credential usable on brokers 1 and 2 after {time.monotonic() - started:.2f} s")
    assert (
        kafka_configs.main(
            ["--bootstrap-server", plain0, "--entity-type", "users", "--entity-name", "dave", "--alter", "--delete-config", "SCRAM-SHA-512"]
        )
        == 0
    )
    conf = sasl_cluster.sasl_client("SCRAM-SHA-512", "dave", "dave-secret", 2)
    started = time.monotonic()
    while _login_works(conf):
        assert time.monotonic() - started < 15, "broker 2 still accepts a deleted credential"
        time.sleep(0.3)


@pytest.mark.slow
def test_scram_between_brokers(zookeeper: ZooKeeperProcess) -> None:  # noqa: F811
    """sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512: the brokers' own credential is stored through the first
    broker's PLAINTEXT listener before the others start, as Kafka operators do with kafka-configs."""
    connect = f"{zookeeper.connect}/strom-scram-{uuid.uuid4().hex[:8]}"
    ports = {i: (free_port(), free_port()) for i in range(3)}
    login = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";'
    brokers = [
        BrokerProcess(
            port=plain,
            overrides={
                "broker.id": str(i),
                "zookeeper.connect": connect,
                "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl}",
                "inter.broker.listener.name": "SASL_PLAINTEXT",
                "sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": login,
                "offsets.topic.replication.factor": "3",
            },
        )
        for i, (plain, sasl) in ports.items()
    ]
    try:
        brokers[0].start()
        for user, password in (("broker", "broker-secret"), ("app", "app-secret")):
            add = ["--alter", "--add-config", f"SCRAM-SHA-512=[password={password}]"]
            assert (
                kafka_configs.main(["--bootstrap-server", brokers[0].bootstrap, "--entity-type", "users", "--entity-name", user, *add]) == 0
            )
        brokers[1].start()
        brokers[2].start()
        conf = {
            "bootstrap.servers": ",".join(f"127.0.0.1:{sasl}" for _, sasl in ports.values()),
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "app",
            "sasl.password": "app-secret",
        }
        admin = AdminClient(conf)
        deadline = time.monotonic() + 60
        while len(admin.list_topics(timeout=10).brokers) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        topic = f"scram-rep-{uuid.uuid4().hex[:8]}"
        admin.create_topics([NewTopic(topic, 2, 3, config={"min.insync.replicas": "3"})])[topic].result(60)
        producer = ck.Producer({**conf, "acks": "all", "message.timeout.ms": "45000"})
        errors: list[ck.KafkaError] = []
        for i in range(50):
            producer.produce(topic, f"m{i}".encode(), on_delivery=lambda err, _m: errors.append(err) if err else None)
        assert producer.flush(60) == 0 and not errors, errors[:3]
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
        assert all(sorted(p.isrs) == [0, 1, 2] for p in partitions.values())
    finally:
        for b in brokers:
            b.close()
