"""Kafka's BasicAuthSecurityRestExtension pieces: the Authorization header, the KafkaConnect JAAS section with
PropertyFileLoginModule, KAFKA_OPTS' -Djava.security.auth.login.config, and rest.extension.classes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from strom.connect.rest.basic_auth import BASIC_AUTH_EXTENSION, JaasLogin, basic_credentials, jaas_config_path, rest_extensions


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_credentials_as_kafka_reads_them() -> None:
    assert basic_credentials(header("alice", "s:e:cret")) == ("alice", "s:e:cret")
    assert basic_credentials("basic " + base64.b64encode(b"bob:").decode()) == ("bob", "")
    for bad in (None, "", "Basic", "Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()):
        assert basic_credentials(bad) == (None, None)


def jaas(tmp_path: Path, users: str, section: str = "KafkaConnect") -> str:
    (tmp_path / "users.properties").write_text(users)
    path = tmp_path / "connect.jaas"
    path.write_text(
        f"{section} {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
        f'  file="{tmp_path / "users.properties"}";\n}};\n'
    )
    return str(path)


def test_property_file_login_module(tmp_path: Path) -> None:
    login = JaasLogin.from_file(jaas(tmp_path, "# users\nalice: secret\nbob=other\n"))
    assert login.login("alice", "secret") and login.login("bob", "other")
    assert not login.login("alice", "wrong") and not login.login("carol", "secret") and not login.login(None, None)
    # a file without users lets everyone in, as Kafka's module does
    assert JaasLogin.from_file(jaas(tmp_path, "# nobody\n")).login(None, None)
    with pytest.raises(ValueError, match="No LoginModules configured for KafkaConnect"):
        JaasLogin.from_file(jaas(tmp_path, "a: b\n", section="KafkaServer"))


def test_jaas_file_from_kafka_opts_and_extension_names() -> None:
    assert jaas_config_path({"KAFKA_OPTS": "-Xmx1g -Djava.security.auth.login.config=/etc/c.jaas"}) == "/etc/c.jaas"
    assert jaas_config_path({}) is None
    assert rest_extensions({"rest.extension.classes": f" {BASIC_AUTH_EXTENSION} "}) == [BASIC_AUTH_EXTENSION]
    with pytest.raises(ValueError, match="com.example.Nope cannot be found"):
        rest_extensions({"rest.extension.classes": "com.example.Nope"})
