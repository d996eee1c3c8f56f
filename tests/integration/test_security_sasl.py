"""SASL on a real broker process: PLAIN and OAUTHBEARER (unsecured JWS) with confluent-kafka, kafka-python,
aiokafka (v0 raw-token handshake) and Strom's client; every bad input closes only that connection, with
Kafka's error codes and messages; KIP-368 re-authentication on a listener with connections.max.reauth.ms."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from strom.client.admin import AsyncAdmin
from strom.client.config import ConfigError
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.headers import RequestHeader, decode_response_header, encode_request_header
from strom.protocol.messages import RESPONSE_TYPES
from strom.protocol.schema.api_versions import ApiVersionsRequest
from strom.protocol.schema.metadata import MetadataRequest
from strom.protocol.schema.sasl_authenticate import SaslAuthenticateRequest
from strom.protocol.schema.sasl_handshake import SaslHandshakeRequest
from strom.testing.broker import BrokerProcess, free_port

PLAIN_JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
    'user_admin="admin-secret" user_alice="alice-secret";'
)


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    plain, sasl, reauth = free_port(), free_port(), free_port()
    b = BrokerProcess(
        port=plain,
        overrides={
            "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl},REAUTH://127.0.0.1:{reauth}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN,OAUTHBEARER,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
            "listener.name.reauth.plain.sasl.jaas.config": PLAIN_JAAS,
            "listener.name.reauth.connections.max.reauth.ms": "1500",
            "connections.max.idle.ms": "4000",
            "sasl.server.max.receive.size": "4096",
        },
    ).start()
    b.sasl_bootstrap = f"127.0.0.1:{sasl}"  # type: ignore[attr-defined]
    b.reauth_bootstrap = f"127.0.0.1:{reauth}"  # type: ignore[attr-defined]
    yield b
    b.close()


def _sasl(broker: BrokerProcess) -> str:
    return broker.sasl_bootstrap  # type: ignore[attr-defined,no-any-return]


# ---- a raw connection, to say exactly what goes on the wire ------------------------------------------------


_OPEN: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_raw_sockets() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


class Raw:
    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=15)
        _OPEN.append(self.sock)
        self.correlation = 0

    def send(self, request: Any, version: int) -> None:
        self.correlation += 1
        out = bytearray(4)
        encode_request_header(out, RequestHeader(request.API_KEY, version, self.correlation, "raw"))
        request.encode_into(out, version)
        struct.pack_into(">i", out, 0, len(out) - 4)
        self.sock.sendall(out)

    def frame(self) -> bytes:
        size = struct.unpack(">i", self._read(4))[0]
        return self._read(size)

    def call(self, request: Any, version: int) -> Any:
        self.send(request, version)
        frame = self.frame()
        _, pos = decode_response_header(frame, request.API_KEY, version)
        return RESPONSE_TYPES[request.API_KEY].decode(frame, version, pos)[0]

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the broker")
            data += chunk
        return data

    def closed_by_broker(self, within: float = 10.0) -> bool:
        self.sock.settimeout(within)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionError, OSError):
            return True

    def close(self) -> None:
        self.sock.close()


# ---- real clients ----------------------------------------------------------------------------------------


def test_confluent_kafka_plain_produce_and_consume(broker: BrokerProcess) -> None:
    from confluent_kafka import Consumer, Producer

    conf = {"bootstrap.servers": _sasl(broker), "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}
    conf |= {"sasl.username": "alice", "sasl.password": "alice-secret"}
    topic = f"sasl-ck-{uuid.uuid4().hex[:6]}"
    producer = Producer(conf)
    for i in range(10):
        producer.produce(topic, f"v{i}".encode())
    assert producer.flush(30) == 0
    consumer = Consumer(conf | {"group.id": "g-" + topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[bytes] = []
    deadline = time.monotonic() + 30
    while len(got) < 10 and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            got.append(msg.value())
    consumer.close()
    assert got == [f"v{i}".encode() for i in range(10)]


def test_confluent_kafka_oauthbearer_unsecured(broker: BrokerProcess) -> None:
    from confluent_kafka.admin import AdminClient as ConfluentAdmin

    admin = ConfluentAdmin(
        {
            "bootstrap.servers": _sasl(broker),
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "enable.sasl.oauthbearer.unsecure.jwt": True,
            "sasl.oauthbearer.config": "principal=bob",
        }
    )
    assert admin.list_topics(timeout=20).brokers


def test_kafka_python_plain(broker: BrokerProcess) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=_sasl(broker),
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_plain_username="alice",
        sasl_plain_password="alice-secret",
    )
    try:
        assert isinstance(admin.list_topics(), list)
    finally:
        admin.close()


def test_aiokafka_plain(broker: BrokerProcess) -> None:
    from aiokafka import AIOKafkaProducer

    async def go() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=_sasl(broker),
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_plain_username="alice",
            sasl_plain_password="alice-secret",
        )
        await producer.start()
        try:
            await producer.send_and_wait(f"sasl-aio-{uuid.uuid4().hex[:6]}", b"x")
        finally:
            await producer.stop()

    asyncio.run(go())


def test_strom_client_plain_and_oauthbearer(broker: BrokerProcess) -> None:
    async def go(conf: dict[str, Any]) -> None:
        admin = AsyncAdmin({"bootstrap.servers": _sasl(broker), "security.protocol": "SASL_PLAINTEXT", **conf})
        try:
            assert (await admin.describe_cluster()).nodes
        finally:
            await admin.close()

    asyncio.run(go({"sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret"}))
    asyncio.run(go({"sasl.mechanisms": "OAUTHBEARER", "sasl.oauthbearer.config": "principal=bob"}))
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";'
    asyncio.run(go({"sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas}))
    with pytest.raises(KafkaError) as info:
        asyncio.run(go({"sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "nope"}))
    assert info.value.code() == ErrorCode.SASL_AUTHENTICATION_FAILED or "Invalid username or password" in str(info.value)
    with pytest.raises(ConfigError):
        AsyncAdmin({"bootstrap.servers": _sasl(broker), "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"})


# ---- bad input -------------------------------------------------------------------------------------------


def test_wrong_password_gets_kafkas_error_then_the_connection_closes(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    response = raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0wrong"), 2)
    assert response.error_code == ErrorCode.SASL_AUTHENTICATION_FAILED
    assert response.error_message == "Authentication failed: Invalid username or password"
    assert raw.closed_by_broker()


def test_unsupported_mechanism_lists_the_enabled_ones(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    response = raw.call(SaslHandshakeRequest(mechanism="GSSAPI"), 1)
    assert response.error_code == ErrorCode.UNSUPPORTED_SASL_MECHANISM
    assert response.mechanisms == ["PLAIN", "OAUTHBEARER", "SCRAM-SHA-512"]
    assert raw.closed_by_broker()


def test_requests_before_authentication_are_refused(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    assert raw.call(ApiVersionsRequest(), 0).error_code == 0  # ApiVersions is served
    raw.send(MetadataRequest(topics=None), 1)
    assert raw.closed_by_broker()
    raw = Raw(_sasl(broker))
    response = raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0alice-secret"), 1)  # no handshake first
    assert response.error_code == ErrorCode.ILLEGAL_SASL_STATE
    assert raw.closed_by_broker()


def test_handshake_on_a_plaintext_listener_is_illegal(broker: BrokerProcess) -> None:
    raw = Raw(broker.bootstrap)
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == ErrorCode.ILLEGAL_SASL_STATE
    assert raw.call(MetadataRequest(topics=None), 1).brokers  # the connection stays usable
    raw.close()


def test_an_exchange_stopped_midway_times_out(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    started = time.monotonic()
    assert raw.closed_by_broker(within=20)  # connections.max.idle.ms=4000
    assert 3.0 < time.monotonic() - started < 15


def test_an_oversized_token_closes_the_connection(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    raw.sock.sendall(struct.pack(">i", 10_000_000))  # sasl.server.max.receive.size=4096
    assert raw.closed_by_broker()
    assert Raw(_sasl(broker)).call(ApiVersionsRequest(), 0).error_code == 0  # the broker serves on


def test_v0_handshake_takes_raw_tokens(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 0).error_code == 0
    token = b"\0alice\0alice-secret"
    raw.sock.sendall(struct.pack(">i", len(token)) + token)
    assert raw.frame() == b""  # PLAIN's empty final challenge, size-prefixed, no header
    assert raw.call(MetadataRequest(topics=None), 1).brokers
    raw.close()


# ---- KIP-368 re-authentication ---------------------------------------------------------------------------


def test_session_lifetime_and_expiry(broker: BrokerProcess) -> None:
    raw = Raw(broker.reauth_bootstrap)  # type: ignore[attr-defined]
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    response = raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0alice-secret"), 1)
    assert response.error_code == 0 and response.session_lifetime_ms == 1500
    # re-authentication on the live connection, then a request: served
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    assert raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0alice-secret"), 1).session_lifetime_ms == 1500
    assert raw.call(MetadataRequest(topics=None), 1).brokers
    # re-authenticating as someone else is refused
    assert raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1).error_code == 0
    assert raw.call(SaslAuthenticateRequest(auth_bytes=b"\0admin\0admin-secret"), 1).error_code == ErrorCode.SASL_AUTHENTICATION_FAILED
    assert raw.closed_by_broker()
    # no re-authentication: the first request after the session's end closes the connection
    raw = Raw(broker.reauth_bootstrap)  # type: ignore[attr-defined]
    raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1)
    raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0alice-secret"), 1)
    time.sleep(2.0)
    raw.send(MetadataRequest(topics=None), 1)
    assert raw.closed_by_broker()


def test_clients_reauthenticate_before_the_session_ends(broker: BrokerProcess) -> None:
    from confluent_kafka.admin import AdminClient as ConfluentAdmin

    bootstrap = broker.reauth_bootstrap  # type: ignore[attr-defined]
    ck = ConfluentAdmin(
        {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}
        | {"sasl.username": "alice", "sasl.password": "alice-secret"}
    )

    async def strom_client() -> None:
        admin = AsyncAdmin(
            {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}
            | {"sasl.username": "alice", "sasl.password": "alice-secret"}
        )
        try:
            conn = await admin.cluster.any_connection()
            for _ in range(8):  # 4 s: past two session lifetimes on one connection
                assert (await admin.describe_cluster()).nodes
                await asyncio.sleep(0.5)
            assert not conn.closed
        finally:
            await admin.close()

    asyncio.run(strom_client())
    for _ in range(4):
        assert ck.list_topics(timeout=10).brokers
        time.sleep(1.0)


# ---- SCRAM credentials (KIP-554) -------------------------------------------------------------------------


def _scram_conf(broker: BrokerProcess, user: str, password: str) -> dict[str, Any]:
    return {"bootstrap.servers": _sasl(broker), "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512"} | {
        "sasl.username": user,
        "sasl.password": password,
    }


def _scram_login_works(conf: dict[str, Any]) -> bool:
    async def go() -> bool:
        admin = AsyncAdmin(conf | {"request.timeout.ms": 10000})
        try:
            await admin.describe_cluster()
            return True
        except KafkaError:
            return False
        finally:
            await admin.close()

    return asyncio.run(go())


def test_scram_credentials_with_kafka_configs(broker: BrokerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    from confluent_kafka.admin import AdminClient as ConfluentAdmin

    from strom.cli import kafka_configs

    base = ["--bootstrap-server", broker.bootstrap, "--entity-type", "users", "--entity-name", "carol"]
    add = "SCRAM-SHA-512=[iterations=8192,password=carol-secret],SCRAM-SHA-256=[password=carol-256]"
    assert kafka_configs.main([*base, "--alter", "--add-config", add]) == 0
    assert "Completed updating config for user carol." in capsys.readouterr().out
    assert kafka_configs.main(["--bootstrap-server", broker.bootstrap, "--entity-type", "users", "--describe"]) == 0
    assert "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=8192" in (
        capsys.readouterr().out
    )
    assert _scram_login_works(_scram_conf(broker, "carol", "carol-secret"))
    assert not _scram_login_works(_scram_conf(broker, "carol", "wrong"))
    ck = ConfluentAdmin(_scram_conf(broker, "carol", "carol-secret"))
    assert ck.list_topics(timeout=20).brokers
    assert kafka_configs.main([*base, "--alter", "--delete-config", "SCRAM-SHA-512"]) == 0
    assert not _scram_login_works(_scram_conf(broker, "carol", "carol-secret"))
    # bad input: too few iterations, deleting what is not there
    capsys.readouterr()
    assert kafka_configs.main([*base, "--alter", "--add-config", "SCRAM-SHA-512=[iterations=100,password=x]"]) == 1
    assert "UnacceptableCredentialException: Too few iterations" in capsys.readouterr().err
    assert kafka_configs.main([*base, "--alter", "--delete-config", "SCRAM-SHA-512"]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


# ---- SASL_SSL: SCRAM-SHA-512 inside TLS ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sasl_ssl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BrokerProcess, str, Any]]:
    from strom.testing.certs import TestCertificates

    pki = TestCertificates(tmp_path_factory.mktemp("sasl-ssl-pki"))
    plain, tls = free_port(), free_port()
    b = BrokerProcess(
        port=plain,
        overrides={
            "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_SSL://127.0.0.1:{tls}",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(pki.server.p12),
            "ssl.keystore.password": pki.password,
        },
    ).start()
    from strom.cli import kafka_configs

    add = ["--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=alice-secret]"]
    assert kafka_configs.main(["--bootstrap-server", b.bootstrap, "--entity-type", "users", "--entity-name", "alice", *add]) == 0
    yield b, f"127.0.0.1:{tls}", pki
    b.close()


def test_sasl_ssl_scram_with_confluent_kcat_and_strom(sasl_ssl_broker: tuple[BrokerProcess, str, Any], kcat: str) -> None:
    import subprocess

    from confluent_kafka import Producer

    _, bootstrap, pki = sasl_ssl_broker
    conf = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL", "ssl.ca.location": str(pki.ca_pem)}
    conf |= {"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": "alice-secret"}
    topic = f"sasl-ssl-{uuid.uuid4().hex[:6]}"
    producer = Producer(conf)
    for i in range(5):
        producer.produce(topic, f"m{i}".encode())
    assert producer.flush(30) == 0
    args = [kcat, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]
    for key, value in conf.items():
        args += ["-X", f"{key}={value}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == [f"m{i}" for i in range(5)], out.stderr
    assert _scram_login_works(conf)
    assert not _scram_login_works(conf | {"sasl.password": "wrong"})


# ---- tools with a Java client's properties file ----------------------------------------------------------

JAVA_PLAIN_PROPERTIES = """security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
    username="alice" \\
    password="alice-secret";
"""


def test_tools_take_a_java_command_config(broker: BrokerProcess, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from strom.cli import kafka_broker_api_versions, kafka_consumer_groups, kafka_topics

    props = tmp_path / "client.properties"
    props.write_text(JAVA_PLAIN_PROPERTIES)
    topic = f"sasl-tool-{uuid.uuid4().hex[:6]}"
    common = ["--bootstrap-server", _sasl(broker), "--command-config", str(props)]
    assert kafka_topics.main([*common, "--create", "--topic", topic, "--partitions", "2"]) == 0
    assert kafka_topics.main([*common, "--list"]) == 0
    assert topic in capsys.readouterr().out
    assert kafka_consumer_groups.main([*common, "--list"]) == 0
    assert kafka_broker_api_versions.main(common) == 0
    assert "SaslAuthenticate(36): 0 to 2" in capsys.readouterr().out
    props.write_text(JAVA_PLAIN_PROPERTIES.replace("alice-secret", "wrong"))
    assert kafka_topics.main([*common, "--list"]) == 1
    assert "Invalid username or password" in capsys.readouterr().err


def test_sasl_ssl_tool_with_java_truststore(
    sasl_ssl_broker: tuple[BrokerProcess, str, Any], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from strom.cli import kafka_topics

    _, bootstrap, pki = sasl_ssl_broker
    props = tmp_path / "ssl.properties"
    props.write_text(
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";\n'
        f"ssl.truststore.type=PEM\nssl.truststore.location={pki.ca_pem}\n"
    )
    assert kafka_topics.main(["--bootstrap-server", bootstrap, "--command-config", str(props), "--list"]) == 0


def test_a_truncated_reauthentication_handshake_closes_only_that_connection(broker: BrokerProcess) -> None:
    raw = Raw(_sasl(broker))
    raw.call(SaslHandshakeRequest(mechanism="PLAIN"), 1)
    assert raw.call(SaslAuthenticateRequest(auth_bytes=b"\0alice\0alice-secret"), 1).error_code == 0
    raw.sock.sendall(struct.pack(">ih", 2, 17))  # a SaslHandshake header cut after its api key
    assert raw.closed_by_broker()
    assert Raw(_sasl(broker)).call(ApiVersionsRequest(), 0).error_code == 0
    log = (broker.base / "logs" / "server.log").read_text()
    assert "undecodable SASL request during re-authentication" in log  # one line, not a traceback
