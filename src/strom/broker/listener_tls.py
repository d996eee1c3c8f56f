"""TLS for the broker's SSL and SASL_SSL listeners: one SSLContext and principal mapper per listener, built
from the listener's `ssl.*` keys (`listener.name.<l>.ssl.*` first), and swapped whole when a dynamic
update changes its keystore (new connections get the new one; open ones keep theirs)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from strom.broker.authenticator import inter_broker_sasl_login
from strom.broker.config import LISTENER_PREFIX, BrokerConfig, ConfigError, Listener
from strom.broker.dynamic_config import base_name
from strom.security.ssl_principal import SslPrincipalMapper
from strom.security.tls import SslConfigError, SslValues, client_context, ensure_compatible_keystore, read_keystore, server_context
from strom.transport.connection import PLAINTEXT_CHANNEL, ChannelSecurity


@dataclass(frozen=True, slots=True)
class ListenerTls:
    """What a TLS connection on a listener needs: the context to handshake with and the DN mapping rules."""

    context: ssl.SSLContext
    principal_mapper: SslPrincipalMapper
    certificate: x509.Certificate | None = None  # the keystore's leaf: a run-time update must keep its DN and SANs


def build_listener_tls(config: BrokerConfig, listener: Listener, dynamic: Sequence[Mapping[str, str]] = ()) -> ListenerTls:
    """The listener's TLS set-up; ConfigError (one line naming the listener) when its ssl.* keys are unusable.
    `dynamic`: the dynamic broker config layers (highest precedence first), over the static config."""
    values = listener_ssl_values(config, listener, dynamic)
    try:
        context = server_context(values)
        mapper = SslPrincipalMapper.from_rules(values("ssl.principal.mapping.rules"))
        entry = read_keystore(values)
    except (SslConfigError, ValueError) as exc:
        raise ConfigError(f"Listener {listener.name}: {exc}") from None
    return ListenerTls(context, mapper, entry[1][0] if entry else None)


def rebuild_listener_tls(
    config: BrokerConfig, listener: Listener, dynamic: Sequence[Mapping[str, str]], current: ListenerTls
) -> ListenerTls:
    """The listener's TLS set-up after a dynamic update: as build_listener_tls, and (Kafka's rule) the new
    keystore's certificate keeps the subject DN and subjectAltNames of the current one."""
    updated = build_listener_tls(config, listener, dynamic)
    if current.certificate is not None and updated.certificate is not None:
        try:
            ensure_compatible_keystore(current.certificate, updated.certificate)
        except SslConfigError as exc:
            raise ConfigError(f"Listener {listener.name}: {exc}") from None
    return updated


def listener_ssl_values(config: BrokerConfig, listener: Listener, dynamic: Sequence[Mapping[str, str]] = ()) -> SslValues:
    """A key's value as the listener sees it: a dynamic `listener.name.<l>.<key>`, a dynamic `<key>`, then
    the static config (its own per-listener override first)."""
    prefixed = LISTENER_PREFIX + listener.name.lower() + "."
    sasl = listener.security_protocol.uses_sasl

    def value(key: str) -> Any:
        if sasl and key == "ssl.client.auth":  # KIP-684: on SASL_SSL only the listener's own setting counts
            return _prefixed_only(config, listener, dynamic, key, "none")
        for name in (prefixed + key, key):
            for layer in dynamic:
                if name in layer:
                    return layer[name]
        return config.listener_value(listener.name, key)

    return value


def _prefixed_only(config: BrokerConfig, listener: Listener, dynamic: Sequence[Mapping[str, str]], key: str, default: str) -> Any:
    name = LISTENER_PREFIX + listener.name.lower() + "." + key
    for layer in dynamic:
        if name in layer:
            return layer[name]
    return config.listener_overrides.get(listener.name.lower(), {}).get(key, default)


def build_all_listener_tls(config: BrokerConfig, dynamic: Sequence[Mapping[str, str]] = ()) -> dict[str, ListenerTls]:
    """TLS set-ups of every listener whose security protocol uses TLS, by listener name."""
    return {lst.name: build_listener_tls(config, lst, dynamic) for lst in config.listeners if lst.security_protocol.uses_tls}


def is_dynamic_ssl_key(key: str) -> bool:
    """An ssl.* key, per listener (`listener.name.<l>.ssl.keystore.location`) or not: a change to one may
    change a listener's TLS set-up."""
    return base_name(key).startswith("ssl.")


def inter_broker_security(config: BrokerConfig) -> ChannelSecurity:
    """How this broker connects to the others (replica fetchers, controller channel, AlterIsr, transaction
    markers): to their inter-broker listener with its security; for TLS a client context from that listener's
    ssl.* keys (its keystore is the client certificate, its truststore verifies the other brokers)."""
    listener = config.inter_broker_listener
    sasl = inter_broker_sasl_login(config, listener)  # SASL_*: the broker's own login (broker/authenticator.py)
    if not listener.security_protocol.uses_tls:
        return PLAINTEXT_CHANNEL if sasl is None else ChannelSecurity(sasl=sasl)
    try:
        return ChannelSecurity(ssl_context=client_context(lambda key: config.listener_value(listener.name, key)), sasl=sasl)
    except (SslConfigError, ValueError) as exc:
        raise ConfigError(f"Inter-broker listener {listener.name}: {exc}") from None
