"""SASL mechanisms: RFC 7677's SCRAM-SHA-256 exchange replayed byte for byte, client/server round trips
for every mechanism (hypothesis over names and passwords), and each way an exchange fails."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.security.sasl import SaslAuthenticationError, SaslError
from strom.security.sasl.oauthbearer import (
    OAuthBearerClient,
    OAuthBearerServer,
    UnsecuredLoginOptions,
    UnsecuredValidatorOptions,
    unsecured_jwt,
)
from strom.security.sasl.plain import PlainClient, PlainServer, jaas_users_check
from strom.security.sasl.scram import ScramClient, ScramCredential, ScramMechanism, ScramServer

# RFC 7677 section 3
RFC7677_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
RFC7677_CLIENT_FINAL = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
RFC7677_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")


def _rfc_credential() -> ScramCredential:
    return ScramCredential.from_password(ScramMechanism.SCRAM_SHA_256, "pencil", 4096, RFC7677_SALT)


def test_scram_sha256_server_replays_rfc7677() -> None:
    server = ScramServer(ScramMechanism.SCRAM_SHA_256, {"user": _rfc_credential()}.get, server_nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    assert server.evaluate_response(RFC7677_CLIENT_FIRST) == RFC7677_SERVER_FIRST
    assert server.evaluate_response(RFC7677_CLIENT_FINAL) == RFC7677_SERVER_FINAL
    assert server.complete and server.authorization_id == "user"


def test_scram_sha256_client_replays_rfc7677() -> None:
    client = ScramClient(ScramMechanism.SCRAM_SHA_256, "user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert client.initial_response() == RFC7677_CLIENT_FIRST
    assert client.evaluate_challenge(RFC7677_SERVER_FIRST) == RFC7677_CLIENT_FINAL
    assert client.evaluate_challenge(RFC7677_SERVER_FINAL) is None
    assert client.complete


def test_scram_client_refuses_a_forged_server_signature() -> None:
    client = ScramClient(ScramMechanism.SCRAM_SHA_256, "user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    client.initial_response()
    client.evaluate_challenge(RFC7677_SERVER_FIRST)
    with pytest.raises(SaslError):
        client.evaluate_challenge(b"v=" + base64.b64encode(b"x" * 32))


def test_scram_credential_stored_form_round_trips_and_keeps_no_password() -> None:
    cred = _rfc_credential()
    text = cred.to_config()
    assert text.startswith("salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=") and text.endswith(",iterations=4096")
    assert "pencil" not in text
    assert ScramCredential.from_config(text) == cred
    with pytest.raises(ValueError):
        ScramCredential.from_config("salt=abc,iterations=4096")


def _exchange(client: ScramClient | PlainClient | OAuthBearerClient, server: ScramServer | PlainServer | OAuthBearerServer) -> None:
    token: bytes | None = client.initial_response()
    while token is not None and not server.complete:
        challenge = server.evaluate_response(token)
        token = client.evaluate_challenge(challenge)
    if token is not None:
        server.evaluate_response(token)


names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=20)
passwords = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None)
@given(mechanism=st.sampled_from([ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512]), user=names, password=passwords)
def test_scram_round_trip_any_name_and_password(mechanism: ScramMechanism, user: str, password: str) -> None:
    creds = {user: ScramCredential.from_password(mechanism, password, 4096)}
    server = ScramServer(mechanism, creds.get)
    client = ScramClient(mechanism, user, password)
    _exchange(client, server)
    assert server.complete and client.complete and server.authorization_id == user


@settings(max_examples=10, deadline=None)
@given(user=names, password=passwords, wrong=passwords)
def test_scram_wrong_password_fails_without_saying_why(user: str, password: str, wrong: str) -> None:
    if wrong == password:
        wrong += "x"
    creds = {user: ScramCredential.from_password(ScramMechanism.SCRAM_SHA_512, password, 4096)}
    server = ScramServer(ScramMechanism.SCRAM_SHA_512, creds.get)
    with pytest.raises(SaslError) as info:
        _exchange(ScramClient(ScramMechanism.SCRAM_SHA_512, user, wrong), server)
    assert type(info.value) is SaslError  # not a message for the client
    assert not server.complete


def test_scram_unknown_user_and_too_few_iterations_fail() -> None:
    server = ScramServer(ScramMechanism.SCRAM_SHA_512, {}.get)
    with pytest.raises(SaslError):
        server.evaluate_response(b"n,,n=nobody,r=abc")
    weak = {"u": ScramCredential.from_password(ScramMechanism.SCRAM_SHA_512, "p", 1000)}
    with pytest.raises(SaslError, match="less than the minimum 4096"):
        ScramServer(ScramMechanism.SCRAM_SHA_512, weak.get).evaluate_response(b"n,,n=u,r=abc")


@pytest.mark.parametrize("first", [b"", b"garbage", b"y,,n=u,r=abc", b"n,,n=u", b"n,,n=u,r=abc,tokenauth=true", b"\xff\xfe"])
def test_scram_malformed_client_first_fails(first: bytes) -> None:
    creds = {"u": ScramCredential.from_password(ScramMechanism.SCRAM_SHA_256, "p", 4096)}
    with pytest.raises(SaslError):
        ScramServer(ScramMechanism.SCRAM_SHA_256, creds.get).evaluate_response(first)


def test_scram_final_with_a_wrong_nonce_fails() -> None:
    creds = {"u": ScramCredential.from_password(ScramMechanism.SCRAM_SHA_256, "p", 4096)}
    server = ScramServer(ScramMechanism.SCRAM_SHA_256, creds.get)
    server.evaluate_response(b"n,,n=u,r=abc")
    with pytest.raises(SaslError, match="nonce"):
        server.evaluate_response(b"c=biws,r=abcXYZ,p=" + base64.b64encode(b"0" * 32))


def test_scram_username_escaping() -> None:
    creds = {"a,b=c": ScramCredential.from_password(ScramMechanism.SCRAM_SHA_256, "p", 4096)}
    client = ScramClient(ScramMechanism.SCRAM_SHA_256, "a,b=c", "p")
    assert b"n=a=2Cb=3Dc," in client.initial_response()
    client = ScramClient(ScramMechanism.SCRAM_SHA_256, "a,b=c", "p")
    server = ScramServer(ScramMechanism.SCRAM_SHA_256, creds.get)
    _exchange(client, server)
    assert server.authorization_id == "a,b=c"


@settings(max_examples=25, deadline=None)
@given(user=names, password=passwords)
def test_plain_round_trip(user: str, password: str) -> None:
    server = PlainServer(jaas_users_check({f"user_{user}": password}))
    _exchange(PlainClient(user, password), server)
    assert server.complete and server.authorization_id == user


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (b"\0alice\0wrong", "Authentication failed: Invalid username or password"),
        (b"\0bob\0alice-secret", "Authentication failed: Invalid username or password"),
        (b"\0alice", "Invalid SASL/PLAIN response: expected 3 tokens, got 2"),
        (b"\0\0alice-secret", "Authentication failed: username not specified"),
        (b"\0alice\0", "Authentication failed: password not specified"),
        (b"mallory\0alice\0alice-secret", "Client requested an authorization id that is different from username"),
    ],
)
def test_plain_failures_carry_kafkas_messages(token: bytes, message: str) -> None:
    server = PlainServer(jaas_users_check({"user_alice": "alice-secret"}))
    with pytest.raises(SaslAuthenticationError, match=message):
        server.evaluate_response(token)
    assert not server.complete


NOW_MS = 1_700_000_000_000


def _oauth_server(**kw: object) -> OAuthBearerServer:
    return OAuthBearerServer(UnsecuredValidatorOptions(**kw), clock_ms=lambda: NOW_MS)  # type: ignore[arg-type]


def test_oauthbearer_unsecured_token_round_trip_and_session_lifetime() -> None:
    token = unsecured_jwt("alice", lifetime_s=60, now_s=NOW_MS / 1000)
    server = _oauth_server()
    _exchange(OAuthBearerClient(token), server)
    assert server.complete and server.authorization_id == "alice"
    assert server.session_lifetime_ms() == 60_000


@pytest.mark.parametrize(
    "token",
    [
        unsecured_jwt("alice", lifetime_s=60, now_s=NOW_MS / 1000 - 120),  # expired
        unsecured_jwt("", now_s=NOW_MS / 1000),  # no principal
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIiwiZXhwIjo5OTk5OTk5OTk5fQ.sig",  # signed, alg HS256
        "not-a-jwt",
    ],
)
def test_oauthbearer_bad_token_gets_the_json_error_then_fails(token: str) -> None:
    server = _oauth_server()
    client = OAuthBearerClient(token)
    challenge = server.evaluate_response(client.initial_response())
    assert json.loads(challenge) == {"status": "invalid_token"}
    ack = client.evaluate_challenge(challenge)
    with pytest.raises(SaslAuthenticationError, match="invalid_token"):
        server.evaluate_response(ack or b"")


def test_oauthbearer_required_scope() -> None:
    server = _oauth_server(required_scope=("kafka",))
    assert server.evaluate_response(OAuthBearerClient(unsecured_jwt("a", now_s=NOW_MS / 1000)).initial_response()) != b""
    server = _oauth_server(required_scope=("kafka",))
    token = unsecured_jwt("a", now_s=NOW_MS / 1000, claims={"scope": ["kafka", "x"]})
    assert server.evaluate_response(OAuthBearerClient(token).initial_response()) == b""


def test_oauthbearer_login_options_from_jaas_and_librdkafka() -> None:
    jaas = UnsecuredLoginOptions.from_jaas({"unsecuredLoginStringClaim_sub": "alice", "unsecuredLoginLifetimeSeconds": "120"})
    assert (jaas.principal, jaas.lifetime_s) == ("alice", 120)
    rdk = UnsecuredLoginOptions.from_librdkafka("principal=bob lifeSeconds=30 scope=a,b extension_traceId=1")
    assert (rdk.principal, rdk.lifetime_s, rdk.claims, rdk.extensions) == ("bob", 30, {"scope": ["a", "b"]}, {"traceId": "1"})
    with pytest.raises(ValueError):
        UnsecuredLoginOptions.from_jaas({})
    token = rdk.token(now_s=NOW_MS / 1000)
    server = _oauth_server()
    _exchange(OAuthBearerClient(token, rdk.extensions), server)
    assert server.authorization_id == "bob"


def test_scram_final_nonce_need_only_end_with_the_servers_part() -> None:
    """librdkafka 2.0 sends r=<client nonce><client nonce><server nonce>; Kafka accepts it (endsWith), so do we."""
    import hashlib
    import hmac

    cred = _rfc_credential()
    server = ScramServer(ScramMechanism.SCRAM_SHA_256, {"user": cred}.get, server_nonce="SERVER")
    server_first = server.evaluate_response(b"n,,n=user,r=CLIENT").decode()
    without_proof = "c=biws,r=CLIENTCLIENTSERVER"
    auth = f"n=user,r=CLIENT,{server_first},{without_proof}".encode()
    salted = hashlib.pbkdf2_hmac("sha256", b"pencil", RFC7677_SALT, 4096)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
    assert server.evaluate_response(f"{without_proof},p={proof}".encode()).startswith(b"v=")
    assert server.complete
