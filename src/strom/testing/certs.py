"""Test certificates made on the fly with `cryptography`: a CA, a broker certificate for localhost, client
certificates with chosen distinguished names, and the expired and untrusted variants bad-input tests need.

Each identity is written as the files every peer reads: PEM (certificate chain, private key in PKCS#8,
also encrypted with the password for `ssl.key.password`), PKCS12 (key + chain, for `ssl.keystore.type=PKCS12`)
and, when Java's `keytool` is on the PATH, JKS for the Java tools (`jks()`). Nothing here is committed:
tests build a `TestCertificates` in a tmp dir.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

DEFAULT_PASSWORD = "strom-secret"
SERVER_HOSTS = ("localhost", "127.0.0.1", "::1")
_DAY = datetime.timedelta(days=1)

__all__ = ["CertificateAuthority", "Identity", "TestCertificates", "keytool_available"]


def keytool_available() -> bool:
    return shutil.which("keytool") is not None


def _new_key() -> rsa.RSAPrivateKey:
    # RSA, not EC: Kafka's TLS_ECDHE_RSA_* cipher suite names and every peer's defaults accept it
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _san(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


class CertificateAuthority:
    """A self-signed CA that issues leaf certificates (server and client auth)."""

    def __init__(self, name: str = "CN=Strom Test CA,O=Strom") -> None:
        self.key = _new_key()
        subject = x509.Name.from_rfc4514_string(name)
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 3650 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),  # keyCertSign, cRLSign
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, subject: str, hosts: tuple[str, ...] = (), expired: bool = False) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        """A key and a certificate for `subject` (an RFC 4514 DN such as "CN=alice,O=Strom"), valid for TLS
        servers and clients; `hosts` become subjectAltNames; `expired` ends its validity yesterday."""
        key = _new_key()
        now = datetime.datetime.now(datetime.UTC)
        not_before, not_after = (now - 30 * _DAY, now - _DAY) if expired else (now - _DAY, now + 825 * _DAY)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name.from_rfc4514_string(subject))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, True, False, False, False, False, False, False),  # digitalSignature, keyEncipherment
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if hosts:
            builder = builder.add_extension(_san(hosts), critical=False)
        return key, builder.sign(self.key, hashes.SHA256())

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Identity:
    """One certificate and its key as files: what a keystore (broker or client) is made of."""

    name: str
    subject: str  # the DN as the certificate carries it, RFC 4514 form (what Kafka's principal builder reads)
    cert_pem: Path  # the leaf certificate followed by its CA (a PEM certificate chain)
    key_pem: Path  # unencrypted PKCS#8
    encrypted_key_pem: Path  # PKCS#8 encrypted with `password` (ssl.key.password / ssl.key.password in librdkafka)
    p12: Path  # PKCS12 keystore: key + chain, protected with `password`
    password: str

    def cert_chain_text(self) -> str:
        return self.cert_pem.read_text()

    def key_text(self, encrypted: bool = False) -> str:
        return (self.encrypted_key_pem if encrypted else self.key_pem).read_text()

    def jks(self) -> Path:
        """The same key and chain as a JKS keystore (made by Java's keytool on first call)."""
        path = self.p12.with_suffix(".jks")
        if not path.exists():
            _keytool(
                "-importkeystore",
                "-srckeystore",
                str(self.p12),
                "-srcstoretype",
                "PKCS12",
                "-srcstorepass",
                self.password,
                "-destkeystore",
                str(path),
                "-deststoretype",
                "JKS",
                "-deststorepass",
                self.password,
                "-destkeypass",
                self.password,
            )
        return path


def _keytool(*args: str) -> None:
    if not keytool_available():
        raise RuntimeError("keytool (Java) is not on the PATH: JKS stores cannot be made")
    subprocess.run(["keytool", "-noprompt", *args], check=True, capture_output=True, timeout=120)


class TestCertificates:
    """A test PKI in `directory`: `ca_pem` (the CA every peer trusts), `server` (CN=localhost, SANs for
    localhost/127.0.0.1/::1), and client identities made on demand with `client(dn)`."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, password: str = DEFAULT_PASSWORD) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.password = password
        self.ca = CertificateAuthority()
        self.ca_pem = self.directory / "ca.pem"
        self.ca_pem.write_bytes(self.ca.pem())
        self._other_ca: CertificateAuthority | None = None
        self.server = self.identity("server", "CN=localhost,OU=Broker,O=Strom,C=US", hosts=SERVER_HOSTS)

    @property
    def other_ca(self) -> CertificateAuthority:
        """A second CA nobody trusts: its certificates are the untrusted variants."""
        if self._other_ca is None:
            self._other_ca = CertificateAuthority("CN=Untrusted Test CA,O=Elsewhere")
            (self.directory / "untrusted-ca.pem").write_bytes(self._other_ca.pem())
        return self._other_ca

    def client(self, dn: str, name: str | None = None, expired: bool = False, untrusted: bool = False) -> Identity:
        """A client certificate with subject `dn`; `expired` ended yesterday; `untrusted` is signed by a CA
        the broker does not trust."""
        label = name or dn.split(",")[0].split("=")[-1].lower() + ("-expired" if expired else "") + ("-untrusted" if untrusted else "")
        return self.identity(label, dn, expired=expired, ca=self.other_ca if untrusted else self.ca)

    def identity(
        self, name: str, subject: str, hosts: tuple[str, ...] = (), expired: bool = False, ca: CertificateAuthority | None = None
    ) -> Identity:
        """Issues a certificate for `subject` and writes its files as <name>.*.pem / <name>.p12."""
        issuer = ca or self.ca
        key, cert = issuer.issue(subject, hosts, expired)
        chain = cert.public_bytes(serialization.Encoding.PEM) + issuer.pem()
        plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        encrypted = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(self.password.encode())
        )
        p12 = pkcs12.serialize_key_and_certificates(
            name.encode(),
            key,
            cert,
            [issuer.cert],
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(10000)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(self.password.encode()),
        )
        d = self.directory
        files = (d / f"{name}.cert.pem", d / f"{name}.key.pem", d / f"{name}.key.enc.pem", d / f"{name}.p12")
        for path, data in zip(files, (chain, plain, encrypted, p12), strict=True):
            path.write_bytes(data)
        return Identity(name, cert.subject.rfc4514_string(), *files, password=self.password)

    def truststore_p12(self) -> Path:
        """The CA as a PKCS12 truststore (made by keytool so Java marks the entry as trusted)."""
        path = self.directory / "truststore.p12"
        if not path.exists():
            self._import_ca(path, "PKCS12")
        return path

    def truststore_jks(self) -> Path:
        """The CA as a JKS truststore for the Java tools (keytool)."""
        path = self.directory / "truststore.jks"
        if not path.exists():
            self._import_ca(path, "JKS")
        return path

    def _import_ca(self, path: Path, store_type: str) -> None:
        _keytool(
            "-importcert",
            "-alias",
            "strom-test-ca",
            "-file",
            str(self.ca_pem),
            "-keystore",
            str(path),
            "-storetype",
            store_type,
            "-storepass",
            self.password,
        )
