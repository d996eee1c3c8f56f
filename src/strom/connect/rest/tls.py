"""TLS for the REST API (Kafka Connect's `listeners=https://...`): the listener's context and the context other
workers' requests use, from `listeners.https.ssl.*` when any such key is set, else from the worker's `ssl.*`
(Kafka's valuesWithPrefixAllOrNothing). Keystores and truststores are read as the broker reads them (JKS,
PKCS12, PEM; strom.security.tls)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from strom.security.tls import JAVA_CLIENT_DEFAULTS, SslValues
from strom.security.tls import client_context as _client_context
from strom.security.tls import server_context as _server_context

PREFIX = "listeners.https."


def ssl_values(props: Mapping[str, str]) -> SslValues:
    """The ssl.* getter: the `listeners.https.` keys if there is one, else the unprefixed ones."""
    prefixed = {k[len(PREFIX) :]: v for k, v in props.items() if k.startswith(PREFIX)}
    chosen = prefixed if prefixed else {k: v for k, v in props.items() if k.startswith("ssl.")}

    def get(key: str) -> Any:
        value = chosen.get(key)
        return JAVA_CLIENT_DEFAULTS.get(key) if value is None else value

    return get


def server_context(props: Mapping[str, str]) -> ssl.SSLContext:
    """The https listener's context: keystore required, `ssl.client.auth` for client certificates."""
    return _server_context(ssl_values(props))


def has_ssl_settings(props: Mapping[str, str]) -> bool:
    return any(k.startswith((PREFIX + "ssl.", "ssl.")) for k in props)


def client_context(props: Mapping[str, str]) -> ssl.SSLContext | bool:
    """The context for https requests to other workers; the system's CAs when the worker sets no ssl keys."""
    if not has_ssl_settings(props):
        return True
    return _client_context(ssl_values(props))
