"""SASL/PLAIN (RFC 4616): "[authzid] NUL authcid NUL passwd" in one message, checked against a callback.

Kafka's PlainLoginModule JAAS entry lists the users (`user_alice="alice-secret"`); the check is a
callback so another source of passwords can be plugged in.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from strom.security.sasl.base import SaslAuthenticationError

MECHANISM = "PLAIN"

PasswordCheck = Callable[[str, str], bool]
"""(username, password) -> whether they match."""


def jaas_users_check(options: Mapping[str, str]) -> PasswordCheck:
    """The check Kafka's PlainServerCallbackHandler makes: the JAAS option user_<name> holds <name>'s password."""

    def check(username: str, password: str) -> bool:
        expected = options.get(f"user_{username}")
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    return check


class PlainServer:
    mechanism = MECHANISM

    def __init__(self, check: PasswordCheck) -> None:
        self._check = check
        self._complete = False
        self._authorization_id = ""

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def authorization_id(self) -> str:
        return self._authorization_id

    def session_lifetime_ms(self) -> int | None:
        return None

    def evaluate_response(self, response: bytes) -> bytes:
        try:
            text = response.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslAuthenticationError("Invalid SASL/PLAIN response: not UTF-8") from None
        tokens = text.split("\0")
        if len(tokens) != 3:
            raise SaslAuthenticationError(f"Invalid SASL/PLAIN response: expected 3 tokens, got {len(tokens)}")
        authzid, username, password = tokens
        if not username:
            raise SaslAuthenticationError("Authentication failed: username not specified")
        if not password:
            raise SaslAuthenticationError("Authentication failed: password not specified")
        if not self._check(username, password):
            raise SaslAuthenticationError("Authentication failed: Invalid username or password")
        if authzid and authzid != username:
            raise SaslAuthenticationError("Authentication failed: Client requested an authorization id that is different from username")
        self._authorization_id = username
        self._complete = True
        return b""


class PlainClient:
    mechanism = MECHANISM

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password
        self._complete = False

    @property
    def complete(self) -> bool:
        return self._complete

    def initial_response(self) -> bytes:
        self._complete = True
        return f"\0{self._username}\0{self._password}".encode()

    def evaluate_challenge(self, challenge: bytes) -> bytes | None:
        return None
