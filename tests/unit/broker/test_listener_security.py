"""Listeners and their security protocols: a name the map does not know, or a protocol Strom does not
implement, stops the broker before it binds, with one line naming the listener."""

from __future__ import annotations

import pytest

from strom.broker.config import IMPLEMENTED_SECURITY_PROTOCOLS, BrokerConfig, ConfigError
from strom.security.principal import KafkaPrincipal, SecurityProtocol


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
def test_listener_with_an_unimplemented_protocol_refuses_to_start(protocol: str) -> None:
    if SecurityProtocol[protocol] in IMPLEMENTED_SECURITY_PROTOCOLS:
        pytest.skip(f"{protocol} is implemented")
    with pytest.raises(ConfigError, match=f"uses security protocol {protocol}, which Strom does not implement"):
        BrokerConfig({"listeners": f"{protocol}://localhost:9093"})
