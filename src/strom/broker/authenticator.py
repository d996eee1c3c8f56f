"""SASL authentication of one connection on a SASL_PLAINTEXT / SASL_SSL listener (Kafka's SaslServerAuthenticator).

Until the client is authenticated only ApiVersions, SaslHandshake (v0-1) and SaslAuthenticate (v0-2) are
served; anything else closes the connection. After a v0 SaslHandshake the tokens travel as raw size-prefixed
frames without request headers (what old clients do); after v1 each is a SaslAuthenticate request. A failed
exchange is answered with SASL_AUTHENTICATION_FAILED and the connection closes after
`connection.failed.authentication.delay.ms`. An exchange that stalls for `connections.max.idle.ms` is
closed, and so is a frame larger than `sasl.server.max.receive.size` before authentication. With
`connections.max.reauth.ms` (KIP-368) a session has a lifetime (told to v1+ clients); a client re-authenticates
on the live connection with a new SaslHandshake, and a connection whose session expired is closed at its next
request.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from strom.broker.config import BrokerConfig, ConfigError, Listener
from strom.broker.entity_configs import ConfigEntity, EntityConfigStore
from strom.protocol.compiler import Message
from strom.protocol.errors import CorruptMessage, ErrorCode
from strom.protocol.headers import RequestHeader, decode_request_header
from strom.protocol.schema.api_versions import API_KEY as API_VERSIONS
from strom.protocol.schema.sasl_authenticate import API_KEY as SASL_AUTHENTICATE
from strom.protocol.schema.sasl_authenticate import SaslAuthenticateRequest, SaslAuthenticateResponse
from strom.protocol.schema.sasl_handshake import API_KEY as SASL_HANDSHAKE
from strom.protocol.schema.sasl_handshake import SaslHandshakeRequest, SaslHandshakeResponse
from strom.security.jaas import JaasEntry, JaasError, entry_for, parse_jaas_config
from strom.security.principal import KafkaPrincipal
from strom.security.sasl import SUPPORTED_MECHANISMS, SaslAuthenticationError, SaslError, SaslServer
from strom.security.sasl.login import SaslLogin
from strom.security.sasl.oauthbearer import OAuthBearerServer, UnsecuredLoginOptions, UnsecuredValidatorOptions
from strom.security.sasl.plain import PasswordCheck, PlainServer, jaas_users_check
from strom.security.sasl.scram import ScramCredential, ScramMechanism, ScramServer

log = logging.getLogger("org.apache.kafka.common.security.authenticator.SaslServerAuthenticator")


# ---- SCRAM credentials the broker knows (Kafka's CredentialCache) ------------------------------------------


class ScramCredentialCache:
    """user -> mechanism -> ScramCredential, kept in step with the users' entity configs (the SCRAM-SHA-*
    keys of /config/users/<name>); read by every SCRAM exchange without IO."""

    def __init__(self) -> None:
        self._by_user: dict[str, dict[str, ScramCredential]] = {}

    def get(self, user: str, mechanism: str) -> ScramCredential | None:
        return self._by_user.get(user, {}).get(mechanism)

    def update_user(self, user: str, configs: Mapping[str, str]) -> None:
        """Replaces a user's credentials with the SCRAM keys among `configs` (others are ignored)."""
        creds: dict[str, ScramCredential] = {}
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            text = configs.get(mechanism)
            if text is None:
                continue
            try:
                creds[mechanism] = ScramCredential.from_config(text)
            except ValueError as exc:
                log.error("Ignoring the %s credential of user %s: %s", mechanism, user, exc)
        if creds:
            self._by_user[user] = creds
        else:
            self._by_user.pop(user, None)

    def users(self) -> dict[str, dict[str, ScramCredential]]:
        return {u: dict(c) for u, c in self._by_user.items()}

    def follow(self, store: EntityConfigStore) -> None:
        """Loads every user's credentials from the entity-config store and keeps up with its changes (made
        here, or on any broker in ZooKeeper mode)."""
        for entity in store.entities("users"):
            if entity.user is not None:
                self.update_user(entity.user, store.get(entity))

        def changed(entity: ConfigEntity) -> None:
            if entity.user is not None and entity.client_id is None:
                self.update_user(entity.user, store.get(entity))

        store.on_change(changed)


# ---- what a SASL listener is configured with -------------------------------------------------------------


def listener_value(config: BrokerConfig, listener: Listener, key: str) -> str | None:
    """`listener.name.<listener>.<key>` if set, else `<key>` (Kafka's listener-prefixed overrides), as text."""
    value = config.listener_value(listener.name, key)
    return None if value is None else str(value).strip()


@dataclass
class SaslListenerConfig:
    """One SASL listener's mechanisms, JAAS entries and lifetimes, read once at start-up."""

    listener: Listener
    enabled: tuple[str, ...]  # as configured (sasl.enabled.mechanisms), Kafka's default GSSAPI included
    jaas: dict[str, JaasEntry | None]  # by mechanism
    plain_check: PasswordCheck | None
    max_reauth_ms: int
    max_receive_size: int
    idle_ms: int
    failed_delay_ms: int
    oauth_options: UnsecuredValidatorOptions = field(default_factory=UnsecuredValidatorOptions)

    @property
    def served(self) -> list[str]:
        """The enabled mechanisms Strom implements: what a client may choose."""
        return [m for m in self.enabled if m in SUPPORTED_MECHANISMS]

    @classmethod
    def build(cls, config: BrokerConfig, listener: Listener) -> SaslListenerConfig:
        enabled = tuple(
            m.strip().upper() for m in (listener_value(config, listener, "sasl.enabled.mechanisms") or "").split(",") if m.strip()
        )
        unsupported = [m for m in enabled if m not in SUPPORTED_MECHANISMS]
        if unsupported:
            log.warning(
                "Listener %s: SASL mechanisms %s are enabled but not supported by Strom (supported: %s)",
                listener.name,
                ",".join(unsupported),
                ",".join(SUPPORTED_MECHANISMS),
            )
        jaas = {m: _jaas_entry(config, listener, m) for m in enabled if m in SUPPORTED_MECHANISMS}
        plain_check = None
        if "PLAIN" in enabled:
            plain_check = _plain_check(config, listener, jaas.get("PLAIN"))
        oauth = jaas.get("OAUTHBEARER")
        if "OAUTHBEARER" in enabled:
            log.warning(
                "Listener %s: OAUTHBEARER accepts unsecured JWTs (alg none, Kafka's development default): any client "
                "can claim any principal; do not enable it where that matters",
                listener.name,
            )
        return cls(
            listener,
            enabled,
            jaas,
            plain_check,
            int(listener_value(config, listener, "connections.max.reauth.ms") or 0),
            int(config["sasl.server.max.receive.size"]),
            int(config["connections.max.idle.ms"]),
            int(config["connection.failed.authentication.delay.ms"]),
            UnsecuredValidatorOptions.from_jaas(oauth.options) if oauth else UnsecuredValidatorOptions(),
        )

    def new_server(self, mechanism: str, credentials: ScramCredentialCache) -> SaslServer:
        if mechanism == "PLAIN":
            assert self.plain_check is not None
            return PlainServer(self.plain_check)
        if mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            return ScramServer(ScramMechanism.from_name(mechanism), lambda user: credentials.get(user, mechanism))
        return OAuthBearerServer(self.oauth_options)


def inter_broker_sasl_login(config: BrokerConfig, listener: Listener) -> SaslLogin | None:
    """How this broker logs in to its peers on the inter-broker listener (None unless it uses SASL):
    `sasl.mechanism.inter.broker.protocol` with the username/password of that listener's JAAS entry for the
    mechanism (unsecuredLogin* options for OAUTHBEARER), as Kafka's broker does."""
    if not listener.security_protocol.uses_sasl:
        return None
    mechanism = str(config["sasl.mechanism.inter.broker.protocol"]).strip().upper()
    if mechanism not in SUPPORTED_MECHANISMS:
        raise ConfigError(
            f"Invalid value {mechanism} for configuration sasl.mechanism.inter.broker.protocol: the inter-broker listener "
            f"{listener.name} uses SASL, and Strom supports {', '.join(SUPPORTED_MECHANISMS)}"
        )
    entry = _jaas_entry(config, listener, mechanism)
    key = f"listener.name.{listener.name.lower()}.{mechanism.lower()}.sasl.jaas.config"
    if entry is None:
        raise ConfigError(f"The inter-broker listener {listener.name} uses SASL/{mechanism} but has no JAAS configuration: set {key}")
    try:
        if mechanism == "OAUTHBEARER":
            return SaslLogin(mechanism, oauth=UnsecuredLoginOptions.from_jaas(entry.options))
        username, password = entry.credentials()
        return SaslLogin(mechanism, username, password)
    except (JaasError, ValueError) as exc:
        raise ConfigError(f"Invalid value for configuration {key}: {exc} (the broker's own login to its peers)") from None


def _jaas_entry(config: BrokerConfig, listener: Listener, mechanism: str) -> JaasEntry | None:
    """listener.name.<l>.<mechanism>.sasl.jaas.config, then listener.name.<l>.sasl.jaas.config, then sasl.jaas.config."""
    prefix = f"listener.name.{listener.name.lower()}."
    key = None
    for candidate in (f"{prefix}{mechanism.lower()}.sasl.jaas.config", f"{prefix}sasl.jaas.config", "sasl.jaas.config"):
        if config.raw.get(candidate):
            key = candidate
            break
    if key is None:
        return None
    try:
        return entry_for(parse_jaas_config(config.raw[key]), mechanism)  # as written: JAAS is never parsed as a config value
    except JaasError as exc:
        raise ConfigError(f"Invalid value for configuration {key}: {exc}") from None


def _plain_check(config: BrokerConfig, listener: Listener, entry: JaasEntry | None) -> PasswordCheck:
    """PLAIN's password check: a callback handler class if one is configured, else the JAAS user_<name> entries."""
    key = f"listener.name.{listener.name.lower()}.plain.sasl.server.callback.handler.class"
    path = config.raw.get(key)
    options: Mapping[str, str] = entry.options if entry else {}
    if path:
        return _load_callback(key, path.strip(), options)
    if entry is None:
        raise ConfigError(
            f"Listener {listener.name} enables SASL mechanism PLAIN but has no JAAS configuration: set "
            f'listener.name.{listener.name.lower()}.plain.sasl.jaas.config (PlainLoginModule with user_<name>="<password>" entries)'
        )
    return jaas_users_check(options)


def _load_callback(key: str, path: str, options: Mapping[str, str]) -> PasswordCheck:
    """A Python callable `(username, password) -> bool` named "package.module.name"; a class is built with
    the JAAS options and its instance called."""
    module_name, _, attr = path.replace(":", ".").rpartition(".")
    try:
        target: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"Invalid value {path!r} for configuration {key}: {exc}") from None
    check = target(dict(options)) if isinstance(target, type) else target
    if not callable(check):
        raise ConfigError(f"Invalid value {path!r} for configuration {key}: not callable")
    return check  # type: ignore[no-any-return]


# ---- the per-connection state machine --------------------------------------------------------------------


class SaslChannel(Protocol):
    """What the authenticator asks of its connection (KafkaConnection in server.py)."""

    peer: str
    principal: KafkaPrincipal
    closed: bool

    def serve(self, frame: bytearray) -> None:
        """Decodes and dispatches a request the usual way (ApiVersions during authentication)."""

    def respond(self, header: RequestHeader, response: Message) -> None:
        """Queues a response in the connection's answer order."""

    def send_raw(self, payload: bytes) -> None:
        """Queues a size-prefixed frame without a response header (v0 raw SASL tokens)."""

    def set_max_receive_size(self, size: int | None) -> None:
        """The largest frame accepted from now on; None: socket.request.max.bytes again."""

    def close(self) -> None: ...

    def close_later(self, delay_s: float) -> None: ...


# states (Kafka's SaslState)
HANDSHAKE_OR_VERSIONS = "HANDSHAKE_OR_VERSIONS_REQUEST"
HANDSHAKE = "HANDSHAKE_REQUEST"
AUTHENTICATE = "AUTHENTICATE"
COMPLETE = "COMPLETE"
REAUTH_AUTHENTICATE = "REAUTH_AUTHENTICATE"
FAILED = "FAILED"


class SaslServerAuthenticator:
    """Intercepts a SASL connection's frames until it is authenticated, and its re-authentications after."""

    def __init__(
        self,
        channel: SaslChannel,
        listener_config: SaslListenerConfig,
        credentials: ScramCredentialCache,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._channel = channel
        self._config = listener_config
        self._credentials = credentials
        self._clock = clock
        self.state = HANDSHAKE_OR_VERSIONS
        self._mechanism = ""
        self._server: SaslServer | None = None
        self._raw_tokens = False  # after a v0 SaslHandshake
        self._session_expires_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        channel.set_max_receive_size(listener_config.max_receive_size)
        self._arm_timer()

    @property
    def authenticated(self) -> bool:
        return self.state in (COMPLETE, REAUTH_AUTHENTICATE)

    def on_frame(self, frame: bytearray) -> bool:
        """True when the frame was the authenticator's to handle; False for a request to serve as usual."""
        if self.state in (COMPLETE, REAUTH_AUTHENTICATE):
            try:
                return self._on_authenticated_frame(frame)
            except CorruptMessage as exc:
                self._fail_silently(f"undecodable SASL request during re-authentication ({exc})")
                return True
        if self.state == FAILED:
            return True
        self._arm_timer()
        if self._raw_tokens:
            self._on_token(bytes(frame), None)
            return True
        try:
            header, pos = decode_request_header(frame)
        except CorruptMessage as exc:
            self._fail_silently(f"undecodable request during SASL authentication ({exc})")
            return True
        if header.api_key == API_VERSIONS and self.state in (HANDSHAKE_OR_VERSIONS, HANDSHAKE):
            self.state = HANDSHAKE
            self._channel.serve(frame)
        elif header.api_key == SASL_HANDSHAKE and self.state in (HANDSHAKE_OR_VERSIONS, HANDSHAKE):
            self._on_handshake(header, frame, pos)
        elif header.api_key == SASL_AUTHENTICATE and self.state == AUTHENTICATE:
            self._on_authenticate(header, frame, pos)
        elif header.api_key in (SASL_AUTHENTICATE, SASL_HANDSHAKE):
            self._illegal_state(header)
        else:
            self._fail_silently(f"unexpected Kafka request of type {header.api_key} during SASL {self.state.lower()}")
        return True

    def _on_authenticated_frame(self, frame: bytearray) -> bool:
        api_key = (frame[0] << 8) | frame[1] if len(frame) >= 2 else -1
        if self.state == REAUTH_AUTHENTICATE:
            if api_key == SASL_AUTHENTICATE:
                header, pos = decode_request_header(frame)
                self._on_authenticate(header, frame, pos)
                return True
        elif api_key == SASL_HANDSHAKE:
            header, pos = decode_request_header(frame)
            self._on_handshake(header, frame, pos)
            return True
        expires = self._session_expires_at
        if expires is not None and self._clock() >= expires:
            log.info("Closing connection from %s: its SASL session expired and it did not re-authenticate", self._channel.peer)
            self.state = FAILED
            self._channel.close()
            return True
        return False

    # ---- SaslHandshake ---------------------------------------------------------------------------------

    def _on_handshake(self, header: RequestHeader, frame: bytearray, pos: int) -> None:
        request = self._decode(SaslHandshakeRequest, header, frame, pos)
        if request is None:
            return
        mechanism = request.mechanism
        served = self._config.served
        if self.state == COMPLETE:  # KIP-368 re-authentication
            if header.api_version < 1 or mechanism != self._mechanism:
                self._channel.respond(header, SaslHandshakeResponse(error_code=ErrorCode.ILLEGAL_SASL_STATE, mechanisms=served))
                self._fail(
                    f"re-authentication with {'SaslHandshake v0' if header.api_version < 1 else 'a different mechanism ' + mechanism}"
                )
                return
            self._server = self._config.new_server(mechanism, self._credentials)
            self.state = REAUTH_AUTHENTICATE
            self._channel.respond(header, SaslHandshakeResponse(error_code=ErrorCode.NONE, mechanisms=served))
            return
        if mechanism not in served:
            self._channel.respond(header, SaslHandshakeResponse(error_code=ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms=served))
            self._fail(f"unsupported SASL mechanism {mechanism!r} (enabled: {','.join(served)})")
            return
        self._mechanism = mechanism
        self._server = self._config.new_server(mechanism, self._credentials)
        self._raw_tokens = header.api_version == 0
        self.state = AUTHENTICATE
        self._channel.respond(header, SaslHandshakeResponse(error_code=ErrorCode.NONE, mechanisms=served))

    # ---- SaslAuthenticate / raw tokens ------------------------------------------------------------------

    def _on_authenticate(self, header: RequestHeader, frame: bytearray, pos: int) -> None:
        request = self._decode(SaslAuthenticateRequest, header, frame, pos)
        if request is not None:
            self._on_token(bytes(request.auth_bytes), header)

    def _on_token(self, token: bytes, header: RequestHeader | None) -> None:
        server = self._server
        assert server is not None
        try:
            challenge = server.evaluate_response(token)
        except SaslAuthenticationError as exc:
            self._authentication_failed(header, str(exc), str(exc))
            return
        except SaslError as exc:
            message = f"Authentication failed during authentication due to invalid credentials with SASL mechanism {self._mechanism}"
            self._authentication_failed(header, message, str(exc))
            return
        lifetime_ms = 0
        if server.complete:
            principal = KafkaPrincipal("User", server.authorization_id)
            if self.state == REAUTH_AUTHENTICATE and principal != self._channel.principal:
                message = f"Cannot change principals during re-authentication from {self._channel.principal}: {principal}"
                self._authentication_failed(header, message, message)
                return
            lifetime_ms = self._start_session(server)
            self._channel.principal = principal
        if header is None:
            self._channel.send_raw(challenge)
        else:
            self._channel.respond(
                header,
                SaslAuthenticateResponse(
                    error_code=ErrorCode.NONE, error_message=None, auth_bytes=challenge, session_lifetime_ms=lifetime_ms
                ),
            )
        if server.complete:
            self._complete()

    def _start_session(self, server: SaslServer) -> int:
        """The session's lifetime in ms (0: none): connections.max.reauth.ms, shortened to the credential's own."""
        lifetimes = [ms for ms in (self._config.max_reauth_ms or None, server.session_lifetime_ms()) if ms is not None]
        if not lifetimes:
            self._session_expires_at = None
            return 0
        lifetime_ms = max(0, min(lifetimes))
        self._session_expires_at = self._clock() + lifetime_ms / 1000
        return lifetime_ms

    def _complete(self) -> None:
        if self.state != REAUTH_AUTHENTICATE:
            log.debug("Authenticated %s as %s with %s", self._channel.peer, self._channel.principal, self._mechanism)
        self.state = COMPLETE
        self._server = None
        self._raw_tokens = False
        self._cancel_timer()
        self._channel.set_max_receive_size(None)

    # ---- failures ---------------------------------------------------------------------------------------

    def _authentication_failed(self, header: RequestHeader | None, message: str, reason: str) -> None:
        log.info("Failed authentication with %s (%s)", self._channel.peer, reason)
        if header is not None:
            self._channel.respond(
                header, SaslAuthenticateResponse(error_code=ErrorCode.SASL_AUTHENTICATION_FAILED, error_message=message, auth_bytes=b"")
            )
        self.state = FAILED
        self._cancel_timer()
        self._channel.close_later(self._config.failed_delay_ms / 1000)

    def _illegal_state(self, header: RequestHeader) -> None:
        response: Message
        if header.api_key == SASL_HANDSHAKE:
            response = SaslHandshakeResponse(error_code=ErrorCode.ILLEGAL_SASL_STATE, mechanisms=self._config.served)
        else:
            response = SaslAuthenticateResponse(
                error_code=ErrorCode.ILLEGAL_SASL_STATE,
                error_message=f"Unexpected SaslAuthenticate request in SASL state {self.state}",
                auth_bytes=b"",
            )
        self._channel.respond(header, response)
        self._fail(f"SASL request of type {header.api_key} in state {self.state}")

    def _fail(self, reason: str) -> None:
        log.info("Failed authentication with %s (%s)", self._channel.peer, reason)
        self.state = FAILED
        self._cancel_timer()
        self._channel.close_later(self._config.failed_delay_ms / 1000)

    def _fail_silently(self, reason: str) -> None:
        log.info("Closing connection from %s: %s", self._channel.peer, reason)
        self.state = FAILED
        self._cancel_timer()
        self._channel.close()

    def _decode(self, request_type: Any, header: RequestHeader, frame: bytearray, pos: int) -> Any:
        try:
            return request_type.decode(frame, header.api_version, pos)[0]
        except CorruptMessage as exc:
            self._fail_silently(f"cannot decode SASL request v{header.api_version} ({exc})")
            return None

    # ---- a stalled exchange -----------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        self._cancel_timer()
        if self._config.idle_ms > 0:
            self._timer = asyncio.get_running_loop().call_later(self._config.idle_ms / 1000, self._timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if not self.authenticated and not self._channel.closed:
            log.info(
                "Closing connection from %s: SASL authentication did not complete within connections.max.idle.ms=%d (state %s)",
                self._channel.peer,
                self._config.idle_ms,
                self.state,
            )
            self.state = FAILED
            self._channel.close()

    def connection_lost(self) -> None:
        self._cancel_timer()
