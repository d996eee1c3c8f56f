"""Requests from one worker to another (Java's RestClient): forwarded REST writes, task configs and zombie-fencing
requests sent to the leader, over http or https with the worker's client-side TLS settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
from collections.abc import Mapping
from typing import Any

# Kafka waits up to 90 s for a herder request (ConnectResource.DEFAULT_REST_REQUEST_TIMEOUT_MS).
REQUEST_TIMEOUT_S = 90.0

SIGNATURE_HEADER = "X-Connect-Authorization"
SIGNATURE_ALGORITHM_HEADER = "X-Connect-Request-Signature-Algorithm"


def signature_headers(key: bytes, algorithm: str, body: bytes) -> dict[str, str]:
    """KIP-507: the HMAC of an internal request's body with the cluster's session key, base64 in a header."""
    digest = hmac.new(key, body, hashlib.sha256).digest()
    return {SIGNATURE_HEADER: base64.b64encode(digest).decode(), SIGNATURE_ALGORITHM_HEADER: algorithm}


def client_ssl_context(props: Mapping[str, str]) -> ssl.SSLContext | bool:
    """The context for https requests to other workers: Kafka's client-side `listeners.https.ssl.*` (falling
    back to `ssl.*`) trust store and key store; the default verification when none is set."""
    from strom.connect.rest.tls import client_context

    return client_context(props)


def rest_client(props: Mapping[str, str] | None = None, timeout: float = REQUEST_TIMEOUT_S, url: str = "") -> Any:
    """An httpx.AsyncClient for requests to other workers; the worker's TLS settings are read for an https `url`
    only, so a worker on an http listener never depends on them."""
    import httpx

    verify: ssl.SSLContext | bool = client_ssl_context(props) if props is not None and url.startswith("https:") else True
    return httpx.AsyncClient(timeout=timeout, verify=verify)
