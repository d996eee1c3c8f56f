"""The test PKI: what it writes is what the TLS tests rely on (chains that verify, a DN as given, an expired
and an untrusted variant, PKCS12 that opens with the password)."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12

from strom.testing.certs import TestCertificates


def test_identities_verify_against_the_ca_and_carry_their_dn(tmp_path: Path) -> None:
    pki = TestCertificates(tmp_path)
    alice = pki.client("CN=alice,OU=Eng,O=Strom,C=US")
    assert alice.subject == "CN=alice,OU=Eng,O=Strom,C=US"
    leaf, ca = x509.load_pem_x509_certificates(alice.cert_pem.read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert ca == pki.ca.cert
    san = x509.load_pem_x509_certificates(pki.server.cert_pem.read_bytes())[0].extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "localhost" in san.value.get_values_for_type(x509.DNSName)
    key, cert, chain = pkcs12.load_key_and_certificates(alice.p12.read_bytes(), alice.password.encode())
    assert key is not None and cert == leaf and chain == [ca]
    assert load_pem_private_key(alice.encrypted_key_pem.read_bytes(), alice.password.encode()).key_size == 2048
    # the stdlib loads what the broker will load
    ssl.create_default_context(cafile=str(pki.ca_pem)).load_cert_chain(alice.cert_pem, alice.encrypted_key_pem, alice.password)


def test_expired_and_untrusted_variants(tmp_path: Path) -> None:
    pki = TestCertificates(tmp_path)
    expired = x509.load_pem_x509_certificates(pki.client("CN=old", expired=True).cert_pem.read_bytes())[0]
    assert expired.not_valid_after_utc < datetime.datetime.now(datetime.UTC)
    untrusted = x509.load_pem_x509_certificates(pki.client("CN=eve", untrusted=True).cert_pem.read_bytes())[0]
    assert untrusted.issuer != pki.ca.cert.subject
