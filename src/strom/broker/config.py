"""server.properties: Kafka's broker config keys, types, defaults and validation (one place per default).

Unknown keys are a warning naming the key (Kafka logs them as "not a known config"); a wrong type or
value is a one-line ConfigError naming the key and what is allowed, and the broker exits non-zero.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strom.broker.metrics.listener import parse_listener
from strom.security.principal import SecurityProtocol
from strom.storage.config import LONG_MAX, LogConfig, message_format_version

log = logging.getLogger("strom.broker.config")


class ConfigError(ValueError):
    """A broker config that cannot be used: the message names the key and the allowed values."""


def _int(lo: int = -LONG_MAX - 1, hi: int = LONG_MAX) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("must be an integer") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be in [{lo}, {hi}]")
        return value

    return parse


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise ValueError("must be true or false")
    return low == "true"


def _str(text: str) -> str:
    return text.strip()


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return text.strip()

    return parse


def _float(text: str) -> float:
    return float(text.strip())


def _raw_value(text: str) -> str:
    """Values of keys Strom does not parse itself (JAAS lines, inline PEM): kept as written."""
    return text


_LISTENER = re.compile(r"^([A-Za-z0-9_]+)://(\[[0-9a-fA-F:]*\]|[^:\[\]]*):(\d+)$")


def _listeners(text: str) -> str:
    for item in filter(None, (x.strip() for x in text.split(","))):
        m = _LISTENER.match(item)
        if not m or not 0 <= int(m.group(3)) <= 65535:
            raise ValueError(f"'{item}' is not LISTENER_NAME://host:port")
    return text.strip()


def _metrics_listener(text: str) -> str:
    if text.strip():
        parse_listener(text)
    return text.strip()


AUTHORIZER_CLASSES = ("kafka.security.authorizer.AclAuthorizer", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
"""The authorizer class names Strom's ACL authorizer answers to (Kafka 2.8's and KRaft's)."""


def _authorizer_class(text: str) -> str:
    if text.strip() not in ("", *AUTHORIZER_CLASSES):
        raise ValueError(f"must be {' or '.join(AUTHORIZER_CLASSES)} (or empty for no authorizer)")
    return text.strip()


# key -> (parser, default as Kafka's string form or None for "no default")
BROKER_CONFIGS: dict[str, tuple[Callable[[str], Any], str | None]] = {
    "broker.id": (_int(-1, 2**31 - 1), "-1"),
    "node.id": (_int(-1, 2**31 - 1), "-1"),
    "process.roles": (_str, ""),
    "listeners": (_listeners, "PLAINTEXT://:9092"),
    "advertised.listeners": (_listeners, None),
    # Strom's Prometheus endpoint (Kafka exposes JMX; the JMX exporter's names are served here directly)
    "metrics.prometheus.listener": (_metrics_listener, ""),
    "listener.security.protocol.map": (_str, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"),
    "inter.broker.listener.name": (_str, None),
    "controller.listener.names": (_str, None),
    "controller.quorum.voters": (_str, ""),
    "log.dirs": (_str, None),
    "log.dir": (_str, "/tmp/kafka-logs"),
    "num.partitions": (_int(1, 2**31 - 1), "1"),
    "default.replication.factor": (_int(1, 32767), "1"),
    "auto.create.topics.enable": (_bool, "true"),
    "delete.topic.enable": (_bool, "true"),
    "message.max.bytes": (_int(0, 2**31 - 1), "1048588"),
    "replica.fetch.max.bytes": (_int(0, 2**31 - 1), "1048576"),
    "log.retention.hours": (_int(-1, 2**31 - 1), "168"),
    "log.retention.minutes": (_int(-1, 2**31 - 1), None),
    "log.retention.ms": (_int(-1), None),
    "log.retention.bytes": (_int(), "-1"),
    "log.segment.bytes": (_int(14, 2**31 - 1), "1073741824"),
    "log.roll.hours": (_int(1, 2**31 - 1), "168"),
    "log.roll.ms": (_int(1), None),
    "log.roll.jitter.hours": (_int(0, 2**31 - 1), "0"),
    "log.roll.jitter.ms": (_int(0), None),
    "log.index.size.max.bytes": (_int(4, 2**31 - 1), "10485760"),
    "log.index.interval.bytes": (_int(0, 2**31 - 1), "4096"),
    "log.flush.interval.messages": (_int(1), str(LONG_MAX)),
    "log.flush.interval.ms": (_int(0), None),
    "log.flush.scheduler.interval.ms": (_int(0), str(LONG_MAX)),
    "log.flush.offset.checkpoint.interval.ms": (_int(0, 2**31 - 1), "60000"),
    "log.retention.check.interval.ms": (_int(1), "300000"),
    "log.cleanup.policy": (_str, "delete"),
    "log.cleaner.enable": (_bool, "true"),
    "log.cleaner.backoff.ms": (_int(0), "15000"),
    "log.cleaner.threads": (_int(0, 2**31 - 1), "1"),
    "log.cleaner.delete.retention.ms": (_int(0), "86400000"),
    "log.cleaner.min.compaction.lag.ms": (_int(0), "0"),
    "log.cleaner.max.compaction.lag.ms": (_int(1), str(LONG_MAX)),
    "log.cleaner.min.cleanable.ratio": (_float, "0.5"),
    "log.segment.delete.delay.ms": (_int(0), "60000"),
    "log.message.timestamp.type": (_choice("CreateTime", "LogAppendTime"), "CreateTime"),
    "log.preallocate": (_bool, "false"),
    "log.message.downconversion.enable": (_bool, "true"),
    "compression.type": (_choice("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), "producer"),
    "min.insync.replicas": (_int(1, 2**31 - 1), "1"),
    "unclean.leader.election.enable": (_bool, "false"),
    "num.network.threads": (_int(1, 2**31 - 1), "3"),
    "num.io.threads": (_int(1, 2**31 - 1), "8"),
    "num.recovery.threads.per.data.dir": (_int(1, 2**31 - 1), "1"),
    "num.replica.fetchers": (_int(1, 2**31 - 1), "1"),
    "background.threads": (_int(1, 2**31 - 1), "10"),
    "socket.send.buffer.bytes": (_int(-1, 2**31 - 1), "102400"),
    "socket.receive.buffer.bytes": (_int(-1, 2**31 - 1), "102400"),
    "socket.request.max.bytes": (_int(1, 2**31 - 1), "104857600"),
    "queued.max.requests": (_int(1, 2**31 - 1), "500"),
    "max.incremental.fetch.session.cache.slots": (_int(0, 2**31 - 1), "1000"),
    "connections.max.idle.ms": (_int(), "600000"),
    "offsets.topic.replication.factor": (_int(1, 32767), "3"),
    "offsets.topic.num.partitions": (_int(1, 2**31 - 1), "50"),
    "offsets.topic.segment.bytes": (_int(1, 2**31 - 1), "104857600"),
    "offsets.retention.minutes": (_int(1, 2**31 - 1), "10080"),
    "offsets.retention.check.interval.ms": (_int(1), "600000"),
    "offsets.commit.timeout.ms": (_int(1, 2**31 - 1), "5000"),
    "offset.metadata.max.bytes": (_int(0, 2**31 - 1), "4096"),
    "transaction.state.log.replication.factor": (_int(1, 32767), "3"),
    "transaction.state.log.min.isr": (_int(1, 2**31 - 1), "2"),
    "transaction.max.timeout.ms": (_int(1, 2**31 - 1), "900000"),
    "transaction.state.log.num.partitions": (_int(1, 2**31 - 1), "50"),
    "transaction.state.log.segment.bytes": (_int(1, 2**31 - 1), "104857600"),
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": (_int(1, 2**31 - 1), "10000"),
    "transaction.remove.expired.transaction.cleanup.interval.ms": (_int(1, 2**31 - 1), "3600000"),
    "transactional.id.expiration.ms": (_int(1, 2**31 - 1), "604800000"),
    "transaction.partition.verification.enable": (_bool, "true"),
    "group.initial.rebalance.delay.ms": (_int(0, 2**31 - 1), "3000"),
    "group.min.session.timeout.ms": (_int(0, 2**31 - 1), "6000"),
    "group.max.session.timeout.ms": (_int(0, 2**31 - 1), "1800000"),
    "group.max.size": (_int(1, 2**31 - 1), str(2**31 - 1)),
    "group.coordinator.rebalance.protocols": (_str, "classic,consumer"),
    "group.consumer.session.timeout.ms": (_int(1, 2**31 - 1), "45000"),
    "group.consumer.heartbeat.interval.ms": (_int(1, 2**31 - 1), "5000"),
    "group.consumer.max.size": (_int(1, 2**31 - 1), str(2**31 - 1)),
    "group.consumer.assignors": (_str, "uniform,range"),
    "zookeeper.connect": (_str, None),
    "zookeeper.connection.timeout.ms": (_int(0, 2**31 - 1), None),
    "zookeeper.session.timeout.ms": (_int(0, 2**31 - 1), "18000"),
    "replica.lag.time.max.ms": (_int(0), "30000"),
    "replica.fetch.wait.max.ms": (_int(0, 2**31 - 1), "500"),
    "replica.fetch.min.bytes": (_int(1, 2**31 - 1), "1"),
    "replica.fetch.backoff.ms": (_int(0, 2**31 - 1), "1000"),
    "replica.fetch.response.max.bytes": (_int(0, 2**31 - 1), "10485760"),
    "replica.socket.timeout.ms": (_int(1, 2**31 - 1), "30000"),
    "replica.high.watermark.checkpoint.interval.ms": (_int(1), "5000"),
    "broker.rack": (_str, None),
    "fetch.max.bytes": (_int(1024, 2**31 - 1), "57671680"),
    "max.connections": (_int(0, 2**31 - 1), str(2**31 - 1)),
    "cluster.id": (_str, None),
    "controlled.shutdown.enable": (_bool, "true"),
    "controlled.shutdown.max.retries": (_int(0, 2**31 - 1), "3"),
    "controlled.shutdown.retry.backoff.ms": (_int(0), "5000"),
    "auto.leader.rebalance.enable": (_bool, "true"),
    "leader.imbalance.check.interval.seconds": (_int(1), "300"),
    "leader.imbalance.per.broker.percentage": (_int(0, 2**31 - 1), "10"),
    # ---- TLS and listeners (security/tls.py reads these, per listener through listener_value) ----
    "security.inter.broker.protocol": (_choice("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"), "PLAINTEXT"),
    "ssl.protocol": (_str, "TLSv1.3"),
    "ssl.enabled.protocols": (_str, "TLSv1.2,TLSv1.3"),
    "ssl.cipher.suites": (_str, ""),
    "ssl.keystore.type": (_choice("JKS", "PKCS12", "PEM"), "JKS"),
    "ssl.keystore.location": (_str, None),
    "ssl.keystore.password": (_raw_value, None),
    "ssl.key.password": (_raw_value, None),
    "ssl.keystore.certificate.chain": (_raw_value, None),
    "ssl.keystore.key": (_raw_value, None),
    "ssl.truststore.type": (_choice("JKS", "PKCS12", "PEM"), "JKS"),
    "ssl.truststore.location": (_str, None),
    "ssl.truststore.password": (_raw_value, None),
    "ssl.truststore.certificates": (_raw_value, None),
    "ssl.client.auth": (_choice("none", "requested", "required"), "none"),
    "ssl.endpoint.identification.algorithm": (_str, "https"),
    "ssl.principal.mapping.rules": (_str, "DEFAULT"),
    "ssl.keymanager.algorithm": (_str, "SunX509"),
    "ssl.trustmanager.algorithm": (_str, "PKIX"),
    "ssl.secure.random.implementation": (_str, None),
    "ssl.provider": (_str, None),
    "ssl.engine.factory.class": (_str, None),
    # ---- deprecated log configs Kafka 3.x still accepts (and ignores) ----
    "log.message.format.version": (message_format_version, "3.0-IV1"),
    # ---- authorization (ACLs) ----
    "authorizer.class.name": (_authorizer_class, ""),
    "super.users": (_str, ""),
    "allow.everyone.if.no.acl.found": (_bool, "false"),
    # ---- SASL (broker/authenticator.py); listener.name.<l>.<mechanism>.sasl.jaas.config overrides sasl.jaas.config
    "sasl.enabled.mechanisms": (_str, "GSSAPI"),
    "sasl.mechanism.inter.broker.protocol": (_str, "GSSAPI"),
    "sasl.jaas.config": (_raw_value, None),
    "connections.max.reauth.ms": (_int(0), "0"),
    "sasl.server.max.receive.size": (_int(1, 2**31 - 1), "524288"),
    "connection.failed.authentication.delay.ms": (_int(0, 2**31 - 1), "100"),
    # ---- client quotas (broker/quota_manager.py) ----
    "quota.window.num": (_int(1, 2**31 - 1), "11"),
    "quota.window.size.seconds": (_int(1, 2**31 - 1), "1"),
}

SENSITIVE_BROKER_CONFIGS = {
    # ---- TLS (Kafka's PASSWORD-type ssl.* keys) ----
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    # ---- SASL (a JAAS line holds passwords) ----
    "sasl.jaas.config",
}
"""Kafka's PASSWORD-type broker configs: DescribeConfigs marks them sensitive and never returns their value."""

LISTENER_PREFIX = "listener.name."
"""Kafka's per-listener override prefix: `listener.name.<lower-case listener name>.<key>`."""


# Keys that Kafka documents for server.properties but which have no effect on Strom yet: accepted quietly.
_ACCEPTED_NO_EFFECT = {"share.coordinator.state.topic.replication.factor"}


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties subset: key=value or key: value, # and ! comments, backslash continuations."""
    out: dict[str, str] = {}
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        logical += line
        m = re.match(r"^([^=:\s]+)\s*[=:\s]\s*(.*)$", logical)
        if m:
            out[m.group(1)] = m.group(2).strip()
        elif logical:
            out[logical] = ""
        logical = ""
    return out


@dataclass(frozen=True, slots=True)
class Listener:
    """One `listeners` entry with the security protocol `listener.security.protocol.map` gives its name."""

    name: str
    host: str
    port: int
    security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT


def parse_security_protocol_map(text: str) -> dict[str, SecurityProtocol]:
    """`listener.security.protocol.map`: "NAME:PROTOCOL,..." -> {NAME: protocol}; ConfigError when malformed."""
    out: dict[str, SecurityProtocol] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, sep, protocol = item.partition(":")
        if not sep or not name.strip() or protocol.strip().upper() not in SecurityProtocol.__members__:
            raise ConfigError(
                f"Invalid value {text!r} for configuration listener.security.protocol.map: '{item}' is not "
                f"LISTENER_NAME:PROTOCOL with PROTOCOL one of {', '.join(SecurityProtocol.__members__)}"
            )
        out[name.strip().upper()] = SecurityProtocol[protocol.strip().upper()]
    return out


def parse_listeners(text: str, protocol_map: Mapping[str, SecurityProtocol] | None = None, key: str = "listeners") -> list[Listener]:
    """Listener entries with their security protocols; ConfigError for a name the map does not know."""
    protocols = (
        protocol_map if protocol_map is not None else parse_security_protocol_map(BROKER_CONFIGS["listener.security.protocol.map"][1] or "")
    )
    out = []
    for item in filter(None, (x.strip() for x in text.split(","))):
        m = _LISTENER.match(item)
        if not m:
            continue
        name = m.group(1).upper()
        if name not in protocols:
            raise ConfigError(
                f"Invalid value for configuration {key}: no security protocol defined for listener {name} (listener.security.protocol.map)"
            )
        out.append(Listener(name, m.group(2).strip("[]"), int(m.group(3)), protocols[name]))
    return out


class BrokerConfig:
    """Parsed, validated broker configuration. Values by Kafka key: cfg["num.partitions"]."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = dict(raw)
        self.values: dict[str, Any] = {}
        self.listener_overrides: dict[str, dict[str, Any]] = {}  # lower-case listener name -> {key: value}
        for key, value in raw.items():
            if key.startswith(LISTENER_PREFIX):
                self._set_listener_override(key, value)
                continue
            if key not in BROKER_CONFIGS:
                if key not in _ACCEPTED_NO_EFFECT:
                    log.warning("The configuration '%s' was supplied but isn't a known config.", key)
                continue
            parser = BROKER_CONFIGS[key][0]
            try:
                self.values[key] = parser(value)
            except ValueError as exc:
                raise ConfigError(f"Invalid value {value!r} for configuration {key}: {exc}") from None
        for key, (parser, default) in BROKER_CONFIGS.items():
            if key not in self.values and default is not None:
                self.values[key] = parser(default)
        if self.values["broker.id"] < 0 and self.values["node.id"] >= 0:
            self.values["broker.id"] = self.values["node.id"]
        if self.values["broker.id"] < 0:
            self.values["broker.id"] = 0
        self.security_protocol_map = parse_security_protocol_map(self.values["listener.security.protocol.map"])
        self.listeners = parse_listeners(self.values["listeners"], self.security_protocol_map)
        if not self.listeners:
            raise ConfigError("Invalid value for configuration listeners: no listener given")
        adv = self.values.get("advertised.listeners")
        self.advertised_listeners = parse_listeners(adv, self.security_protocol_map, "advertised.listeners") if adv else self.listeners
        self.inter_broker_listener_name = self._inter_broker_listener_name()

    def _inter_broker_listener_name(self) -> str:
        """`inter.broker.listener.name`, else the listener named after `security.inter.broker.protocol` (as
        Kafka); the first advertised listener when neither names one (a single custom-named listener)."""
        explicit = self.values.get("inter.broker.listener.name")
        names = [lst.name for lst in self.advertised_listeners]
        if explicit:
            if "security.inter.broker.protocol" in self.raw:
                raise ConfigError("Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.")
            if explicit.strip().upper() not in names:
                raise ConfigError(f"inter.broker.listener.name must be a listener name defined in advertised.listeners. Found {explicit}")
            return str(explicit).strip().upper()
        by_protocol = str(self.values["security.inter.broker.protocol"])
        if by_protocol in names:
            return by_protocol
        if "security.inter.broker.protocol" in self.raw:
            raise ConfigError(f"security.inter.broker.protocol={by_protocol}: no advertised listener is named {by_protocol}")
        return names[0]

    def advertised_listener(self, name: str) -> Listener | None:
        """The advertised endpoint of the listener called `name`."""
        return next((lst for lst in self.advertised_listeners if lst.name == name.upper()), None)

    @property
    def inter_broker_listener(self) -> Listener:
        listener = self.advertised_listener(self.inter_broker_listener_name)
        assert listener is not None
        return listener

    def _set_listener_override(self, key: str, value: str) -> None:
        """`listener.name.<listener>.<key>`: parsed with <key>'s parser when Strom knows the key (SASL's
        `<mechanism>.sasl.jaas.config` and other keys are kept as strings)."""
        listener, sep, inner = key[len(LISTENER_PREFIX) :].partition(".")
        if not sep or not listener or not inner:
            raise ConfigError(f"Invalid configuration {key}: expected listener.name.<listener name>.<config>")
        parser = BROKER_CONFIGS.get(inner, (_raw_value, None))[0]
        try:
            parsed = parser(value)
        except ValueError as exc:
            raise ConfigError(f"Invalid value {value!r} for configuration {key}: {exc}") from None
        self.listener_overrides.setdefault(listener.lower(), {})[inner] = parsed

    def listener_value(self, listener_name: str, key: str, default: Any = None) -> Any:
        """`key` as the listener named `listener_name` sees it: Kafka's per-listener override
        `listener.name.<lower-case listener name>.<key>` when set, else the plain `key` (else `default`)."""
        overrides = self.listener_overrides.get(listener_name.lower())
        if overrides is not None and key in overrides:
            return overrides[key]
        return self.values.get(key, default)

    @classmethod
    def load(cls, path: Path | None, overrides: Mapping[str, str] | None = None) -> BrokerConfig:
        raw: dict[str, str] = {}
        if path is not None:
            try:
                raw = parse_properties(Path(path).read_text())
            except OSError as exc:
                raise ConfigError(f"Cannot read config file {path}: {exc.strerror}") from None
        raw.update(overrides or {})
        return cls(raw)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def broker_id(self) -> int:
        return int(self.values["broker.id"])

    @property
    def log_dirs(self) -> list[Path]:
        text = self.values.get("log.dirs") or self.values["log.dir"]
        return [Path(p.strip()) for p in text.split(",") if p.strip()]

    def retention_ms(self) -> int:
        if "log.retention.ms" in self.values:
            return int(self.values["log.retention.ms"])
        if "log.retention.minutes" in self.values:
            return int(self.values["log.retention.minutes"]) * 60_000
        return int(self.values["log.retention.hours"]) * 3_600_000

    def roll_ms(self) -> int:
        if "log.roll.ms" in self.values:
            return int(self.values["log.roll.ms"])
        return int(self.values["log.roll.hours"]) * 3_600_000

    def default_log_config(self) -> LogConfig:
        """Topic config defaults derived from broker configs, as Kafka's LogConfig does."""
        flush_ms = self.values.get("log.flush.interval.ms")
        return LogConfig(
            segment_bytes=self["log.segment.bytes"],
            segment_ms=self.roll_ms(),
            segment_jitter_ms=int(self.values.get("log.roll.jitter.ms", self["log.roll.jitter.hours"] * 3_600_000)),
            segment_index_bytes=self["log.index.size.max.bytes"],
            index_interval_bytes=self["log.index.interval.bytes"],
            retention_ms=self.retention_ms(),
            retention_bytes=self["log.retention.bytes"],
            cleanup_policy=self["log.cleanup.policy"],
            compression_type=self["compression.type"],
            delete_retention_ms=self["log.cleaner.delete.retention.ms"],
            min_compaction_lag_ms=self["log.cleaner.min.compaction.lag.ms"],
            max_compaction_lag_ms=self["log.cleaner.max.compaction.lag.ms"],
            min_cleanable_dirty_ratio=self["log.cleaner.min.cleanable.ratio"],
            file_delete_delay_ms=self["log.segment.delete.delay.ms"],
            flush_messages=self["log.flush.interval.messages"],
            flush_ms=int(flush_ms) if flush_ms is not None else LONG_MAX,
            max_message_bytes=self["message.max.bytes"],
            message_timestamp_type=self["log.message.timestamp.type"],
            min_insync_replicas=self["min.insync.replicas"],
            preallocate=self["log.preallocate"],
            unclean_leader_election_enable=self["unclean.leader.election.enable"],
            message_format_version=self["log.message.format.version"],
        )

    def value_string(self, key: str) -> str | None:
        if key in self.raw:
            return self.raw[key]
        default = BROKER_CONFIGS.get(key, (None, None))[1]
        return default

    def is_default(self, key: str) -> bool:
        return key not in self.raw
