"""TLS with client certificates (mutual TLS) on a broker's SSL listener, driven by real peers:
confluent-kafka, kafka-python, aiokafka, kcat, openssl s_client and Apache Kafka's Java console tools; the
same client checks against Apache Kafka 3.9 configured the same way (slow). The principal comes from the
certificate's DN through ssl.principal.mapping.rules: alice is a super user, bob has no ACL and is denied.
Bad input (plaintext on the TLS port, TLS on the PLAINTEXT port, expired and untrusted certificates)
closes that one connection while the broker keeps serving."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiokafka
import aiokafka.helpers
import confluent_kafka as ck
import kafka
import pytest
from cryptography import x509

import strom
from strom.testing.apache_kafka import ApacheKafka, KafkaUnavailable, java_available, run_kafka_tool
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import Identity, TestCertificates


@dataclass
class TlsBroker:
    name: str
    ssl_bootstrap: str
    plain_bootstrap: str
    pki: TestCertificates
    alice: Identity
    bob: Identity
    process: BrokerProcess | ApacheKafka


def broker_tls_config(pki: TestCertificates, ssl_port: int) -> dict[str, str]:
    """The same server.properties lines for Strom and Apache Kafka."""
    return {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(pki.server.p12),
        "ssl.keystore.password": pki.password,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca_pem),
        "ssl.client.auth": "required",
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]*),.*$/$1/,DEFAULT",
        "super.users": "User:alice;User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }


def start_strom(pki: TestCertificates) -> tuple[BrokerProcess, int, int]:
    plain, tls = free_port(), free_port()
    overrides = {
        "listeners": f"PLAINTEXT://127.0.0.1:{plain},SSL://127.0.0.1:{tls}",
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "offsets.topic.replication.factor": "1",
        **broker_tls_config(pki, tls),
    }
    broker = BrokerProcess(port=plain, overrides=overrides)
    return broker.start(), plain, tls


def start_kafka(pki: TestCertificates) -> tuple[ApacheKafka, int, int]:
    if not java_available():
        pytest.skip("needs Java and Maven for Apache Kafka")
    broker = ApacheKafka()
    tls = free_port()
    broker.props.update(
        {
            "listeners": f"PLAINTEXT://127.0.0.1:{broker.port},SSL://127.0.0.1:{tls},CONTROLLER://127.0.0.1:{broker.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker.port},SSL://127.0.0.1:{tls}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            **broker_tls_config(pki, tls),
        }
    )
    try:
        broker.start()
    except KafkaUnavailable as exc:
        broker.close()
        pytest.fail(str(exc))
    return broker, broker.port, tls


@pytest.fixture(scope="module", params=["strom", pytest.param("kafka", marks=[pytest.mark.java, pytest.mark.slow])])
def tls_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    pki = TestCertificates(tmp_path_factory.mktemp("pki"))
    alice, bob = pki.client("CN=alice,OU=Eng,O=Strom,C=US"), pki.client("CN=bob,OU=Eng,O=Strom,C=US")
    process, plain, tls = start_strom(pki) if request.param == "strom" else start_kafka(pki)
    yield TlsBroker(request.param, f"127.0.0.1:{tls}", f"127.0.0.1:{plain}", pki, alice, bob, process)
    process.close()


def topic_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def librdkafka_ssl(b: TlsBroker, who: Identity) -> dict[str, str]:
    return {
        "bootstrap.servers": b.ssl_bootstrap,
        "security.protocol": "ssl",
        "ssl.ca.location": str(b.pki.ca_pem),
        "ssl.certificate.location": str(who.cert_pem),
        "ssl.key.location": str(who.encrypted_key_pem),
        "ssl.key.password": who.password,
    }


def test_confluent_kafka_produces_and_consumes_with_a_client_certificate(tls_broker: TlsBroker) -> None:
    topic = topic_name("tls-ck")
    conf = librdkafka_ssl(tls_broker, tls_broker.alice)
    producer = ck.Producer(conf)
    for i in range(20):
        producer.produce(topic, f"v{i}".encode(), key=b"k")
    assert producer.flush(60) == 0
    consumer = ck.Consumer({**conf, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[bytes] = []
    for _ in range(120):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got.append(msg.value())
        if len(got) == 20:
            break
    consumer.close()
    assert got == [f"v{i}".encode() for i in range(20)]


def test_strom_client_with_librdkafkas_ssl_keys(tls_broker: TlsBroker) -> None:
    topic = topic_name("tls-strom")
    b = tls_broker
    inline = {  # the *.pem forms with an encrypted key, and the host name checked (https, librdkafka's default)
        "bootstrap.servers": b.ssl_bootstrap.replace("127.0.0.1", "localhost"),
        "security.protocol": "SSL",
        "ssl.ca.pem": b.pki.ca_pem.read_text(),
        "ssl.certificate.pem": b.alice.cert_chain_text(),
        "ssl.key.pem": b.alice.key_text(encrypted=True),
        "ssl.key.password": b.alice.password,
    }
    producer = strom.Producer(inline)
    for i in range(5):
        producer.produce(topic, f"s{i}".encode())
    assert producer.flush(60) == 0
    consumer = strom.Consumer({**librdkafka_ssl(b, b.alice), "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[bytes] = []
    for _ in range(120):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got.append(msg.value())
        if len(got) == 5:
            break
    consumer.close()
    assert got == [f"s{i}".encode() for i in range(5)]
    with pytest.raises(strom.KafkaException, match="ssl.key.location"):
        strom.Producer({**librdkafka_ssl(b, b.alice), "ssl.key.location": str(b.pki.directory / "missing.pem")})


def test_large_fetch_responses_over_tls_arrive_whole(tls_broker: TlsBroker) -> None:
    """Fetch responses of several MiB (file regions read in pieces while the TLS transport says stop/go)."""
    topic = topic_name("tls-big")
    conf = librdkafka_ssl(tls_broker, tls_broker.alice)
    producer = ck.Producer({**conf, "linger.ms": 20, "batch.size": 1 << 20, "compression.type": "none"})
    values = [bytes([i % 251]) * 16384 for i in range(640)]  # 10 MiB
    for value in values:
        producer.produce(topic, value, partition=0)
    assert producer.flush(120) == 0
    consumer = ck.Consumer(
        {**conf, "group.id": topic, "auto.offset.reset": "earliest", "fetch.max.bytes": 8 << 20, "max.partition.fetch.bytes": 8 << 20}
    )
    consumer.assign([ck.TopicPartition(topic, 0, 0)])
    got: list[bytes] = []
    deadline = time.monotonic() + 120
    while len(got) < len(values) and time.monotonic() < deadline:
        got += [m.value() for m in consumer.consume(1000, 1.0) if m.error() is None]
    consumer.close()
    assert got == values


def test_the_certificate_dn_is_the_principal_the_authorizer_sees(tls_broker: TlsBroker) -> None:
    """bob's certificate is as valid as alice's, but User:bob (mapped from CN=bob,...) has no ACL."""
    producer = ck.Producer({**librdkafka_ssl(tls_broker, tls_broker.bob), "message.timeout.ms": "10000"})
    errors: list[ck.KafkaError] = []
    producer.produce(topic_name("tls-bob"), b"x", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    assert errors and errors[0] is not None
    assert errors[0].code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_kafka_python_over_mutual_tls(tls_broker: TlsBroker) -> None:
    topic = topic_name("tls-kp")
    b, who = tls_broker, tls_broker.alice
    common = {
        "bootstrap_servers": b.ssl_bootstrap,
        "security_protocol": "SSL",
        "ssl_cafile": str(b.pki.ca_pem),
        "ssl_certfile": str(who.cert_pem),
        "ssl_keyfile": str(who.key_pem),
    }
    producer = kafka.KafkaProducer(**common)
    for i in range(5):
        producer.send(topic, f"kp{i}".encode()).get(timeout=60)
    producer.close()
    consumer = kafka.KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=20000, **common)
    got = [m.value for _, m in zip(range(5), consumer, strict=False)]
    consumer.close()
    assert got == [f"kp{i}".encode() for i in range(5)]


def test_aiokafka_over_mutual_tls(tls_broker: TlsBroker) -> None:
    topic = topic_name("tls-aio")
    b, who = tls_broker, tls_broker.alice

    async def run() -> list[bytes | None]:
        context = aiokafka.helpers.create_ssl_context(cafile=str(b.pki.ca_pem), certfile=str(who.cert_pem), keyfile=str(who.key_pem))
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=b.ssl_bootstrap, security_protocol="SSL", ssl_context=context)
        await producer.start()
        try:
            for i in range(5):
                await producer.send_and_wait(topic, f"aio{i}".encode())
        finally:
            await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(
            topic, bootstrap_servers=b.ssl_bootstrap, security_protocol="SSL", ssl_context=context, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            return [(await asyncio.wait_for(consumer.getone(), 30)).value for _ in range(5)]
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == [f"aio{i}".encode() for i in range(5)]


def test_kcat_over_mutual_tls(tls_broker: TlsBroker, kcat: str) -> None:
    topic = topic_name("tls-kcat")
    b, who = tls_broker, tls_broker.alice
    ssl_args = ["-b", b.ssl_bootstrap, "-X", "security.protocol=ssl", "-X", f"ssl.ca.location={b.pki.ca_pem}"]
    ssl_args += ["-X", f"ssl.certificate.location={who.cert_pem}", "-X", f"ssl.key.location={who.key_pem}"]
    produced = subprocess.run([kcat, *ssl_args, "-P", "-t", topic], input="one\ntwo\n", capture_output=True, text=True, timeout=60)
    assert produced.returncode == 0, produced.stderr
    consumed = subprocess.run(
        [kcat, *ssl_args, "-C", "-t", topic, "-o", "beginning", "-c", "2", "-e"], capture_output=True, text=True, timeout=60
    )
    assert consumed.stdout.split() == ["one", "two"], consumed.stderr


def test_openssl_s_client_sees_the_broker_certificate(tls_broker: TlsBroker) -> None:
    b = tls_broker
    result = subprocess.run(
        ["openssl", "s_client", "-connect", b.ssl_bootstrap, "-CAfile", str(b.pki.ca_pem), "-verify_return_error"]
        + ["-cert", str(b.alice.cert_pem), "-key", str(b.alice.key_pem)],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "CN = localhost" in result.stdout
    assert "Verify return code: 0 (ok)" in result.stdout


@pytest.mark.java
def test_java_console_tools_with_client_config_files(tls_broker: TlsBroker, tmp_path: Path) -> None:
    topic = topic_name("tls-java")
    b, who = tls_broker, tls_broker.alice
    config = tmp_path / "client-ssl.properties"
    config.write_text(
        "security.protocol=SSL\n"
        f"ssl.truststore.type=PEM\nssl.truststore.location={b.pki.ca_pem}\n"
        f"ssl.keystore.type=PKCS12\nssl.keystore.location={who.p12}\nssl.keystore.password={who.password}\n"
    )
    produced = run_kafka_tool(
        "kafka-console-producer.sh",
        ["--bootstrap-server", b.ssl_bootstrap, "--topic", topic, "--producer.config", str(config)],
        input="j1\nj2\nj3\n",
    )
    assert produced.returncode == 0, produced.stderr[-2000:]
    consumed = run_kafka_tool(
        "kafka-console-consumer.sh",
        ["--bootstrap-server", b.ssl_bootstrap, "--topic", topic, "--from-beginning", "--max-messages", "3"]
        + ["--consumer.config", str(config), "--timeout-ms", "60000"],
    )
    assert consumed.stdout.split() == ["j1", "j2", "j3"], consumed.stderr[-2000:]


def _tls_connect(b: TlsBroker, who: Identity | None) -> bytes:
    """A TLS connection with `who`'s certificate sending an ApiVersions v0 request; what came back."""
    ctx = ssl.create_default_context(cafile=str(b.pki.ca_pem))
    if who is not None:
        ctx.load_cert_chain(who.cert_pem, who.key_pem)
    host, port = b.ssl_bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as conn:
        conn.sendall(bytes.fromhex("0000000a001200000000000100 00".replace(" ", "")))
        return conn.recv(1 << 16)


def _refused(b: TlsBroker, who: Identity | None) -> bool:
    """TLS 1.3 finishes the client's side of the handshake before the broker checks its certificate: the
    refusal arrives as an alert or a close on the first read."""
    try:
        return _tls_connect(b, who) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def test_bad_peers_are_closed_and_the_broker_keeps_serving(tls_broker: TlsBroker) -> None:
    b = tls_broker
    expired = b.pki.client("CN=mallory-expired", expired=True)
    untrusted = b.pki.client("CN=mallory-untrusted", untrusted=True)
    assert _refused(b, expired) and _refused(b, untrusted)
    assert _refused(b, None)  # ssl.client.auth=required and no certificate
    host, port = b.ssl_bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as raw:  # plaintext on the TLS port
        raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b"".join(iter(lambda: raw.recv(100), b""))  # until the broker closes
        assert answer == b"" or answer[0] == 0x15  # nothing, or a TLS alert (Java sends one)
    host, port = b.plain_bootstrap.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(b.pki.ca_pem))
    with pytest.raises((ssl.SSLError, ConnectionError)):  # a TLS ClientHello on the PLAINTEXT port
        with socket.create_connection((host, int(port)), timeout=30) as raw, ctx.wrap_socket(raw, server_hostname="localhost"):
            pass
    assert len(_tls_connect(b, b.alice)) > 8  # still serving: an ApiVersions answer
    if b.name == "strom":
        assert isinstance(b.process, BrokerProcess)
        log = (b.process.base / "logs" / "server.log").read_text()
        assert "SSL handshake failed: CERTIFICATE_VERIFY_FAILED: certificate has expired" in log
        assert "not a TLS ClientHello, plaintext on an SSL listener?" in log
        assert "look like a TLS handshake on PLAINTEXT listener PLAINTEXT" in log


def _served_serial(b: TlsBroker) -> int:
    """The serial number of the certificate the broker serves a new connection."""
    host, port = b.ssl_bootstrap.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(b.pki.ca_pem))
    ctx.load_cert_chain(b.alice.cert_pem, b.alice.key_pem)
    with socket.create_connection((host, int(port)), timeout=30) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as conn:
        der = conn.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def test_keystore_reload_with_kafka_configs(tls_broker: TlsBroker) -> None:
    """kafka-configs.sh --entity-type brokers --alter on listener.name.ssl.ssl.keystore.location: new connections
    get the new certificate; an update whose keystore cannot be read is refused and changes nothing. Last in
    the module: the broker keeps the new (equally valid) certificate."""
    b = tls_broker
    hosts = ("localhost", "127.0.0.1", "::1")
    rotated = b.pki.identity("server-rotated", b.pki.server.subject, hosts=hosts)  # a renewed certificate: same DN and SANs
    renamed = b.pki.identity("server-renamed", "CN=localhost,OU=Elsewhere,O=Strom,C=US", hosts=hosts)
    entity = "0" if b.name == "strom" else "1"

    def configs(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = ["--bootstrap-server", b.plain_bootstrap, "--entity-type", "brokers", "--entity-name", entity, "--alter", *args]
        if b.name == "kafka":
            return run_kafka_tool("kafka-configs.sh", cmd)
        return subprocess.run([sys.executable, "-m", "strom.cli.kafka_configs", *cmd], capture_output=True, text=True, timeout=60)

    before = _served_serial(b)
    missing = configs("--add-config", f"listener.name.ssl.ssl.keystore.location={b.pki.directory / 'missing.p12'}")
    assert missing.returncode != 0 and "SSLFactory" in missing.stdout + missing.stderr
    other_dn = configs("--add-config", f"listener.name.ssl.ssl.keystore.location={renamed.p12}")
    assert other_dn.returncode != 0 and "DistinguishedName does not match" in other_dn.stdout + other_dn.stderr
    assert _served_serial(b) == before
    done = configs("--add-config", f"listener.name.ssl.ssl.keystore.location={rotated.p12}")
    assert done.returncode == 0, done.stdout + done.stderr
    deadline = time.monotonic() + 30
    while _served_serial(b) == before:
        assert time.monotonic() < deadline, "the new keystore was not taken"
        time.sleep(0.5)
    assert len(_tls_connect(b, b.alice)) > 8
