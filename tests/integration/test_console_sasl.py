"""The console on a SASL_PLAINTEXT (PLAIN) listener with an authorizer, logged in through --command-config (a Java
client's keys, as Kafka's tools take them): as the super user it sees every topic and the ACLs; as a user allowed
to describe one topic it sees that topic only, and the broker's configs are refused to it (shown, not a crash)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import strom
from strom.admin import AclBinding
from strom.testing.broker import BrokerProcess, free_port
from tests.integration.console_walk import console_process

pytestmark = pytest.mark.slow
JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
USERS = 'username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'


def _client_config(tmp: Path, user: str) -> Path:
    path = tmp / f"{user}.properties"
    path.write_text(
        f'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config={JAAS} username="{user}" password="{user}-secret";\n'
    )
    return path


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return str(resp.read().decode())


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[str]:
    plain, sasl_port = free_port(), free_port()
    overrides = {
        "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": f"{JAAS} {USERS}",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:admin;User:ANONYMOUS",
    }
    with BrokerProcess(port=plain, overrides=overrides) as broker:
        admin = strom.AdminClient({"bootstrap.servers": broker.bootstrap})
        for name in ("console-open", "console-secret"):
            admin.create_topics([strom.NewTopic(name, 1, 1)])[name].result(30)
        allow = AclBinding("TOPIC", "console-open", "LITERAL", "User:alice", "*", "DESCRIBE", "ALLOW")
        assert admin.create_acls([allow])[allow].result(30) is None
        admin.close()
        yield f"127.0.0.1:{sasl_port}"


def test_console_as_the_super_user(sasl_broker: str, tmp_path: Path) -> None:
    with console_process(sasl_broker, command_config=_client_config(tmp_path, "admin")) as url:
        topics = _get(url + "topics")
        assert 'data-topic="console-open"' in topics and 'data-topic="console-secret"' in topics
        assert 'data-acl="User:alice DESCRIBE TOPIC:console-open"' in _get(url + "security")
        overview = _get(url + "")
        assert "used" in overview and "AUTHORIZATION_FAILED" not in overview


def test_console_as_a_user_with_one_topic(sasl_broker: str, tmp_path: Path) -> None:
    with console_process(sasl_broker, command_config=_client_config(tmp_path, "alice")) as url:
        topics = _get(url + "topics")
        assert 'data-topic="console-open"' in topics and 'data-topic="console-secret"' not in topics
        assert "CLUSTER_AUTHORIZATION_FAILED" in _get(url + "")  # the broker's configs and log dirs are not hers
