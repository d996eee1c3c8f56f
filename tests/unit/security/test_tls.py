"""SSLContexts from Kafka's ssl.* keys: every keystore/truststore form, client auth, protocols and suites,
and a real handshake between the broker's and a client's contexts over memory BIOs (no sockets)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from strom.security.principal import ANONYMOUS, KafkaPrincipal
from strom.security.ssl_principal import SslPrincipalMapper, principal_from_certificate
from strom.security.tls import (
    SslConfigError,
    java_client_context,
    librdkafka_client_context,
    openssl_cipher_name,
    server_context,
)
from strom.testing.certs import Identity, TestCertificates


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def alice(pki: TestCertificates) -> Identity:
    return pki.client("CN=alice,OU=Eng,O=Strom,C=US")


def server(values: Mapping[str, str]) -> ssl.SSLContext:
    return server_context(values.get)


def pem_keystore(ident: Identity) -> dict[str, str]:
    return {"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": ident.cert_chain_text(), "ssl.keystore.key": ident.key_text()}


def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> bytes | None:
    """Runs a TLS handshake between the two contexts in memory; the client certificate the server got (DER)."""
    s_in, s_out, c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    srv = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    cli = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    done = {"s": False, "c": False}
    for _ in range(20):
        for name, obj in (("c", cli), ("s", srv)):
            if not done[name]:
                try:
                    obj.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            break
    # TLS 1.3: the server's verdict on the client certificate reaches the client with the first read
    cli.write(b"x")
    s_in.write(c_out.read())
    assert srv.read(1) == b"x"
    return srv.getpeercert(binary_form=True)


def test_every_keystore_form_serves_the_same_certificate(pki: TestCertificates) -> None:
    ident = pki.server
    both = ident.key_text() + ident.cert_chain_text()
    pem_file = pki.directory / "server-keystore.pem"
    pem_file.write_text(both)
    enc_file = pki.directory / "server-keystore-enc.pem"
    enc_file.write_text(ident.key_text(encrypted=True) + ident.cert_chain_text())
    forms = [
        {"ssl.keystore.type": "PKCS12", "ssl.keystore.location": str(ident.p12), "ssl.keystore.password": ident.password},
        {"ssl.keystore.location": str(ident.p12), "ssl.keystore.password": ident.password},  # Kafka's default type JKS, a PKCS12 file
        {"ssl.keystore.type": "PEM", "ssl.keystore.location": str(pem_file)},
        {"ssl.keystore.type": "PEM", "ssl.keystore.location": str(enc_file), "ssl.key.password": ident.password},
        pem_keystore(ident),
    ]
    client = java_client_context({"ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem)})
    for values in forms:
        assert handshake(server(values), client) is None  # verified by the client; no client certificate asked


def test_keystore_errors_name_the_key(pki: TestCertificates, tmp_path: Path) -> None:
    p12 = str(pki.server.p12)
    with pytest.raises(SslConfigError, match="ssl.keystore.password"):
        server({"ssl.keystore.type": "PKCS12", "ssl.keystore.location": p12, "ssl.keystore.password": "wrong"})
    with pytest.raises(SslConfigError, match="ssl.key.password is not set"):
        server(
            {
                "ssl.keystore.type": "PEM",
                "ssl.keystore.certificate.chain": pki.server.cert_chain_text(),
                "ssl.keystore.key": pki.server.key_text(True),
            }
        )
    with pytest.raises(SslConfigError, match="needs a keystore"):
        server({})
    with pytest.raises(SslConfigError, match="Cannot read ssl.keystore.location"):
        server({"ssl.keystore.location": str(tmp_path / "missing.p12")})
    jks = tmp_path / "store.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 16)
    with pytest.raises(SslConfigError, match="Cannot read the JKS keystore"):
        server({"ssl.keystore.location": str(jks), "ssl.keystore.password": "x"})


def test_mutual_tls_gives_the_mapped_principal(pki: TestCertificates, alice: Identity) -> None:
    srv = server(
        {
            **pem_keystore(pki.server),
            "ssl.client.auth": "required",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(pki.ca_pem),
        }
    )
    client = java_client_context(
        {
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(pki.ca_pem),
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(alice.p12),
            "ssl.keystore.password": alice.password,
        }
    )
    der = handshake(srv, client)
    mapper = SslPrincipalMapper.from_rules("RULE:^CN=([^,]*),.*$/$1/U")
    assert principal_from_certificate(der, mapper) == KafkaPrincipal("User", "ALICE")
    assert principal_from_certificate(der, SslPrincipalMapper.from_rules(None)) == KafkaPrincipal("User", "CN=alice,OU=Eng,O=Strom,C=US")
    assert principal_from_certificate(None, mapper) == ANONYMOUS


@pytest.mark.parametrize("variant", ["expired", "untrusted"])
def test_required_client_auth_refuses_bad_certificates(pki: TestCertificates, variant: str) -> None:
    bad = pki.client(f"CN={variant}", expired=variant == "expired", untrusted=variant == "untrusted")
    srv = server(
        {
            **pem_keystore(pki.server),
            "ssl.client.auth": "required",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(pki.ca_pem),
        }
    )
    client = librdkafka_client_context(
        {"ssl.ca.location": str(pki.ca_pem), "ssl.certificate.location": str(bad.cert_pem), "ssl.key.location": str(bad.key_pem)}
    )
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        handshake(srv, client)


def test_client_auth_modes_and_truststore_forms(pki: TestCertificates, alice: Identity) -> None:
    base = pem_keystore(pki.server)
    assert server(base).verify_mode == ssl.CERT_NONE
    assert server({**base, "ssl.client.auth": "requested"}).verify_mode == ssl.CERT_OPTIONAL
    inline = {**base, "ssl.client.auth": "required", "ssl.truststore.type": "PEM", "ssl.truststore.certificates": pki.ca_pem.read_text()}
    srv = server(inline)
    assert srv.verify_mode == ssl.CERT_REQUIRED
    client = librdkafka_client_context(
        {
            "ssl.ca.pem": pki.ca_pem.read_text(),
            "ssl.certificate.pem": alice.cert_chain_text(),
            "ssl.key.pem": alice.key_text(True),
            "ssl.key.password": alice.password,
        }
    )
    assert handshake(srv, client) is not None
    with pytest.raises(SslConfigError, match="ssl.client.auth"):
        server({**base, "ssl.client.auth": "want"})


@pytest.mark.skipif(shutil.which("keytool") is None, reason="needs Java's keytool")
def test_jks_keystore_and_truststore_made_by_keytool(pki: TestCertificates, alice: Identity) -> None:
    """Kafka's default store type: keytool's JKS files serve and verify as their PKCS12 twins do."""
    jks_server = {
        "ssl.keystore.location": str(pki.server.jks()),
        "ssl.keystore.password": pki.password,
        "ssl.truststore.location": str(pki.truststore_jks()),
        "ssl.truststore.password": pki.password,
        "ssl.client.auth": "required",
    }
    client = java_client_context(
        {
            "ssl.truststore.location": str(pki.truststore_jks()),
            "ssl.keystore.location": str(alice.jks()),
            "ssl.keystore.password": alice.password,
        }
    )  # no truststore password: Java reads a JKS truststore without one (no integrity check)
    der = handshake(server(jks_server), client)
    assert principal_from_certificate(der, SslPrincipalMapper.from_rules(None)).name == alice.subject
    with pytest.raises(SslConfigError, match="wrong key password"):
        server({**jks_server, "ssl.keystore.password": "wrong"})
    with pytest.raises(SslConfigError, match="tampered with, or password was incorrect"):
        server({**jks_server, "ssl.truststore.password": "wrong"})


@pytest.mark.skipif(shutil.which("keytool") is None, reason="needs Java's keytool")
def test_pkcs12_truststore_made_by_keytool(pki: TestCertificates) -> None:
    client = java_client_context(
        {"ssl.truststore.type": "PKCS12", "ssl.truststore.location": str(pki.truststore_p12()), "ssl.truststore.password": pki.password}
    )
    assert handshake(server(pem_keystore(pki.server)), client) is None


def test_protocols_and_cipher_suites(pki: TestCertificates) -> None:
    base = pem_keystore(pki.server)
    only12 = server({**base, "ssl.enabled.protocols": "TLSv1.2"})
    assert (only12.minimum_version, only12.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    suites = server({**base, "ssl.cipher.suites": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
    assert suites.maximum_version == ssl.TLSVersion.TLSv1_2  # Java would negotiate TLS 1.2 with only this suite
    assert [c["name"] for c in suites.get_ciphers() if c["protocol"] == "TLSv1.2"] == ["ECDHE-RSA-AES128-GCM-SHA256"]
    client = java_client_context({"ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem)})
    handshake(suites, client)
    tls13 = server({**base, "ssl.cipher.suites": "TLS_AES_128_GCM_SHA256"})
    assert tls13.minimum_version == ssl.TLSVersion.TLSv1_3
    with pytest.raises(SslConfigError, match="unsupported cipher suite TLS_FOO"):
        server({**base, "ssl.cipher.suites": "TLS_FOO"})
    with pytest.raises(SslConfigError, match="ssl.enabled.protocols"):
        server({**base, "ssl.enabled.protocols": "TLSv9"})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_java_suite_names_translate_as_openssl_maps_them() -> None:
    listing = subprocess.run(["openssl", "ciphers", "-stdname", "ALL"], capture_output=True, text=True, check=True).stdout
    checked = 0
    for line in listing.splitlines():
        standard, _, openssl_name = line.split()[:3]
        if "_WITH_" not in standard:
            continue
        try:
            translated = openssl_cipher_name(standard)
        except SslConfigError:
            continue  # suites Java does not offer (ARIA, CAMELLIA, PSK, anonymous)
        assert translated == openssl_name, standard
        checked += 1
    assert checked >= 30


def test_endpoint_identification(pki: TestCertificates) -> None:
    assert java_client_context({"ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem)}).check_hostname
    off = java_client_context(
        {"ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem), "ssl.endpoint.identification.algorithm": ""}
    )
    assert not off.check_hostname
    assert not librdkafka_client_context({"ssl.endpoint.identification.algorithm": "none"}).check_hostname
    assert librdkafka_client_context({}).check_hostname
    unverified = librdkafka_client_context({"enable.ssl.certificate.verification": "false"})
    assert unverified.verify_mode == ssl.CERT_NONE
