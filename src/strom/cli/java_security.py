"""A Java client's security keys (--command-config, --producer.config, --consumer.config files) as the
librdkafka-style keys Strom's client takes: the one place tools translate them.

security.protocol, sasl.mechanism and sasl.jaas.config pass as they are (the client reads JAAS lines). The
truststore (PEM, inline PEM or PKCS12, read by security/tls.py) becomes ssl.ca.pem; a PKCS12 keystore keeps
its ssl.keystore.location/password; a PEM keystore becomes ssl.certificate.* / ssl.key.*; Java's empty
ssl.endpoint.identification.algorithm (no host name check) becomes "none". Java-only TLS knobs with no
client counterpart (ssl.protocol, ssl.enabled.protocols, key/trust manager algorithms) are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from strom.security.tls import JAVA_CLIENT_DEFAULTS, SslConfigError, truststore_pem

_DROPPED = (
    "ssl.protocol",
    "ssl.enabled.protocols",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "ssl.keystore.type",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
)


def translate_java_security(props: Mapping[str, str]) -> dict[str, str]:
    """`props` with the Java client's ssl.* keys turned into Strom client keys; ValueError for unusable ones."""
    out = dict(props)
    if not any(k.startswith("ssl.") for k in props):
        return out

    def values(key: str) -> str | None:
        return props.get(key, JAVA_CLIENT_DEFAULTS.get(key))

    try:
        ca = truststore_pem(values)
    except SslConfigError as exc:
        raise ValueError(str(exc)) from None
    keystore_type = str(values("ssl.keystore.type") or "JKS").upper()
    if props.get("ssl.keystore.certificate.chain") or props.get("ssl.keystore.key"):
        out["ssl.certificate.pem"] = props.get("ssl.keystore.certificate.chain", "")
        out["ssl.key.pem"] = props.get("ssl.keystore.key", "")
    elif keystore_type == "PEM" and props.get("ssl.keystore.location"):
        out["ssl.certificate.location"] = out["ssl.key.location"] = out.pop("ssl.keystore.location")
        out.pop("ssl.keystore.password", None)
    for key in _DROPPED:
        out.pop(key, None)
    if ca is not None:
        out["ssl.ca.pem"] = ca
    if props.get("ssl.endpoint.identification.algorithm", "https").strip() == "":
        out["ssl.endpoint.identification.algorithm"] = "none"
    return out
