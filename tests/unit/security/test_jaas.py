"""JAAS lines and files as Kafka writes them."""

from __future__ import annotations

import pytest

from strom.security.jaas import (
    PLAIN_LOGIN_MODULE,
    SCRAM_LOGIN_MODULE,
    JaasError,
    entry_for,
    parse_jaas_config,
    parse_jaas_file,
)


def test_plain_line_with_users() -> None:
    (entry,) = parse_jaas_config(
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
        'user_admin="admin-secret" user_alice="alice;secret";'
    )
    assert entry.login_module == PLAIN_LOGIN_MODULE and entry.control_flag == "required"
    assert entry.credentials() == ("admin", "admin-secret")
    assert entry.options["user_alice"] == "alice;secret"


def test_bare_values_escapes_and_several_entries() -> None:
    entries = parse_jaas_config(
        'org.apache.kafka.common.security.scram.ScramLoginModule required username=alice password="a\\"b";\n'
        "org.apache.kafka.common.security.plain.PlainLoginModule optional;"
    )
    assert entries[0].credentials() == ("alice", 'a"b')
    assert entry_for(entries, "SCRAM-SHA-512").login_module == SCRAM_LOGIN_MODULE
    assert entry_for(entries, "PLAIN").options == {}
    with pytest.raises(JaasError):
        entry_for(entries, "OAUTHBEARER")


@pytest.mark.parametrize(
    "text",
    [
        "",
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="a"',  # no ';'
        "org.apache.kafka.common.security.plain.PlainLoginModule mandatory;",  # bad flag
        "org.apache.kafka.common.security.plain.PlainLoginModule required username;",
    ],
)
def test_malformed_lines(text: str) -> None:
    with pytest.raises(JaasError):
        parse_jaas_config(text)


def test_file_with_sections() -> None:
    sections = parse_jaas_file(
        """
        // the broker's section
        KafkaServer {
            org.apache.kafka.common.security.plain.PlainLoginModule required
            username="admin" password="admin-secret" user_admin="admin-secret";
        };
        Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="zk" password="z"; };
        """
    )
    assert set(sections) == {"KafkaServer", "Client"}
    assert sections["KafkaServer"][0].options["user_admin"] == "admin-secret"
    with pytest.raises(JaasError):
        parse_jaas_file("KafkaServer { x required; ")
