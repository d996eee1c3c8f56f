"""SASL with Apache Kafka's own Java tools (--command-config / --producer.config / --consumer.config) against
Strom, and the same steps against Apache Kafka 3.9 configured the same way (the reference), on a SASL_PLAINTEXT
and a SASL_SSL listener; Strom's client and tools against Apache Kafka over SASL/PLAIN and SCRAM-SHA-512."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from strom.cli import kafka_configs
from strom.client.admin import AsyncAdmin
from strom.protocol.errors import KafkaError
from strom.testing.apache_kafka import ApacheKafka, KafkaUnavailable, java_available, run_kafka_tool
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates

pytestmark = [pytest.mark.java, pytest.mark.slow]

CONFIG_COMMAND = "kafka.admin.ConfigCommand"
PLAIN_JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
    'user_admin="admin-secret" user_alice="alice-secret";'
)


def sasl_config(sasl_listener: str) -> dict[str, str]:
    """The same server.properties lines for Strom and Apache Kafka."""
    prefix = f"listener.name.{sasl_listener.lower()}"
    return {
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512,OAUTHBEARER",
        "connections.max.reauth.ms": "3000",  # KIP-368: every client here re-authenticates on its connections
        f"{prefix}.plain.sasl.jaas.config": PLAIN_JAAS,
        f"{prefix}.oauthbearer.sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        f"{prefix}.scram-sha-512.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    }


def sasl_ssl_config(pki: TestCertificates) -> dict[str, str]:
    """The SASL_SSL listener's lines, the same for both brokers: SCRAM-SHA-512 inside TLS (server certificate only)."""
    return {
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(pki.server.p12),
        "ssl.keystore.password": pki.password,
    }


@dataclass
class SaslBroker:
    name: str
    plain: str
    sasl: str
    sasl_ssl: str
    ca: Path


@pytest.fixture(scope="module", params=["strom", "kafka"])
def sasl_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslBroker]:
    if not java_available():
        pytest.skip("needs Java and Maven for Apache Kafka's tools")
    pki = TestCertificates(tmp_path_factory.mktemp("pki"))
    sasl_port, ssl_port = free_port(), free_port()
    secured = f"SASL_PLAINTEXT://127.0.0.1:{sasl_port},SASL_SSL://127.0.0.1:{ssl_port}"
    config = {**sasl_config("SASL_PLAINTEXT"), **sasl_ssl_config(pki)}
    process: BrokerProcess | ApacheKafka
    if request.param == "strom":
        plain = free_port()
        process = BrokerProcess(port=plain, overrides={"listeners": f"PLAINTEXT://127.0.0.1:{plain},{secured}", **config}).start()
    else:
        process = ApacheKafka()
        process.props.update(
            {
                "listeners": f"PLAINTEXT://127.0.0.1:{process.port},{secured},CONTROLLER://127.0.0.1:{process.controller_port}",
                "advertised.listeners": f"PLAINTEXT://127.0.0.1:{process.port},{secured}",
                "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
                "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
                **config,
            }
        )
        try:
            process.start()
        except KafkaUnavailable as exc:
            process.close()
            pytest.fail(str(exc))
        plain = process.port
    yield SaslBroker(request.param, f"127.0.0.1:{plain}", f"127.0.0.1:{sasl_port}", f"127.0.0.1:{ssl_port}", pki.ca_pem)
    process.close()


def _properties(tmp: Path, mechanism: str, user: str, password: str, ca: Path | None = None) -> Path:
    """A Java client's properties file: SASL_PLAINTEXT, or SASL_SSL trusting `ca` when given."""
    module = "scram.ScramLoginModule" if mechanism.startswith("SCRAM") else "plain.PlainLoginModule"
    path = tmp / f"{mechanism}-{user}-{uuid.uuid4().hex[:4]}.properties"
    protocol = "security.protocol=SASL_PLAINTEXT\n"
    if ca is not None:
        protocol = f"security.protocol=SASL_SSL\nssl.truststore.type=PEM\nssl.truststore.location={ca}\n"
    path.write_text(
        f"{protocol}sasl.mechanism={mechanism}\n"
        f"sasl.jaas.config=org.apache.kafka.common.security.{module} required \\\n"
        f'    username="{user}" password="{password}";\n'
    )
    return path


def test_java_tools_over_plain_and_scram(sasl_broker: SaslBroker, tmp_path: Path) -> None:
    add = "SCRAM-SHA-512=[iterations=8192,password=alice-secret]"
    users = ["--entity-type", "users", "--entity-name", "alice"]
    out = run_kafka_tool(CONFIG_COMMAND, ["--bootstrap-server", sasl_broker.plain, "--alter", "--add-config", add, *users])
    assert out.returncode == 0 and "Completed updating config for user alice." in out.stdout, out.stderr[-2000:]
    out = run_kafka_tool(CONFIG_COMMAND, ["--bootstrap-server", sasl_broker.plain, "--describe", *users])
    assert "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=8192" in out.stdout, out.stderr[-2000:]

    topic = f"java-sasl-{uuid.uuid4().hex[:6]}"
    plain_props = _properties(tmp_path, "PLAIN", "alice", "alice-secret")
    out = run_kafka_tool(
        "kafka-topics.sh", ["--bootstrap-server", sasl_broker.sasl, "--command-config", str(plain_props), "--create", "--topic", topic]
    )
    assert out.returncode == 0, out.stderr[-2000:]

    scram_props = _properties(tmp_path, "SCRAM-SHA-512", "alice", "alice-secret")
    out = run_kafka_tool(
        "kafka-console-producer.sh",
        ["--bootstrap-server", sasl_broker.sasl, "--producer.config", str(scram_props), "--topic", topic],
        input="one\ntwo\nthree\n",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    args = ["--bootstrap-server", sasl_broker.sasl, "--consumer.config", str(scram_props), "--topic", topic]
    out = run_kafka_tool("kafka-console-consumer.sh", [*args, "--from-beginning", "--max-messages", "3", "--timeout-ms", "60000"])
    assert out.stdout.split() == ["one", "two", "three"], out.stderr[-2000:]

    wrong = _properties(tmp_path, "PLAIN", "alice", "wrong")
    out = run_kafka_tool("kafka-topics.sh", ["--bootstrap-server", sasl_broker.sasl, "--command-config", str(wrong), "--list"])
    assert out.returncode != 0
    assert "Authentication failed: Invalid username or password" in out.stdout + out.stderr


def test_java_tools_over_sasl_ssl_with_scram(sasl_broker: SaslBroker, tmp_path: Path) -> None:
    """Kafka's tools log in with SCRAM-SHA-512 inside TLS (the issue's SASL_SSL check), and a wrong password is refused."""
    users = ["--entity-type", "users", "--entity-name", "bob"]
    add = ["--alter", "--add-config", "SCRAM-SHA-512=[iterations=4096,password=bob-secret]"]
    out = run_kafka_tool(CONFIG_COMMAND, ["--bootstrap-server", sasl_broker.plain, *add, *users])
    assert out.returncode == 0 and "Completed updating config for user bob." in out.stdout, out.stderr[-2000:]

    props = _properties(tmp_path, "SCRAM-SHA-512", "bob", "bob-secret", ca=sasl_broker.ca)
    topic = f"java-sasl-ssl-{uuid.uuid4().hex[:6]}"
    server = ["--bootstrap-server", sasl_broker.sasl_ssl]
    out = run_kafka_tool("kafka-topics.sh", [*server, "--command-config", str(props), "--create", "--topic", topic, "--partitions", "2"])
    assert out.returncode == 0 and f"Created topic {topic}." in out.stdout, out.stderr[-2000:]
    lines = [f"ssl-{i}" for i in range(20)]
    out = run_kafka_tool(
        "kafka-console-producer.sh", [*server, "--producer.config", str(props), "--topic", topic], input="\n".join(lines) + "\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    args = [*server, "--consumer.config", str(props), "--topic", topic, "--group", "ssl-readers"]
    out = run_kafka_tool("kafka-console-consumer.sh", [*args, "--from-beginning", "--max-messages", "20", "--timeout-ms", "60000"])
    assert sorted(out.stdout.split()) == sorted(lines), out.stderr[-2000:]
    out = run_kafka_tool("kafka-consumer-groups.sh", [*server, "--command-config", str(props), "--describe", "--group", "ssl-readers"])
    assert out.returncode == 0 and topic in out.stdout, out.stderr[-2000:]

    wrong = _properties(tmp_path, "SCRAM-SHA-512", "bob", "wrong", ca=sasl_broker.ca)
    out = run_kafka_tool("kafka-topics.sh", [*server, "--command-config", str(wrong), "--list"])
    assert out.returncode != 0
    refused = "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
    assert refused in out.stdout + out.stderr


def test_strom_client_and_tools_over_sasl(sasl_broker: SaslBroker, capsys: pytest.CaptureFixture[str]) -> None:
    user = f"u{uuid.uuid4().hex[:6]}"
    add = ["--alter", "--add-config", "SCRAM-SHA-512=[iterations=4096,password=pw-secret]"]
    assert kafka_configs.main(["--bootstrap-server", sasl_broker.plain, "--entity-type", "users", "--entity-name", user, *add]) == 0

    async def login(conf: dict[str, Any]) -> bool:
        admin = AsyncAdmin(
            {"bootstrap.servers": sasl_broker.sasl, "security.protocol": "SASL_PLAINTEXT", "request.timeout.ms": 15000, **conf}
        )
        try:
            await admin.describe_cluster()
            return True
        except KafkaError:
            return False
        finally:
            await admin.close()

    assert asyncio.run(login({"sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret"}))
    assert asyncio.run(login({"sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.config": "principal=carol"}))
    assert asyncio.run(login({"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": "pw-secret"}))
    assert not asyncio.run(login({"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": "nope"}))
    capsys.readouterr()
    assert kafka_configs.main(["--bootstrap-server", sasl_broker.plain, "--describe", "--entity-type", "users", "--entity-name", user]) == 0
    assert f"SCRAM credential configs for user-principal '{user}' are SCRAM-SHA-512=iterations=4096" in capsys.readouterr().out


def test_strom_client_reauthenticates(sasl_broker: SaslBroker) -> None:
    """connections.max.reauth.ms=3000: one connection keeps working for 8 s, re-authenticating on the way."""

    async def go() -> None:
        conf = {"bootstrap.servers": sasl_broker.sasl, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}
        admin = AsyncAdmin({**conf, "sasl.username": "alice", "sasl.password": "alice-secret"})
        try:
            conn = await admin.cluster.any_connection()
            for _ in range(16):
                assert (await admin.describe_cluster()).nodes
                await asyncio.sleep(0.5)
            assert not conn.closed
        finally:
            await admin.close()

    asyncio.run(go())


def test_python_peers_over_scram(sasl_broker: SaslBroker) -> None:
    """confluent-kafka, kafka-python and aiokafka log in with SCRAM-SHA-512 to Strom and to Apache Kafka alike."""
    from aiokafka import AIOKafkaProducer
    from confluent_kafka import Producer
    from kafka import KafkaAdminClient

    user = f"p{uuid.uuid4().hex[:6]}"
    add = ["--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=py-secret]"]
    assert kafka_configs.main(["--bootstrap-server", sasl_broker.plain, "--entity-type", "users", "--entity-name", user, *add]) == 0
    topic = f"py-sasl-{uuid.uuid4().hex[:6]}"
    producer = Producer(
        {"bootstrap.servers": sasl_broker.sasl, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512"}
        | {"sasl.username": user, "sasl.password": "py-secret"}
    )
    producer.produce(topic, b"ck")
    assert producer.flush(30) == 0
    admin = KafkaAdminClient(
        bootstrap_servers=sasl_broker.sasl,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=user,
        sasl_plain_password="py-secret",
    )
    try:
        assert topic in admin.list_topics()
    finally:
        admin.close()

    async def aio() -> None:
        p = AIOKafkaProducer(
            bootstrap_servers=sasl_broker.sasl,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username=user,
            sasl_plain_password="py-secret",
        )
        await p.start()
        try:
            await p.send_and_wait(topic, b"aio")
        finally:
            await p.stop()

    asyncio.run(aio())
