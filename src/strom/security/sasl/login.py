"""What a client authenticates with: mechanism plus credentials, from librdkafka keys or a Java JAAS line.

Both Strom's client and the broker's inter-broker connections build one of these; `new_client()` gives a
fresh client half for every (re-)authentication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strom.security.jaas import entry_for, parse_jaas_config
from strom.security.sasl import SUPPORTED_MECHANISMS
from strom.security.sasl.base import SaslClient
from strom.security.sasl.oauthbearer import OAuthBearerClient, UnsecuredLoginOptions
from strom.security.sasl.plain import PlainClient
from strom.security.sasl.scram import ScramClient, ScramMechanism


@dataclass(frozen=True, slots=True)
class SaslLogin:
    mechanism: str
    username: str = ""
    password: str = ""
    oauth: UnsecuredLoginOptions | None = None

    def __post_init__(self) -> None:
        if self.mechanism not in SUPPORTED_MECHANISMS:
            raise ValueError(f"SASL mechanism {self.mechanism!r} is not supported (supported: {', '.join(SUPPORTED_MECHANISMS)})")
        if self.mechanism == "OAUTHBEARER":
            if self.oauth is None:
                raise ValueError("SASL mechanism OAUTHBEARER needs sasl.oauthbearer.config (principal=<name>) or a JAAS line")
        elif not self.username or not self.password:
            raise ValueError(f"SASL mechanism {self.mechanism} needs sasl.username and sasl.password (or a JAAS line with both)")

    def new_client(self) -> SaslClient:
        if self.mechanism == "PLAIN":
            return PlainClient(self.username, self.password)
        if self.mechanism == "OAUTHBEARER":
            assert self.oauth is not None
            return OAuthBearerClient(self.oauth.token(), self.oauth.extensions)
        return ScramClient(ScramMechanism.from_name(self.mechanism), self.username, self.password)

    @classmethod
    def from_jaas(cls, mechanism: str, jaas_config: str) -> SaslLogin:
        """A Java client's sasl.mechanism + sasl.jaas.config (username/password, or unsecuredLogin* options)."""
        mechanism = mechanism.upper()
        entry = entry_for(parse_jaas_config(jaas_config), mechanism)
        if mechanism == "OAUTHBEARER":
            return cls(mechanism, oauth=UnsecuredLoginOptions.from_jaas(entry.options))
        username, password = entry.credentials()
        return cls(mechanism, username, password)

    @classmethod
    def from_config(cls, conf: Mapping[str, object]) -> SaslLogin:
        """librdkafka's keys (sasl.mechanism(s), sasl.username, sasl.password, sasl.oauthbearer.config); a
        Java sasl.jaas.config is read when no username is given."""
        mechanism = str(conf.get("sasl.mechanism") or conf.get("sasl.mechanisms") or "GSSAPI").upper()
        jaas = conf.get("sasl.jaas.config")
        if jaas and not conf.get("sasl.username") and not conf.get("sasl.oauthbearer.config"):
            return cls.from_jaas(mechanism, str(jaas))
        oauth_text = conf.get("sasl.oauthbearer.config")
        oauth = UnsecuredLoginOptions.from_librdkafka(str(oauth_text)) if oauth_text else None
        if mechanism == "OAUTHBEARER" and oauth is None and conf.get("sasl.username"):
            oauth = UnsecuredLoginOptions(str(conf["sasl.username"]))
        return cls(mechanism, str(conf.get("sasl.username") or ""), str(conf.get("sasl.password") or ""), oauth)
