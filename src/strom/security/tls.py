"""ssl.SSLContext from Kafka's `ssl.*` keys, for a broker's listeners and for clients (inter-broker, tools,
Strom's client with librdkafka's keys).

Keys are read through a getter (`key -> value or None`) so a broker reads them per listener
(`listener.name.<l>.ssl.*` first) and a tool reads them from a properties file. Keystores: PEM (file with the
key and chain, or KIP-651's inline `ssl.keystore.key` / `ssl.keystore.certificate.chain`) and PKCS12
(read with `cryptography`; the stdlib reads PEM only) and JKS (security/jks.py); a `JKS`-typed store that is
really PKCS12 is read as Java 9+ does. Truststores: PEM file,
inline `ssl.truststore.certificates`, PKCS12; without one, the system's CAs (as Java's cacerts).

Java cipher suite names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) become OpenSSL's; Python's ssl cannot narrow
the TLS 1.3 suites, so a list with only TLS 1.2 suites caps the protocol at TLS 1.2 (as Java would
negotiate) and one with only TLS 1.3 suites raises the floor to TLS 1.3.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import ssl
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from strom.security.jks import JKS_MAGIC, JksError, read_jks

__all__ = [
    "JAVA_CLIENT_DEFAULTS",
    "SslConfigError",
    "SslValues",
    "client_context",
    "java_client_context",
    "librdkafka_client_context",
    "server_context",
]

log = logging.getLogger("org.apache.kafka.common.security.ssl.DefaultSslEngineFactory")

SslValues = Callable[[str], Any]
"""A config getter: Kafka key -> its value, None when unset."""


class SslConfigError(ValueError):
    """An ssl.* config that cannot be used: the message names the key."""


_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_GENERIC_PROTOCOLS = {"TLS", "SSL", "SSLv3", "DTLS"}  # Java's generic SSLContext names: every version
_TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256"}
_CLIENT_AUTH = {"none": ssl.CERT_NONE, "requested": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}

JAVA_CLIENT_DEFAULTS: Mapping[str, str] = {
    "ssl.protocol": "TLSv1.3",
    "ssl.enabled.protocols": "TLSv1.2,TLSv1.3",
    "ssl.keystore.type": "JKS",
    "ssl.truststore.type": "JKS",
    "ssl.endpoint.identification.algorithm": "https",
}
"""Kafka's defaults (broker and Java client alike) for the ssl.* keys this module reads: a getter returning
None for a key means the default."""


# ---- contexts -------------------------------------------------------------------------------------------


def server_context(values: SslValues) -> ssl.SSLContext:
    """A listener's context: its keystore (required), truststore, `ssl.client.auth`, protocols and suites."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _configure(ctx, values)
    if not _load_keystore(ctx, values):
        raise SslConfigError(
            "An SSL listener needs a keystore: set ssl.keystore.location or ssl.keystore.certificate.chain/ssl.keystore.key"
        )
    client_auth = str(values("ssl.client.auth") or "none").strip().lower()
    if client_auth not in _CLIENT_AUTH:
        raise SslConfigError(f"Invalid value {client_auth} for configuration ssl.client.auth: must be one of none, requested, required")
    ctx.verify_mode = _CLIENT_AUTH[client_auth]
    if client_auth != "none":
        _load_truststore(ctx, values)
    return ctx


def client_context(values: SslValues) -> ssl.SSLContext:
    """A client's context from Kafka's (Java client's) keys: the truststore verifies the broker, the
    keystore (optional) is the client certificate, `ssl.endpoint.identification.algorithm=https` (the
    default) checks the broker's host name, an empty value does not."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _configure(ctx, values)
    algorithm = values("ssl.endpoint.identification.algorithm")
    ctx.check_hostname = _endpoint_identification(algorithm, "https")
    _load_keystore(ctx, values)
    _load_truststore(ctx, values)
    return ctx


def java_client_context(props: Mapping[str, str]) -> ssl.SSLContext:
    """`client_context` for a Java client properties file (--command-config and friends)."""
    return client_context(lambda key: props.get(key, JAVA_CLIENT_DEFAULTS.get(key)))


def librdkafka_client_context(conf: Mapping[str, Any]) -> ssl.SSLContext:
    """A client context from librdkafka's keys: ssl.ca.location / ssl.ca.pem (the CA; the system's without
    them), ssl.certificate.location / ssl.certificate.pem + ssl.key.location / ssl.key.pem / ssl.key.password
    (client certificate), ssl.keystore.location + ssl.keystore.password (PKCS12), ssl.cipher.suites
    (OpenSSL names), enable.ssl.certificate.verification, ssl.endpoint.identification.algorithm
    (https, librdkafka's default since 2.0, or none)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = _endpoint_identification(conf.get("ssl.endpoint.identification.algorithm"), "https")
    suites = conf.get("ssl.cipher.suites")
    if suites:
        _set_ciphers(ctx, [s for s in re.split(r"[:,\s]+", str(suites)) if s], "ssl.cipher.suites")
    key_password = _opt_str(conf.get("ssl.key.password"))
    key_pem = conf.get("ssl.key.pem") or _read_text(conf.get("ssl.key.location"), "ssl.key.location")
    cert_pem = conf.get("ssl.certificate.pem") or _read_text(conf.get("ssl.certificate.location"), "ssl.certificate.location")
    if key_pem or cert_pem:
        if not (key_pem and cert_pem):
            raise SslConfigError("ssl.key.location/ssl.key.pem and ssl.certificate.location/ssl.certificate.pem go together")
        key = _pem_private_key(str(key_pem).encode(), key_password, "ssl.key.location")
        _load_key_and_chain(ctx, key, _pem_certificates(str(cert_pem).encode(), "ssl.certificate.location"))
    elif conf.get("ssl.keystore.location"):
        data = _read_bytes(conf["ssl.keystore.location"], "ssl.keystore.location")
        _load_key_and_chain(ctx, *_read_pkcs12_keystore(data, _opt_str(conf.get("ssl.keystore.password"))))
    ca_pem, ca_location = conf.get("ssl.ca.pem"), conf.get("ssl.ca.location")
    if ca_pem:
        _load_cadata(ctx, str(ca_pem), "ssl.ca.pem")
    elif ca_location and str(ca_location) != "probe":
        path = Path(str(ca_location))
        try:
            ctx.load_verify_locations(capath=str(path)) if path.is_dir() else ctx.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise SslConfigError(f"Invalid ssl.ca.location {ca_location}: {exc}") from None
    else:
        ctx.load_default_certs()
    if str(conf.get("enable.ssl.certificate.verification", "true")).lower() == "false":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _endpoint_identification(value: Any, default: str) -> bool:
    text = default if value is None else str(value).strip().lower()
    if text in ("", "none"):
        return False
    if text != "https":
        raise SslConfigError(f"Invalid value {value} for configuration ssl.endpoint.identification.algorithm: must be https or empty")
    return True


# ---- protocols and cipher suites ------------------------------------------------------------------------


def _configure(ctx: ssl.SSLContext, values: SslValues) -> None:
    enabled_value = values("ssl.enabled.protocols")
    enabled = _names(JAVA_CLIENT_DEFAULTS["ssl.enabled.protocols"] if enabled_value is None else enabled_value)
    protocol = str(values("ssl.protocol") or "TLSv1.3").strip()
    if not enabled:
        enabled = list(_VERSIONS) if protocol in _GENERIC_PROTOCOLS else [protocol]
    unknown = [p for p in enabled if p not in _VERSIONS]
    if unknown:
        raise SslConfigError(f"Invalid value for configuration ssl.enabled.protocols: unknown protocol {unknown[0]} (TLSv1.2, TLSv1.3)")
    if protocol not in _VERSIONS and protocol not in _GENERIC_PROTOCOLS:
        raise SslConfigError(f"Invalid value {protocol} for configuration ssl.protocol")
    versions = sorted(_VERSIONS[p] for p in enabled)
    ctx.minimum_version, ctx.maximum_version = versions[0], versions[-1]
    suites = _names(values("ssl.cipher.suites"))
    if suites:
        _set_ciphers(ctx, suites, "ssl.cipher.suites")


def _set_ciphers(ctx: ssl.SSLContext, suites: list[str], key: str) -> None:
    tls13 = [s for s in suites if s in _TLS13_SUITES]
    tls12 = [openssl_cipher_name(s) for s in suites if s not in _TLS13_SUITES]
    if tls12:
        try:
            ctx.set_ciphers(":".join(tls12))
        except ssl.SSLError:
            raise SslConfigError(f"Invalid value for configuration {key}: no usable cipher suite in {', '.join(suites)}") from None
        if not tls13 and ctx.maximum_version > ssl.TLSVersion.TLSv1_2:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls13:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3


_KEY_EXCHANGES = {"ECDHE_ECDSA": "ECDHE-ECDSA-", "ECDHE_RSA": "ECDHE-RSA-", "DHE_RSA": "DHE-RSA-", "DHE_DSS": "DHE-DSS-", "RSA": ""}
_JAVA_SUITE = re.compile(
    r"TLS_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|DHE_DSS|RSA)_WITH_(AES_128|AES_256)_(GCM|CBC|CCM|CCM_8)(?:_(SHA|SHA256|SHA384))?"
)
_JAVA_CHACHA = re.compile(r"TLS_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA)_WITH_CHACHA20_POLY1305_SHA256")


def openssl_cipher_name(name: str) -> str:
    """A TLS 1.2 suite's OpenSSL name from its Java/IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ->
    ECDHE-RSA-AES128-GCM-SHA256); names already in OpenSSL's form pass through."""
    if not name.startswith("TLS_") and not name.startswith("SSL_"):
        return name
    chacha = _JAVA_CHACHA.fullmatch(name)
    if chacha:
        return f"{_KEY_EXCHANGES[chacha.group(1)]}CHACHA20-POLY1305"
    m = _JAVA_SUITE.fullmatch(name.replace("SSL_", "TLS_", 1))
    if m is None:
        raise SslConfigError(f"Invalid value for configuration ssl.cipher.suites: unsupported cipher suite {name}")
    kx, cipher, mode, mac = m.groups()
    bits = cipher.replace("AES_", "AES")
    if mode == "GCM":
        return f"{_KEY_EXCHANGES[kx]}{bits}-GCM-{mac}"
    if mode in ("CCM", "CCM_8"):
        return f"{_KEY_EXCHANGES[kx]}{bits}-{mode.replace('_', '')}"
    return f"{_KEY_EXCHANGES[kx]}{bits}-{mac}"


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]


# ---- keystores ------------------------------------------------------------------------------------------


def _load_keystore(ctx: ssl.SSLContext, values: SslValues) -> bool:
    """Loads the keystore the keys name into `ctx`; False when none is configured."""
    entry = read_keystore(values)
    if entry is None:
        return False
    _load_key_and_chain(ctx, *entry)
    return True


def read_keystore(values: SslValues) -> tuple[Any, list[x509.Certificate]] | None:
    """The private key and certificate chain (leaf first) the keystore keys name; None when none is set."""
    store_type = str(values("ssl.keystore.type") or "JKS").upper()
    location = values("ssl.keystore.location")
    chain, key = values("ssl.keystore.certificate.chain"), values("ssl.keystore.key")
    store_password, key_password = _opt_str(values("ssl.keystore.password")), _opt_str(values("ssl.key.password"))
    if chain or key:
        if store_type != "PEM":
            raise SslConfigError("ssl.keystore.certificate.chain and ssl.keystore.key need ssl.keystore.type=PEM")
        if location:
            raise SslConfigError("Set either ssl.keystore.location or ssl.keystore.certificate.chain/ssl.keystore.key, not both")
        if not (chain and key):
            raise SslConfigError("ssl.keystore.certificate.chain and ssl.keystore.key go together")
        return (
            _pem_private_key(str(key).encode(), key_password, "ssl.keystore.key"),
            _pem_certificates(str(chain).encode(), "ssl.keystore.certificate.chain"),
        )
    if not location:
        return None
    data = _read_bytes(location, "ssl.keystore.location")
    if store_type == "PEM":
        if store_password:
            raise SslConfigError("ssl.keystore.password is not used with ssl.keystore.type=PEM (the key's is ssl.key.password)")
        return _pem_private_key(data, key_password, "ssl.keystore.location"), _pem_certificates(data, "ssl.keystore.location")
    if data.startswith(JKS_MAGIC):
        return _read_jks_keystore(data, store_password, key_password)
    return _read_pkcs12_keystore(data, store_password if store_password is not None else key_password)


def _read_jks_keystore(data: bytes, store_password: str | None, key_password: str | None) -> tuple[Any, list[x509.Certificate]]:
    try:
        store = read_jks(data, store_password, key_password)
    except JksError as exc:
        raise SslConfigError(f"Cannot read the JKS keystore (ssl.keystore.password / ssl.key.password?): {exc}") from None
    if not store.private_keys:
        raise SslConfigError("The JKS keystore holds no private key entry")
    der, chain = next(iter(store.private_keys.values()))
    return serialization.load_der_private_key(der, None), chain


def _read_pkcs12_keystore(data: bytes, password: str | None) -> tuple[Any, list[x509.Certificate]]:
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError as exc:
        raise SslConfigError(f"Cannot read the PKCS12 keystore (wrong ssl.keystore.password?): {exc}") from None
    if key is None or cert is None:
        raise SslConfigError("The PKCS12 keystore holds no private key entry")
    return key, [cert, *chain]


def ensure_compatible_keystore(existing: x509.Certificate, new: x509.Certificate) -> None:
    """Kafka's rule for a keystore updated at run time: the new certificate keeps the subject DN and the
    subjectAltNames of the one it replaces (clients and brokers may check them); SslConfigError otherwise."""
    if existing.subject != new.subject:
        raise SslConfigError(
            f"Keystore DistinguishedName does not match: existing={existing.subject.rfc4514_string()}, new={new.subject.rfc4514_string()}"
        )
    if _alt_names(existing) != _alt_names(new):
        raise SslConfigError(f"Keystore SubjectAltNames do not match: existing={_alt_names(existing)}, new={_alt_names(new)}")


def _alt_names(cert: x509.Certificate) -> list[str]:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted(str(n.value) for n in names)


def _load_key_and_chain(ctx: ssl.SSLContext, key: Any, chain: list[x509.Certificate]) -> None:
    """Hands a key and its chain to OpenSSL, which reads them only from a file: the key goes there encrypted
    with a one-time password, in a private directory removed at once."""
    if not chain:
        raise SslConfigError("The keystore holds no certificate")
    one_time = secrets.token_hex(16)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(one_time.encode())
    ) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    with tempfile.TemporaryDirectory(prefix="strom-tls-") as tmp:
        path = os.path.join(tmp, "keystore.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            ctx.load_cert_chain(path, password=one_time)
        except ssl.SSLError as exc:
            raise SslConfigError(f"The keystore's key and certificate do not fit together: {exc}") from None


def _pem_private_key(data: bytes, password: str | None, key: str) -> Any:
    match = re.search(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", data, re.S)
    if match is None:
        raise SslConfigError(f"{key}: no PEM private key found")
    block = match.group(0)
    encrypted = b"ENCRYPTED" in block or b"Proc-Type: 4,ENCRYPTED" in block
    if encrypted and not password:
        raise SslConfigError(f"{key}: the private key is encrypted and ssl.key.password is not set")
    try:
        return serialization.load_pem_private_key(block, password.encode() if encrypted and password else None)
    except (ValueError, TypeError) as exc:
        raise SslConfigError(f"{key}: cannot read the private key (wrong ssl.key.password?): {exc}") from None


def _pem_certificates(data: bytes, key: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise SslConfigError(f"{key}: no PEM certificate found")
    return certs


# ---- truststores ----------------------------------------------------------------------------------------


def _load_truststore(ctx: ssl.SSLContext, values: SslValues) -> None:
    pem = truststore_pem(values)
    if pem is not None:
        key = "ssl.truststore.certificates" if values("ssl.truststore.certificates") else "ssl.truststore.location"
        _load_cadata(ctx, pem, key)
    else:
        ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH if ctx.protocol == ssl.PROTOCOL_TLS_SERVER else ssl.Purpose.SERVER_AUTH)


def truststore_pem(values: SslValues) -> str | None:
    """The certificates of the truststore the keys name (inline PEM, a PEM file, JKS or PKCS12) as PEM text;
    None when no truststore is configured (the system's CAs apply). Also what the tools hand Strom's client
    for a Java client's ssl.truststore.* keys."""
    store_type = str(values("ssl.truststore.type") or "JKS").upper()
    location, inline = values("ssl.truststore.location"), values("ssl.truststore.certificates")
    password = _opt_str(values("ssl.truststore.password"))
    if inline:
        if store_type != "PEM":
            raise SslConfigError("ssl.truststore.certificates needs ssl.truststore.type=PEM")
        return str(inline)
    if not location:
        return None
    data = _read_bytes(location, "ssl.truststore.location")
    if store_type == "PEM":
        return data.decode("ascii", "replace")
    certs = _jks_trusted(data, password) if data.startswith(JKS_MAGIC) else _pkcs12_trusted(data, password)
    if not certs:
        raise SslConfigError("ssl.truststore.location: the truststore holds no certificate")
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def _pkcs12_trusted(data: bytes, password: str | None) -> list[x509.Certificate]:
    try:
        store = pkcs12.load_pkcs12(data, password.encode() if password else None)
    except ValueError as exc:
        raise SslConfigError(f"Cannot read the PKCS12 truststore (wrong ssl.truststore.password?): {exc}") from None
    return [c.certificate for c in store.additional_certs] + ([store.cert.certificate] if store.cert else [])


def _jks_trusted(data: bytes, password: str | None) -> list[x509.Certificate]:
    """A JKS truststore's trusted certificates (and its key entries' own certificates, as Java trusts them)."""
    try:
        store = read_jks(data, password, open_keys=False)
    except JksError as exc:
        raise SslConfigError(f"Cannot read the JKS truststore (wrong ssl.truststore.password?): {exc}") from None
    return list(store.trusted.values()) + [chain[0] for _, chain in store.private_keys.values() if chain]


def _load_cadata(ctx: ssl.SSLContext, pem: str, key: str) -> None:
    try:
        ctx.load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise SslConfigError(f"{key}: no usable PEM certificate ({exc})") from None


# ---- files ------------------------------------------------------------------------------------------------


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _read_bytes(location: Any, key: str) -> bytes:
    try:
        return Path(str(location)).read_bytes()
    except OSError as exc:
        raise SslConfigError(f"Cannot read {key} {location}: {exc.strerror}") from None


def _read_text(location: Any, key: str) -> str | None:
    return _read_bytes(location, key).decode("ascii", "replace") if location else None
