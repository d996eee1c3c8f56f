"""JAAS configuration lines as Kafka reads them from `sasl.jaas.config` and its listener-prefixed forms.

    org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="s" user_alice="a";

One or more entries, each a login module class, a control flag and key=value options (values quoted or
bare), ended by ';'. A file with sections (`KafkaServer { ... };`) is read too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
OAUTHBEARER_LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
CONTROL_FLAGS = ("required", "requisite", "sufficient", "optional")

LOGIN_MODULE_FOR_MECHANISM = {
    "PLAIN": PLAIN_LOGIN_MODULE,
    "SCRAM-SHA-256": SCRAM_LOGIN_MODULE,
    "SCRAM-SHA-512": SCRAM_LOGIN_MODULE,
    "OAUTHBEARER": OAUTHBEARER_LOGIN_MODULE,
}


class JaasError(ValueError):
    """A JAAS line that cannot be parsed; the message says where."""


@dataclass(frozen=True, slots=True)
class JaasEntry:
    login_module: str
    control_flag: str
    options: Mapping[str, str]

    def credentials(self) -> tuple[str, str]:
        """The entry's own username and password (what a client or a broker's inter-broker login uses)."""
        username, password = self.options.get("username"), self.options.get("password")
        if username is None or password is None:
            raise JaasError(f"JAAS entry {self.login_module} has no username and password options")
        return username, password


_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<punct>[=;{}])|(?P<word>[^\s=;{}"]+))', re.S)


def _tokens(text: str) -> list[str | tuple[str]]:
    """Words as str, punctuation as a 1-tuple (so a quoted ";" stays a word)."""
    out: list[str | tuple[str]] = []
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise JaasError(f"Invalid JAAS config: unexpected text at {text[pos : pos + 20]!r}")
        if m.group("quoted") is not None:
            out.append(re.sub(r"\\(.)", r"\1", m.group("quoted")[1:-1]))
        elif m.group("punct") is not None:
            out.append((m.group("punct"),))
        else:
            out.append(m.group("word"))
        pos = m.end()
    return out


def _entries(tokens: list[str | tuple[str]], pos: int, end_punct: str | None) -> tuple[list[JaasEntry], int]:
    entries: list[JaasEntry] = []
    while pos < len(tokens) and tokens[pos] != (end_punct,):
        module, flag = tokens[pos], tokens[pos + 1] if pos + 1 < len(tokens) else None
        if not isinstance(module, str) or not isinstance(flag, str) or flag.lower() not in CONTROL_FLAGS:
            raise JaasError(f"Invalid JAAS config: expected '<LoginModule> {'|'.join(CONTROL_FLAGS)}', got {module!r} {flag!r}")
        pos += 2
        options: dict[str, str] = {}
        while pos < len(tokens) and tokens[pos] != (";",):
            key = tokens[pos]
            if not isinstance(key, str) or pos + 2 >= len(tokens) or tokens[pos + 1] != ("=",) or not isinstance(tokens[pos + 2], str):
                raise JaasError(f"Invalid JAAS config: expected key=value options after {module}")
            options[key] = tokens[pos + 2]  # type: ignore[assignment]
            pos += 3
        if pos >= len(tokens):
            raise JaasError(f"Invalid JAAS config: the entry for {module} does not end with ';'")
        entries.append(JaasEntry(module, flag.lower(), options))
        pos += 1
    return entries, pos


def parse_jaas_config(text: str) -> list[JaasEntry]:
    """A `sasl.jaas.config` value: one or more entries; JaasError if malformed or empty."""
    entries, pos = _entries(_tokens(text), 0, None)
    if not entries:
        raise JaasError("Invalid JAAS config: no login module specified")
    return entries


def parse_jaas_file(text: str) -> dict[str, list[JaasEntry]]:
    """A JAAS file (java.security.auth.login.config): section name -> its entries."""
    tokens = _tokens(text)
    sections: dict[str, list[JaasEntry]] = {}
    pos = 0
    while pos < len(tokens):
        name = tokens[pos]
        if not isinstance(name, str) or pos + 1 >= len(tokens) or tokens[pos + 1] != ("{",):
            raise JaasError(f"Invalid JAAS file: expected '<Section> {{', got {name!r}")
        entries, pos = _entries(tokens, pos + 2, "}")
        if pos >= len(tokens):
            raise JaasError(f"Invalid JAAS file: section {name} has no closing '}}'")
        pos += 1
        if pos < len(tokens) and tokens[pos] == (";",):
            pos += 1
        sections[name] = entries
    return sections


def entry_for(entries: list[JaasEntry], mechanism: str) -> JaasEntry:
    """The entry of the login module that serves `mechanism` (else the only entry there is)."""
    module = LOGIN_MODULE_FOR_MECHANISM.get(mechanism.upper())
    for entry in entries:
        if entry.login_module == module:
            return entry
    if len(entries) == 1:
        return entries[0]
    raise JaasError(f"No JAAS entry for a {mechanism} login module ({module})")
