"""Listeners and their security protocols: a name the map does not know, or a protocol Strom does not
implement, stops the broker before it binds, with one line naming the listener."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from strom.broker.config import BrokerConfig, ConfigError
from strom.broker.listener_tls import build_all_listener_tls
from strom.security.principal import KafkaPrincipal, SecurityProtocol
from strom.testing.certs import TestCertificates


def test_plaintext_listener_resolves_its_protocol() -> None:
    cfg = BrokerConfig(
        {
            "listeners": "PLAINTEXT://localhost:9092,INTERNAL://:9093",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
        }
    )
    assert [(lst.name, lst.security_protocol) for lst in cfg.listeners] == [
        ("PLAINTEXT", SecurityProtocol.PLAINTEXT),
        ("INTERNAL", SecurityProtocol.PLAINTEXT),
    ]


def test_listener_name_missing_from_the_map_is_refused() -> None:
    with pytest.raises(ConfigError, match="no security protocol defined for listener CLIENT"):
        BrokerConfig({"listeners": "CLIENT://:9092"})


def test_malformed_protocol_map_is_refused() -> None:
    with pytest.raises(ConfigError, match="listener.security.protocol.map"):
        BrokerConfig({"listener.security.protocol.map": "PLAINTEXT:NOPE"})


def test_principal_text_form() -> None:
    assert str(KafkaPrincipal.parse("User:alice")) == "User:alice"
    with pytest.raises(ValueError):
        KafkaPrincipal.parse("alice")


@pytest.mark.parametrize("protocol", ["SSL", "SASL_PLAINTEXT", "SASL_SSL"])
def test_every_kafka_security_protocol_resolves_by_default(protocol: str) -> None:
    cfg = BrokerConfig({"listeners": f"{protocol}://localhost:9093"})
    assert cfg.listeners[0].security_protocol is SecurityProtocol[protocol]


def test_listener_value_prefers_the_listeners_override() -> None:
    cfg = BrokerConfig(
        {
            "listeners": "PLAINTEXT://:9092,INTERNAL://:9093",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
            "socket.request.max.bytes": "1000",
            "listener.name.internal.socket.request.max.bytes": "2000",
            "listener.name.internal.plain.sasl.jaas.config": 'x required user_a="b";',
        }
    )
    assert cfg.listener_value("INTERNAL", "socket.request.max.bytes") == 2000  # parsed like the plain key
    assert cfg.listener_value("internal", "socket.request.max.bytes") == 2000
    assert cfg.listener_value("PLAINTEXT", "socket.request.max.bytes") == 1000
    assert cfg.listener_value("INTERNAL", "plain.sasl.jaas.config") == 'x required user_a="b";'
    assert cfg.listener_value("PLAINTEXT", "plain.sasl.jaas.config") is None
    assert cfg.listener_value("PLAINTEXT", "plain.sasl.jaas.config", "d") == "d"


def test_listener_override_with_a_bad_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="listener.name.plaintext.socket.request.max.bytes"):
        BrokerConfig({"listener.name.plaintext.socket.request.max.bytes": "lots"})
    with pytest.raises(ConfigError, match="listener.name.plaintext"):
        BrokerConfig({"listener.name.plaintext": "x"})


def test_ssl_listener_without_a_usable_keystore_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match="^Listener SSL: An SSL listener needs a keystore"):
        build_all_listener_tls(BrokerConfig({"listeners": "SSL://localhost:9093"}))
    with pytest.raises(ConfigError, match="^Listener SSL: Cannot read ssl.keystore.location /nonexistent"):
        build_all_listener_tls(
            BrokerConfig({"listeners": "SSL://localhost:9093", "listener.name.ssl.ssl.keystore.location": "/nonexistent"})
        )


def test_sasl_ssl_listener_asks_for_client_certificates_only_when_its_own_setting_says_so(tmp_path: Path) -> None:
    """KIP-684: the broker-wide ssl.client.auth applies to SSL listeners; a SASL_SSL listener (which
    authenticates with SASL) takes only listener.name.<l>.ssl.client.auth."""
    pki = TestCertificates(tmp_path)
    common = {
        "listeners": "SSL://localhost:9093,SASL_SSL://localhost:9094,MTLS_SASL://localhost:9095",
        "listener.security.protocol.map": "SSL:SSL,SASL_SSL:SASL_SSL,MTLS_SASL:SASL_SSL",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(pki.server.p12),
        "ssl.keystore.password": pki.password,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca_pem),
        "ssl.client.auth": "required",
        "listener.name.mtls_sasl.ssl.client.auth": "requested",
    }
    tls = build_all_listener_tls(BrokerConfig(common))
    assert tls["SSL"].context.verify_mode == ssl.CERT_REQUIRED
    assert tls["SASL_SSL"].context.verify_mode == ssl.CERT_NONE
    assert tls["MTLS_SASL"].context.verify_mode == ssl.CERT_OPTIONAL
