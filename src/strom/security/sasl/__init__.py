"""SASL mechanisms as pure state machines, server and client halves (no sockets, no asyncio).

A server half takes each client token and returns the next challenge; it is `complete` once the client is
authenticated, and then names the authorization id (the principal's name). A client half does the mirror.
The broker's authenticator and the client's connection set-up drive them over SaslAuthenticate (or raw
tokens after a v0 SaslHandshake).
"""

from strom.security.sasl.base import (
    SaslAuthenticationError,
    SaslClient,
    SaslError,
    SaslServer,
)

SUPPORTED_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
"""The mechanisms Strom implements (Kafka's GSSAPI is not among them)."""

__all__ = ["SUPPORTED_MECHANISMS", "SaslAuthenticationError", "SaslClient", "SaslError", "SaslServer"]
