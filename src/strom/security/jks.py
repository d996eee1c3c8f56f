"""Java KeyStore (JKS) files, read-only: Kafka's default `ssl.keystore.type` / `ssl.truststore.type`, so an
operator's existing stores work unchanged.

The format (Sun's, as keytool writes it): magic 0xFEEDFEED, version 2, entries (private keys with their
certificate chains, trusted certificates), then a SHA-1 over password + "Mighty Aphrodite" + everything
before it. A private key is protected by Sun's KeyProtector (OID 1.3.6.1.4.1.42.2.17.1.1): a SHA-1 keystream
seeded by a 20-byte salt, XORed over the PKCS#8 key, followed by a SHA-1 check of password + key.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field

from cryptography import x509

__all__ = ["JKS_MAGIC", "JksError", "JksStore", "read_jks"]

JKS_MAGIC = b"\xfe\xed\xfe\xed"
_SUN_KEY_PROTECTOR = bytes.fromhex("2b060104012a02110101")  # DER body of OID 1.3.6.1.4.1.42.2.17.1.1
_PRIVATE_KEY, _TRUSTED_CERT = 1, 2


class JksError(ValueError):
    """A JKS store that cannot be read: wrong password, tampered, or not JKS."""


@dataclass
class JksStore:
    """Private key entries (PKCS#8 DER, chain leaf first) and trusted certificates, by alias."""

    private_keys: dict[str, tuple[bytes, list[x509.Certificate]]] = field(default_factory=dict)
    trusted: dict[str, x509.Certificate] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise JksError("truncated JKS store")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def utf(self) -> str:
        return self.take(self.u16()).decode("utf-8", "replace")

    def certificate(self) -> x509.Certificate:
        self.utf()  # certificate type, "X.509"
        return x509.load_der_x509_certificate(self.take(self.u32()))


def _password_bytes(password: str) -> bytes:
    return password.encode("utf-16-be")


def read_jks(data: bytes, password: str | None, key_password: str | None = None, open_keys: bool = True) -> JksStore:
    """Reads a JKS store; `password` checks its integrity (skipped when None, as Java allows for truststores),
    `key_password` (default: `password`) opens its private keys; `open_keys` False leaves them closed (empty
    bytes), for a truststore."""
    if not data.startswith(JKS_MAGIC):
        raise JksError("not a JKS store")
    reader = _Reader(data)
    reader.take(4)
    if reader.u32() != 2:
        raise JksError("unsupported JKS version")
    store = JksStore()
    for _ in range(reader.u32()):
        tag, alias = reader.u32(), reader.utf()
        reader.take(8)  # creation date
        if tag == _PRIVATE_KEY:
            protected = reader.take(reader.u32())
            chain = [reader.certificate() for _ in range(reader.u32())]
            store.private_keys[alias] = (_unprotect(protected, key_password or password) if open_keys else b"", chain)
        elif tag == _TRUSTED_CERT:
            store.trusted[alias] = reader.certificate()
        else:
            raise JksError(f"unsupported JKS entry type {tag} (secret keys need a JCEKS or PKCS12 store)")
    if password is not None:
        digest = hashlib.sha1(_password_bytes(password) + b"Mighty Aphrodite" + data[: reader.pos]).digest()
        if not hmac.compare_digest(digest, reader.take(20)):
            raise JksError("Keystore was tampered with, or password was incorrect")
    return store


def _unprotect(protected: bytes, password: str | None) -> bytes:
    """The PKCS#8 DER of a key under Sun's KeyProtector."""
    if password is None:
        raise JksError("a password is needed to read the JKS store's private key")
    algorithm, encrypted = _encrypted_private_key_info(protected)
    if _SUN_KEY_PROTECTOR not in algorithm:
        raise JksError("the JKS private key is not protected with Sun's KeyProtector")
    salt, body, check = encrypted[:20], encrypted[20:-20], encrypted[-20:]
    secret = _password_bytes(password)
    stream = bytearray()
    digest = salt
    while len(stream) < len(body):
        digest = hashlib.sha1(secret + digest).digest()
        stream += digest
    key = bytes(a ^ b for a, b in zip(body, stream, strict=False))
    if not hmac.compare_digest(hashlib.sha1(secret + key).digest(), check):
        raise JksError("Cannot recover key: wrong key password")
    return key


def _encrypted_private_key_info(der: bytes) -> tuple[bytes, bytes]:
    """(the algorithm identifier's bytes, the encrypted data) of an EncryptedPrivateKeyInfo."""
    outer, _ = _tlv(der, 0, 0x30)
    algorithm, pos = _tlv(outer, 0, 0x30)
    encrypted, _ = _tlv(outer, pos, 0x04)
    return algorithm, encrypted


def _tlv(der: bytes, pos: int, tag: int) -> tuple[bytes, int]:
    """The value of the DER element at `pos` (which must have `tag`) and the position after it."""
    if pos + 2 > len(der) or der[pos] != tag:
        raise JksError("malformed JKS private key entry")
    length, pos = der[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        length, pos = int.from_bytes(der[pos : pos + count], "big"), pos + count
    if pos + length > len(der):
        raise JksError("malformed JKS private key entry")
    return der[pos : pos + length], pos + length
