"""TLS for the broker's SSL and SASL_SSL listeners: one SSLContext and principal mapper per listener, built
from the listener's `ssl.*` keys (`listener.name.<l>.ssl.*` first), and swapped whole when a dynamic
update changes its keystore (new connections get the new one; open ones keep theirs)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from strom.broker.config import BrokerConfig, ConfigError, Listener
from strom.security.ssl_principal import SslPrincipalMapper
from strom.security.tls import SslConfigError, client_context, server_context
from strom.transport.connection import PLAINTEXT_CHANNEL, ChannelSecurity


@dataclass(frozen=True, slots=True)
class ListenerTls:
    """What a TLS connection on a listener needs: the context to handshake with and the DN mapping rules."""

    context: ssl.SSLContext
    principal_mapper: SslPrincipalMapper


def build_listener_tls(config: BrokerConfig, listener: Listener) -> ListenerTls:
    """The listener's TLS set-up; ConfigError (one line naming the listener) when its ssl.* keys are unusable."""
    try:
        context = server_context(lambda key: config.listener_value(listener.name, key))
        mapper = SslPrincipalMapper.from_rules(config.listener_value(listener.name, "ssl.principal.mapping.rules"))
    except (SslConfigError, ValueError) as exc:
        raise ConfigError(f"Listener {listener.name}: {exc}") from None
    return ListenerTls(context, mapper)


def build_all_listener_tls(config: BrokerConfig) -> dict[str, ListenerTls]:
    """TLS set-ups of every listener whose security protocol uses TLS, by listener name."""
    return {lst.name: build_listener_tls(config, lst) for lst in config.listeners if lst.security_protocol.uses_tls}


def inter_broker_security(config: BrokerConfig) -> ChannelSecurity:
    """How this broker connects to the others (replica fetchers, controller channel, AlterIsr, transaction
    markers): to their inter-broker listener with its security; for TLS a client context from that listener's
    ssl.* keys (its keystore is the client certificate, its truststore verifies the other brokers)."""
    listener = config.inter_broker_listener
    if not listener.security_protocol.uses_tls:
        return PLAINTEXT_CHANNEL
    try:
        return ChannelSecurity(ssl_context=client_context(lambda key: config.listener_value(listener.name, key)))
    except (SslConfigError, ValueError) as exc:
        raise ConfigError(f"Inter-broker listener {listener.name}: {exc}") from None
