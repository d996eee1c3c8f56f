"""Who is on the other end of a connection: Kafka's KafkaPrincipal and its security protocols."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class SecurityProtocol(IntEnum):
    """Kafka's security protocols with their wire ids (UpdateMetadata's security_protocol field)."""

    PLAINTEXT = 0
    SSL = 1
    SASL_PLAINTEXT = 2
    SASL_SSL = 3

    @property
    def uses_tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    @property
    def uses_sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


@dataclass(frozen=True, slots=True)
class KafkaPrincipal:
    """A principal as ACLs name it: "User:alice". Kafka's default principal type is User."""

    principal_type: str
    name: str

    def __str__(self) -> str:
        return f"{self.principal_type}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> KafkaPrincipal:
        """ "User:alice" -> KafkaPrincipal("User", "alice"); ValueError without a type."""
        principal_type, sep, name = text.partition(":")
        if not sep or not principal_type or not name:
            raise ValueError(f"expected a principal of the form 'Type:name', got {text!r}")
        return cls(principal_type, name)


ANONYMOUS = KafkaPrincipal("User", "ANONYMOUS")
"""The principal of a PLAINTEXT connection (and of TLS without a client certificate)."""
