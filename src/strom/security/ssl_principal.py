"""The principal of a TLS peer, as Kafka builds it: the client certificate's subject DN in Java's RFC 2253
form, mapped by `ssl.principal.mapping.rules`; User:ANONYMOUS without a client certificate.

Rules follow Kafka's syntax: a comma-separated list of `DEFAULT` (the DN as it is) and
`RULE:pattern/replacement/[L|U]` (when the Java regex `pattern` matches the whole DN, every match is
replaced by `replacement`, `$1`.. naming groups, then lower- or upper-cased). The first rule that applies
wins; when none does, the connection is refused (Kafka's NoMatchingRule).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from strom.security.principal import ANONYMOUS, KafkaPrincipal

__all__ = ["NoMatchingRule", "SslPrincipalMapper", "principal_from_certificate", "rfc2253"]

# Java's X500Principal.getName() keywords; every other attribute is written as its OID with the hex DER value
_KEYWORDS = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_ALWAYS_ESCAPED = frozenset(',+"\\<>;')
_STRING_ENCODINGS = {12: "utf-8", 30: "utf-16-be", 28: "utf-32-be"}  # UTF8String, BMPString, UniversalString


def _escape(value: str) -> str:
    out = ["\\" + c if c in _ALWAYS_ESCAPED else c for c in value]
    if out and out[0] in ("#", " "):
        out[0] = "\\" + out[0]
    if len(out) > 1 and out[-1] == " ":
        out[-1] = "\\ "
    return "".join(out)


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _hex_value(attr: x509.NameAttribute[str | bytes]) -> str:
    tag = int(attr._type.value)
    value = attr.value
    raw = value if isinstance(value, bytes) else value.encode(_STRING_ENCODINGS.get(tag, "latin-1"))
    return "#" + (bytes([tag]) + _der_length(len(raw)) + raw).hex()


def rfc2253(name: x509.Name) -> str:
    """The DN as Java's X500Principal.getName() writes it (what Kafka's rules match): most specific RDN
    first, Java's keywords, other attributes as OID=#hex of their DER value."""
    rdns = []
    for rdn in reversed(name.rdns):
        avas = []
        for attr in rdn:
            keyword = _KEYWORDS.get(attr.oid.dotted_string)
            if keyword is None:
                avas.append(f"{attr.oid.dotted_string}={_hex_value(attr)}")
            else:
                avas.append(f"{keyword}={_escape(str(attr.value))}")
        rdns.append("+".join(avas))
    return ",".join(rdns)


class NoMatchingRule(ValueError):
    """No `ssl.principal.mapping.rules` rule applies to a DN: the peer is refused."""


_RULE = r"(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)"
_RULE_SPLITTER = re.compile(r"\s*(" + _RULE + r")\s*(,\s*|$)")
_RULE_PARSER = re.compile(_RULE)
_JAVA_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@dataclass(frozen=True)
class _Rule:
    text: str
    pattern: re.Pattern[str] | None = None  # None: DEFAULT
    replacement: str = ""
    case: str = ""  # "L", "U" or ""

    def apply(self, dn: str) -> str | None:
        if self.pattern is None:
            return dn
        if self.pattern.fullmatch(dn) is None:
            return None
        result = self.pattern.sub(_java_replacement(self.replacement, self.pattern.groups), dn)
        return result.lower() if self.case == "L" else result.upper() if self.case == "U" else result


def _java_replacement(replacement: str, groups: int) -> Callable[[re.Match[str]], str]:
    """Java's Matcher replacement syntax: `\\x` is a literal x, `$n` a group (digits taken while the number
    stays a valid group, as Java does), `${name}` a named group; a `$n` beyond the groups stays literal
    (Kafka escapes it)."""
    parts: list[tuple[bool, str | int]] = []  # (is a group reference, literal text or group)
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\" and i + 1 < len(replacement):
            parts.append((False, replacement[i + 1]))
            i += 2
        elif replacement.startswith("${", i) and "}" in replacement[i:]:
            end = replacement.index("}", i)
            parts.append((True, replacement[i + 2 : end]))
            i = end + 1
        elif c == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit() and groups > 0:
            number, j = int(replacement[i + 1]), i + 2
            while j < len(replacement) and replacement[j].isdigit() and number * 10 + int(replacement[j]) <= groups:
                number, j = number * 10 + int(replacement[j]), j + 1
            parts.append((True, number) if number <= groups else (False, replacement[i:j]))
            i = j
        else:
            parts.append((False, c))
            i += 1

    def expand(m: re.Match[str]) -> str:
        return "".join(str(m.group(p) or "") if is_group else str(p) for is_group, p in parts)

    return expand


def _java_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_JAVA_NAMED_GROUP.sub("(?P<", pattern))


class SslPrincipalMapper:
    """`ssl.principal.mapping.rules` parsed once; `name(dn)` maps a DN to the principal's name."""

    def __init__(self, rules: list[_Rule]) -> None:
        self.rules = rules

    @classmethod
    def from_rules(cls, text: str | None) -> SslPrincipalMapper:
        """Parses Kafka's rule list; ValueError naming the rule that is not DEFAULT or RULE:p/r/[LU]."""
        rules: list[_Rule] = []
        for split in _RULE_SPLITTER.finditer((text if text is not None else "DEFAULT").strip()):
            rule = split.group(1)
            m = _RULE_PARSER.match(rule)
            if m is None or m.end() != len(rule):
                raise ValueError(f"Invalid rule: `{rule}`, unmatched substring: `{rule[m.end() if m else 0 :]}`")
            if m.group(1):
                rules.append(_Rule(rule))
            elif m.group(2) is not None:
                try:
                    pattern = _java_regex(m.group(2))
                except re.error as exc:
                    raise ValueError(f"Invalid rule: `{rule}`: {exc}") from None
                rules.append(_Rule(rule, pattern, m.group(4), m.group(6)))
            elif m.group(7):
                raise ValueError(f"Invalid rule: {rule}")
        return cls(rules)

    def name(self, dn: str) -> str:
        for rule in self.rules:
            mapped = rule.apply(dn)
            if mapped is not None:
                return mapped
        raise NoMatchingRule(f"No rules apply to {dn}, rules [{', '.join(r.text for r in self.rules)}]")


def principal_from_certificate(der: bytes | None, mapper: SslPrincipalMapper) -> KafkaPrincipal:
    """The principal of a TLS connection from the peer's certificate (DER), ANONYMOUS without one;
    NoMatchingRule when the rules refuse its DN."""
    if not der:
        return ANONYMOUS
    subject = x509.load_der_x509_certificate(der).subject
    return KafkaPrincipal("User", mapper.name(rfc2253(subject)))
