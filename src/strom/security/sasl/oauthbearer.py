"""SASL/OAUTHBEARER (RFC 7628) with Kafka's development default: unsecured JWTs (`alg: none`).

The client sends "n,,\\x01auth=Bearer <token>\\x01\\x01"; the server checks the token as Kafka's
OAuthBearerUnsecuredValidatorCallbackHandler does (no signature, `alg` none, the principal claim present,
`exp` not passed, required scopes held). A bad token gets the RFC's JSON error as a challenge; the client
answers \\x01 and the exchange fails with that JSON as its message. Unsecured tokens are for development
only: anyone can mint one for any principal.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strom.security.sasl.base import SaslAuthenticationError, SaslError

MECHANISM = "OAUTHBEARER"
_KVSEP = "\x01"
_CLIENT_FIRST = re.compile(r"^n,(?:a=(?P<authzid>[^,]*))?,\x01(?P<kvpairs>.*)\x01\x01$", re.S)


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InvalidToken(ValueError):
    """A token the validator refuses; the message says why (logged by the broker, not sent)."""


@dataclass(frozen=True, slots=True)
class UnsecuredValidatorOptions:
    """Kafka's unsecuredValidator* JAAS options."""

    principal_claim: str = "sub"
    scope_claim: str = "scope"
    required_scope: tuple[str, ...] = ()
    allowable_clock_skew_ms: int = 0

    @classmethod
    def from_jaas(cls, options: Mapping[str, str]) -> UnsecuredValidatorOptions:
        return cls(
            options.get("unsecuredValidatorPrincipalClaimName", "sub"),
            options.get("unsecuredValidatorScopeClaimName", "scope"),
            tuple(s for s in re.split(r"[\s,]+", options.get("unsecuredValidatorRequiredScope", "")) if s),
            int(options.get("unsecuredValidatorAllowableClockSkewMs", "0")),
        )


@dataclass(frozen=True, slots=True)
class ValidatedToken:
    principal: str
    expires_at_ms: int


def validate_unsecured(token: str, options: UnsecuredValidatorOptions, now_ms: int) -> ValidatedToken:
    """Checks an unsecured JWS as Kafka's OAuthBearerUnsecuredJws does; InvalidToken says what is wrong."""
    parts = token.split(".")
    if len(parts) != 3 or parts[2]:
        raise InvalidToken("an unsecured JWS has three dot-separated parts and an empty signature")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError as exc:
        raise InvalidToken(f"undecodable JWS header or payload: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") != "none":
        raise InvalidToken("the JWS header's alg must be 'none' for an unsecured token")
    if not isinstance(claims, dict):
        raise InvalidToken("the JWS payload is not a JSON object")
    principal = claims.get(options.principal_claim)
    if not isinstance(principal, str) or not principal.strip():
        raise InvalidToken(f"no principal claim '{options.principal_claim}'")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise InvalidToken("no numeric 'exp' claim")
    expires_at_ms = int(exp * 1000)
    if expires_at_ms + options.allowable_clock_skew_ms <= now_ms:
        raise InvalidToken(f"the token expired at {expires_at_ms} ms (now {now_ms} ms)")
    if options.required_scope:
        scope = claims.get(options.scope_claim, [])
        held = set(scope.split() if isinstance(scope, str) else scope if isinstance(scope, list) else [])
        missing = [s for s in options.required_scope if s not in held]
        if missing:
            raise InvalidToken(f"the token lacks the required scope {missing}")
    return ValidatedToken(principal, expires_at_ms)


def unsecured_jwt(principal: str, lifetime_s: int = 3600, now_s: float | None = None, claims: Mapping[str, Any] | None = None) -> str:
    """A token as Kafka's OAuthBearerUnsecuredLoginCallbackHandler mints it: {"alg":"none"}, sub, iat, exp."""
    issued = time.time() if now_s is None else now_s
    payload: dict[str, Any] = {"sub": principal, "iat": int(issued), "exp": int(issued) + lifetime_s}
    payload.update(claims or {})
    header = _b64url_encode(json.dumps({"alg": "none"}, separators=(",", ":")).encode())
    return f"{header}.{_b64url_encode(json.dumps(payload, separators=(',', ':')).encode())}."


@dataclass(frozen=True, slots=True)
class UnsecuredLoginOptions:
    """What the client needs to mint its token: from JAAS unsecuredLogin* options or librdkafka's
    `sasl.oauthbearer.config` ("principal=alice lifeSeconds=3600 scope=a,b extension_x=y")."""

    principal: str
    lifetime_s: int = 3600
    claims: dict[str, Any] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_jaas(cls, options: Mapping[str, str]) -> UnsecuredLoginOptions:
        principal_claim = options.get("unsecuredLoginPrincipalClaimName", "sub")
        claims: dict[str, Any] = {}
        extensions: dict[str, str] = {}
        for key, value in options.items():
            if key.startswith("unsecuredLoginStringClaim_"):
                claims[key[len("unsecuredLoginStringClaim_") :]] = value
            elif key.startswith("unsecuredLoginNumberClaim_"):
                claims[key[len("unsecuredLoginNumberClaim_") :]] = float(value) if "." in value else int(value)
            elif key.startswith("unsecuredLoginListClaim_"):
                sep, items = value[:1], value[1:]
                claims[key[len("unsecuredLoginListClaim_") :]] = [x for x in items.split(sep) if x] if sep else []
            elif key.startswith("unsecuredLoginExtension_"):
                extensions[key[len("unsecuredLoginExtension_") :]] = value
        principal = claims.pop(principal_claim, None)
        if not isinstance(principal, str) or not principal:
            raise ValueError(f"OAUTHBEARER login needs unsecuredLoginStringClaim_{principal_claim}")
        return cls(principal, int(options.get("unsecuredLoginLifetimeSeconds", "3600")), claims, extensions)

    @classmethod
    def from_librdkafka(cls, text: str) -> UnsecuredLoginOptions:
        values = dict(item.split("=", 1) for item in text.split() if "=" in item)
        principal = values.get("principal")
        if not principal:
            raise ValueError("sasl.oauthbearer.config needs principal=<name>")
        claims: dict[str, Any] = {}
        if "scope" in values:
            claims[values.get("scopeClaimName", "scope")] = [s for s in values["scope"].split(",") if s]
        extensions = {k[len("extension_") :]: v for k, v in values.items() if k.startswith("extension_")}
        return cls(principal, int(values.get("lifeSeconds", "3600")), claims, extensions)

    def token(self, now_s: float | None = None) -> str:
        return unsecured_jwt(self.principal, self.lifetime_s, now_s, self.claims)


class OAuthBearerServer:
    """The broker's half (Kafka's OAuthBearerSaslServer with the unsecured validator)."""

    mechanism = MECHANISM

    def __init__(self, options: UnsecuredValidatorOptions, clock_ms: Callable[[], int] | None = None) -> None:
        self._options = options
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._complete = False
        self._principal = ""
        self._expires_at_ms = 0
        self._error: str | None = None
        self.invalid_reason = ""  # why the token was refused, for the broker's log

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def authorization_id(self) -> str:
        return self._principal

    def session_lifetime_ms(self) -> int | None:
        return max(0, self._expires_at_ms - self._clock_ms())

    def evaluate_response(self, response: bytes) -> bytes:
        if self._error is not None:
            if response == b"\x01":
                raise SaslAuthenticationError(self._error)
            raise SaslError("Unexpected OAUTHBEARER response after an error challenge")
        text = response.decode("utf-8", "replace")
        m = _CLIENT_FIRST.match(text)
        if m is None:
            raise SaslError("Invalid OAUTHBEARER client first message")
        pairs = dict(kv.split("=", 1) for kv in m.group("kvpairs").split(_KVSEP) if "=" in kv)
        auth = pairs.get("auth", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SaslError("Invalid OAUTHBEARER client first message: no 'auth=Bearer <token>'")
        try:
            validated = validate_unsecured(token.strip(), self._options, self._clock_ms())
        except InvalidToken as exc:
            self.invalid_reason = str(exc)
            self._error = json.dumps({"status": "invalid_token"}, separators=(",", ":"))
            return self._error.encode()
        authzid = m.group("authzid") or ""
        if authzid and authzid != validated.principal:
            raise SaslAuthenticationError(
                f"Authentication failed: Client requested an authorization id ({authzid}) that is different from the token's principal name"
            )
        self._principal = validated.principal
        self._expires_at_ms = validated.expires_at_ms
        self._complete = True
        return b""


class OAuthBearerClient:
    """The client's half (Kafka's OAuthBearerSaslClient)."""

    mechanism = MECHANISM

    def __init__(self, token: str, extensions: Mapping[str, str] | None = None) -> None:
        self._token = token
        self._extensions = dict(extensions or {})
        self._complete = False

    @property
    def complete(self) -> bool:
        return self._complete

    def initial_response(self) -> bytes:
        ext = "".join(f"{_KVSEP}{k}={v}" for k, v in self._extensions.items())
        return f"n,,{_KVSEP}auth=Bearer {self._token}{ext}{_KVSEP}{_KVSEP}".encode()

    def evaluate_challenge(self, challenge: bytes) -> bytes | None:
        if challenge:  # an error challenge: acknowledge it, the server then fails the exchange
            return b"\x01"
        self._complete = True
        return None
