"""SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka speaks them.

The broker keeps per user only salt, iterations, StoredKey and ServerKey (a ScramCredential), never the
password: it checks the client's proof against StoredKey and proves itself with ServerKey. Kafka's
`tokenauth` extension (delegation tokens) is not supported: a client asking for it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from strom.security.sasl.base import SaslAuthenticationError, SaslError

MIN_ITERATIONS = 4096  # Kafka's ScramMechanism.minIterations for both hashes
MAX_ITERATIONS = 16384  # the most AlterUserScramCredentials accepts (KIP-554)


class ScramMechanism(IntEnum):
    """The mechanisms with KIP-554's wire ids (DescribeUserScramCredentials / AlterUserScramCredentials)."""

    UNKNOWN = 0
    SCRAM_SHA_256 = 1
    SCRAM_SHA_512 = 2

    @property
    def mechanism_name(self) -> str:
        return self.name.replace("_", "-")

    @property
    def hash_name(self) -> str:
        return "sha256" if self is ScramMechanism.SCRAM_SHA_256 else "sha512"

    @classmethod
    def from_name(cls, name: str) -> ScramMechanism:
        """ "SCRAM-SHA-512" -> SCRAM_SHA_512; UNKNOWN for anything else."""
        return cls.__members__.get(name.upper().replace("-", "_"), cls.UNKNOWN)


MECHANISMS = tuple(m.mechanism_name for m in ScramMechanism if m is not ScramMechanism.UNKNOWN)


def _hmac(key: bytes, data: bytes, hash_name: str) -> bytes:
    return hmac.new(key, data, hash_name).digest()


def salted_password(mechanism: ScramMechanism, password: str, salt: bytes, iterations: int) -> bytes:
    """Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC."""
    return hashlib.pbkdf2_hmac(mechanism.hash_name, password.encode("utf-8"), salt, iterations)


@dataclass(frozen=True, slots=True)
class ScramCredential:
    """What the broker stores per user and mechanism (Kafka's ScramCredential)."""

    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int

    @classmethod
    def from_salted_password(cls, mechanism: ScramMechanism, salted: bytes, salt: bytes, iterations: int) -> ScramCredential:
        h = mechanism.hash_name
        client_key = _hmac(salted, b"Client Key", h)
        return cls(salt, hashlib.new(h, client_key).digest(), _hmac(salted, b"Server Key", h), iterations)

    @classmethod
    def from_password(cls, mechanism: ScramMechanism, password: str, iterations: int, salt: bytes | None = None) -> ScramCredential:
        salt = secrets.token_bytes(32) if salt is None else salt
        return cls.from_salted_password(mechanism, salted_password(mechanism, password, salt, iterations), salt, iterations)

    def to_config(self) -> str:
        """Kafka's stored form (/config/users/<name>): "salt=...,stored_key=...,server_key=...,iterations=N"."""
        b64 = base64.b64encode
        return (
            f"salt={b64(self.salt).decode()},stored_key={b64(self.stored_key).decode()},"
            f"server_key={b64(self.server_key).decode()},iterations={self.iterations}"
        )

    @classmethod
    def from_config(cls, text: str) -> ScramCredential:
        """Parses the stored form; ValueError if a field is missing or malformed."""
        fields = dict(item.split("=", 1) for item in text.split(",") if "=" in item)
        try:
            return cls(
                base64.b64decode(fields["salt"], validate=True),
                base64.b64decode(fields["stored_key"], validate=True),
                base64.b64decode(fields["server_key"], validate=True),
                int(fields["iterations"]),
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"invalid SCRAM credential {text!r}: {exc}") from None


def escape_username(name: str) -> str:
    """RFC 5802 saslname: ',' and '=' are written =2C and =3D."""
    return name.replace("=", "=3D").replace(",", "=2C")


def unescape_username(saslname: str) -> str:
    if re.search(r"=(?!2C|3D)", saslname):
        raise SaslError(f"Invalid username: {saslname}")
    return saslname.replace("=2C", ",").replace("=3D", "=")


def _attributes(message: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in message.split(","):
        key, sep, value = item.partition("=")
        if not sep or len(key) != 1:
            raise SaslError(f"Invalid SCRAM {what} message: {message!r}")
        out.setdefault(key, value)
    return out


_CLIENT_FIRST = re.compile(
    r"^n,(?:a=(?P<authzid>[^,]*))?,(?P<bare>n=(?P<saslname>[^,]+),r=(?P<nonce>[^,]+)(?P<extensions>(?:,.*)?))$", re.S
)

CredentialLookup = Callable[[str], ScramCredential | None]
"""(username) -> the stored credential, None for a user without one for this mechanism."""


class ScramServer:
    """The broker's half: client-first -> server-first -> client-final -> server-final (Kafka's ScramSaslServer)."""

    def __init__(self, mechanism: ScramMechanism, lookup: CredentialLookup, server_nonce: str | None = None) -> None:
        self._server_nonce = server_nonce  # fixed only by tests replaying RFC vectors
        self.mechanism = mechanism.mechanism_name
        self._scram = mechanism
        self._lookup = lookup
        self._state = "client-first"
        self._username = ""
        self._credential: ScramCredential | None = None
        self._gs2_header = ""
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._client_nonce_len = 0

    @property
    def complete(self) -> bool:
        return self._state == "complete"

    @property
    def authorization_id(self) -> str:
        return self._username

    def session_lifetime_ms(self) -> int | None:
        return None

    def evaluate_response(self, response: bytes) -> bytes:
        try:
            text = response.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslError("Invalid SCRAM message: not UTF-8") from None
        if self._state == "client-first":
            return self._on_client_first(text)
        if self._state == "client-final":
            return self._on_client_final(text)
        raise SaslError(f"Unexpected SCRAM message in state {self._state}")

    def _on_client_first(self, text: str) -> bytes:
        m = _CLIENT_FIRST.match(text)
        if m is None:
            raise SaslError(f"Invalid SCRAM client first message: {text!r}")
        extensions = _attributes(m.group("extensions")[1:], "client first") if m.group("extensions") else {}
        if extensions.get("tokenauth", "false").lower() == "true":
            raise SaslError("Delegation token authentication is not supported")
        self._username = unescape_username(m.group("saslname"))
        credential = self._lookup(self._username)
        if credential is None:
            raise SaslError("Authentication failed: Invalid user credentials")
        authzid = m.group("authzid") or ""
        if authzid and authzid != self._username:
            raise SaslAuthenticationError("Authentication failed: Client requested an authorization id that is different from username")
        if credential.iterations < MIN_ITERATIONS:
            raise SaslError(f"Iterations {credential.iterations} is less than the minimum {MIN_ITERATIONS} for {self.mechanism}")
        self._credential = credential
        self._gs2_header = text[: m.start("bare")]
        self._client_first_bare = m.group("bare")
        self._client_nonce_len = len(m.group("nonce"))
        self._nonce = m.group("nonce") + (self._server_nonce or secrets.token_urlsafe(24))
        self._server_first = f"r={self._nonce},s={base64.b64encode(credential.salt).decode()},i={credential.iterations}"
        self._state = "client-final"
        return self._server_first.encode()

    def _on_client_final(self, text: str) -> bytes:
        without_proof, sep, proof_b64 = text.rpartition(",p=")
        if not sep:
            raise SaslError("Invalid SCRAM client final message: no proof")
        attrs = _attributes(without_proof, "client final")
        # as Kafka's ScramSaslServer: the nonce must end with the server's part (some librdkafka releases
        # send the client nonce twice; the proof covers the message as sent, so that is still sound)
        nonce = attrs.get("r", "")
        if not nonce.endswith(self._nonce[self._client_nonce_len :]) or len(nonce) < len(self._nonce):
            raise SaslError("Invalid client nonce in the final client message.")
        if attrs.get("c") != base64.b64encode(self._gs2_header.encode()).decode():
            raise SaslError("Invalid channel binding in the final client message.")
        try:
            proof = base64.b64decode(proof_b64, validate=True)
        except ValueError:
            raise SaslError("Invalid SCRAM client proof") from None
        credential = self._credential
        assert credential is not None
        h = self._scram.hash_name
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        signature = _hmac(credential.stored_key, auth_message, h)
        if len(proof) != len(signature):
            raise SaslError("Invalid client credentials")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(hashlib.new(h, client_key).digest(), credential.stored_key):
            raise SaslError("Invalid client credentials")
        server_signature = _hmac(credential.server_key, auth_message, h)
        self._state = "complete"
        self._credential = None
        return f"v={base64.b64encode(server_signature).decode()}".encode()


class ScramClient:
    """The client's half (Kafka's ScramSaslClient): it checks the server's signature at the end."""

    def __init__(self, mechanism: ScramMechanism, username: str, password: str, nonce: str | None = None) -> None:
        self.mechanism = mechanism.mechanism_name
        self._scram = mechanism
        self._username = username
        self._password = password
        self._nonce = nonce or secrets.token_urlsafe(24)
        self._state = "initial"
        self._client_first_bare = ""
        self._server_signature = b""

    @property
    def complete(self) -> bool:
        return self._state == "complete"

    def initial_response(self) -> bytes:
        self._client_first_bare = f"n={escape_username(self._username)},r={self._nonce}"
        self._state = "server-first"
        return f"n,,{self._client_first_bare}".encode()

    def evaluate_challenge(self, challenge: bytes) -> bytes | None:
        text = challenge.decode("utf-8", "replace")
        if self._state == "server-first":
            return self._on_server_first(text)
        if self._state == "server-final":
            self._on_server_final(text)
            return None
        raise SaslError(f"Unexpected SCRAM challenge in state {self._state}")

    def _on_server_first(self, text: str) -> bytes:
        attrs = _attributes(text, "server first")
        if "e" in attrs:
            raise SaslAuthenticationError(f"SCRAM authentication failed: {attrs['e']}")
        nonce, salt_b64, iterations = attrs.get("r", ""), attrs.get("s", ""), attrs.get("i", "")
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise SaslError("Invalid server nonce: it does not start with the client nonce")
        try:
            salt = base64.b64decode(salt_b64, validate=True)
            rounds = int(iterations)
        except ValueError:
            raise SaslError(f"Invalid SCRAM server first message: {text!r}") from None
        if rounds < MIN_ITERATIONS:
            raise SaslError(f"Requested iterations {rounds} is less than the minimum {MIN_ITERATIONS} for {self.mechanism}")
        h = self._scram.hash_name
        salted = salted_password(self._scram, self._password, salt, rounds)
        without_proof = f"c=biws,r={nonce}"  # biws = base64("n,,")
        auth_message = f"{self._client_first_bare},{text},{without_proof}".encode()
        client_key = _hmac(salted, b"Client Key", h)
        signature = _hmac(hashlib.new(h, client_key).digest(), auth_message, h)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key", h), auth_message, h)
        self._state = "server-final"
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _on_server_final(self, text: str) -> None:
        attrs = _attributes(text, "server final")
        if "e" in attrs:
            raise SaslAuthenticationError(f"SCRAM authentication failed: {attrs['e']}")
        if not hmac.compare_digest(attrs.get("v", ""), base64.b64encode(self._server_signature).decode()):
            raise SaslError("Invalid server signature in server final message")
        self._state = "complete"
