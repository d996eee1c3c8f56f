"""A SASL listener's configuration is read once at start-up: bad JAAS or PLAIN without users fail with one line."""

from __future__ import annotations

import pytest

from strom.broker.authenticator import SaslListenerConfig, ScramCredentialCache
from strom.broker.config import BrokerConfig, ConfigError
from strom.security.sasl.scram import ScramCredential, ScramMechanism

JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";'


def _config(**raw: str) -> tuple[BrokerConfig, SaslListenerConfig]:
    cfg = BrokerConfig({"listeners": "SASL_PLAINTEXT://127.0.0.1:9093", **{k.replace("_", "."): v for k, v in raw.items()}})
    return cfg, SaslListenerConfig.build(cfg, cfg.listeners[0])


def test_gssapi_default_serves_nothing_and_plain_needs_jaas() -> None:
    _, sasl = _config()
    assert sasl.enabled == ("GSSAPI",) and sasl.served == []
    with pytest.raises(ConfigError, match="listener.name.sasl_plaintext.plain.sasl.jaas.config"):
        _config(sasl_enabled_mechanisms="PLAIN")


def test_listener_prefixed_jaas_wins_and_malformed_jaas_is_refused() -> None:
    cfg = BrokerConfig(
        {
            "listeners": "SASL_PLAINTEXT://127.0.0.1:9093",
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
            "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="b";',
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        }
    )
    sasl = SaslListenerConfig.build(cfg, cfg.listeners[0])
    assert sasl.served == ["PLAIN", "SCRAM-SHA-256"]
    assert sasl.plain_check is not None and sasl.plain_check("alice", "a") and not sasl.plain_check("bob", "b")
    with pytest.raises(ConfigError, match="sasl.jaas.config"):
        _config(sasl_enabled_mechanisms="PLAIN", sasl_jaas_config="PlainLoginModule required user_alice")


def test_scram_credential_cache_follows_user_configs() -> None:
    cache = ScramCredentialCache()
    cred = ScramCredential.from_password(ScramMechanism.SCRAM_SHA_512, "s", 4096)
    cache.update_user("alice", {"SCRAM-SHA-512": cred.to_config(), "producer_byte_rate": "1024"})
    assert cache.get("alice", "SCRAM-SHA-512") == cred and cache.get("alice", "SCRAM-SHA-256") is None
    cache.update_user("alice", {"SCRAM-SHA-512": "garbage"})
    assert cache.get("alice", "SCRAM-SHA-512") is None


def test_inter_broker_login_from_the_listener_jaas() -> None:
    from strom.broker.authenticator import inter_broker_sasl_login

    base = {
        "listeners": "SASL_PLAINTEXT://127.0.0.1:9093",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
    }
    cfg = BrokerConfig(base)
    with pytest.raises(ConfigError, match="sasl.mechanism.inter.broker.protocol"):
        inter_broker_sasl_login(cfg, cfg.listeners[0])  # Kafka's default GSSAPI
    cfg = BrokerConfig(
        base
        | {
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="b-secret";'
            ),
        }
    )
    login = inter_broker_sasl_login(cfg, cfg.listeners[0])
    assert login is not None and (login.mechanism, login.username, login.password) == ("SCRAM-SHA-512", "broker", "b-secret")
    plain = BrokerConfig({"listeners": "PLAINTEXT://127.0.0.1:9092"})
    assert inter_broker_sasl_login(plain, plain.listeners[0]) is None


def test_plain_callback_handler_class() -> None:
    key = "listener.name.sasl_plaintext.plain.sasl.server.callback.handler.class"
    base = {"listeners": "SASL_PLAINTEXT://127.0.0.1:9093", "sasl.enabled.mechanisms": "PLAIN"}
    cfg = BrokerConfig(base | {key: "hmac.compare_digest"})  # (username, password) -> equal?: a callable of that shape
    sasl = SaslListenerConfig.build(cfg, cfg.listeners[0])
    assert sasl.plain_check is not None and sasl.plain_check("same", "same") and not sasl.plain_check("a", "b")
    missing = BrokerConfig(base | {key: "no_such_module.check"})
    with pytest.raises(ConfigError, match=key):
        SaslListenerConfig.build(missing, missing.listeners[0])


def test_oauthbearer_warns_that_tokens_are_unsecured(caplog: pytest.LogCaptureFixture) -> None:
    _config(sasl_enabled_mechanisms="OAUTHBEARER")
    assert "accepts unsecured JWTs" in caplog.text
