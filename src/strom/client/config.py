"""Client configuration: Kafka's own keys, types and Java-client defaults, validated up front.

A typo in a key or a wrong type is the commonest client bug, and Kafka's clients reject both when the
client is built; so do we, with an error that names the key (and the nearest known key for a typo).
Values may be given as Python values or as the strings a .properties file holds ("true", "100").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client import librdkafka_config as rdk
from strom.protocol.errors import KafkaError, KafkaException, LocalError
from strom.security.sasl.login import SaslLogin


class ConfigError(KafkaException, ValueError):
    """A configuration key is unknown, or its value has the wrong type or is out of range.

    As confluent-kafka's invalid-configuration error: a KafkaException whose args[0] is a KafkaError with
    code _INVALID_ARG; str() is the message alone."""

    def __init__(self, message: str) -> None:
        super().__init__(KafkaError(LocalError.INVALID_ARG, message))
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Key:
    kind: str  # "int", "bool", "str", "enum", "list", "callable", "object" (taken as given)
    default: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    aliases: Mapping[str, str] | None = None  # enum value synonyms (librdkafka spellings)


_INT32_MAX = 2147483647

COMMON: dict[str, Key] = {
    "bootstrap.servers": Key("str", None),
    "client.id": Key("str", "strom"),
    "request.timeout.ms": Key("int", 30000, minimum=1),
    "metadata.max.age.ms": Key("int", 300000, minimum=0),
    "retry.backoff.ms": Key("int", 100, minimum=0),
    "retry.backoff.max.ms": Key("int", 1000, minimum=0),
    "reconnect.backoff.ms": Key("int", 50, minimum=0),
    "reconnect.backoff.max.ms": Key("int", 1000, minimum=0),
    "socket.connection.setup.timeout.ms": Key("int", 10000, minimum=1),
    "security.protocol": Key(
        "enum",
        "PLAINTEXT",
        choices=("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
        aliases={"plaintext": "PLAINTEXT", "ssl": "SSL", "sasl_plaintext": "SASL_PLAINTEXT", "sasl_ssl": "SASL_SSL"},
    ),
    "error_cb": Key("callable", None),
    # ---- SASL (librdkafka's keys; sasl.jaas.config is the Java client's, read when sasl.username is not given)
    "sasl.mechanism": Key("enum", "GSSAPI", choices=("GSSAPI", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")),
    "sasl.mechanisms": Key("enum", None, choices=("GSSAPI", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")),
    "sasl.username": Key("str", None),
    "sasl.password": Key("str", None),
    "sasl.oauthbearer.config": Key("str", None),
    "sasl.jaas.config": Key("str", None),
    # ---- TLS: librdkafka's keys (security/tls.py's librdkafka_client_context reads them) ----
    "ssl.ca.location": Key("str", None),
    "ssl.ca.pem": Key("str", None),
    "ssl.certificate.location": Key("str", None),
    "ssl.certificate.pem": Key("str", None),
    "ssl.key.location": Key("str", None),
    "ssl.key.pem": Key("str", None),
    "ssl.key.password": Key("str", None),
    "ssl.keystore.location": Key("str", None),
    "ssl.keystore.password": Key("str", None),
    "ssl.cipher.suites": Key("str", None),
    "ssl.endpoint.identification.algorithm": Key("enum", "https", choices=("https", "none")),
    "enable.ssl.certificate.verification": Key("bool", True),
}

PRODUCER: dict[str, Key] = {
    "acks": Key("enum", "all", choices=("all", "0", "1"), aliases={"-1": "all"}),
    "enable.idempotence": Key("bool", True),
    "linger.ms": Key("int", 5, minimum=0),  # KIP-1030: 5 ms since Kafka 4.0
    "batch.size": Key("int", 16384, minimum=0),
    "compression.type": Key("enum", "none", choices=("none", "gzip", "snappy", "lz4", "zstd")),
    "max.in.flight.requests.per.connection": Key("int", 5, minimum=1),
    "retries": Key("int", _INT32_MAX, minimum=0),
    "delivery.timeout.ms": Key("int", 120000, minimum=1),
    "max.request.size": Key("int", 1048576, minimum=1),
    "buffer.memory": Key("int", 33554432, minimum=1),
    "max.block.ms": Key("int", 60000, minimum=0),
    "partitioner.ignore.keys": Key("bool", False),
    "transactional.id": Key("str", None),
    "transaction.timeout.ms": Key("int", 60000, minimum=1, maximum=_INT32_MAX),
    "key.serializer": Key("callable", None),
    "value.serializer": Key("callable", None),
    "on_delivery": Key("callable", None),
}

CONSUMER: dict[str, Key] = {
    "group.id": Key("str", None),
    "group.instance.id": Key("str", None),
    "auto.offset.reset": Key(
        "enum",
        "latest",
        choices=("earliest", "latest", "none"),
        aliases={"smallest": "earliest", "beginning": "earliest", "largest": "latest", "end": "latest", "error": "none"},
    ),
    "enable.auto.commit": Key("bool", True),
    "auto.commit.interval.ms": Key("int", 5000, minimum=0),
    "isolation.level": Key("enum", "read_uncommitted", choices=("read_uncommitted", "read_committed")),
    "partition.assignment.strategy": Key("list", ["range", "cooperative-sticky"]),
    "session.timeout.ms": Key("int", 45000, minimum=1),
    "heartbeat.interval.ms": Key("int", 3000, minimum=1),
    "max.poll.interval.ms": Key("int", 300000, minimum=1),
    "max.poll.records": Key("int", 500, minimum=1),
    "fetch.min.bytes": Key("int", 1, minimum=0),
    "fetch.max.bytes": Key("int", 52428800, minimum=0),
    "fetch.max.wait.ms": Key("int", 500, minimum=0),
    "max.partition.fetch.bytes": Key("int", 1048576, minimum=0),
    "check.crcs": Key("bool", True),
    "allow.auto.create.topics": Key("bool", False),  # librdkafka's consumer default (Java's is true)
    "exclude.internal.topics": Key("bool", True),
    "key.deserializer": Key("callable", None),
    "value.deserializer": Key("callable", None),
    "on_commit": Key("callable", None),
    # ---- KIP-848: the consumer group protocol (client/consumer_group_member.py) ----
    "group.protocol": Key("enum", "classic", choices=("classic", "consumer")),
    "group.remote.assignor": Key("str", None),
}

ADMIN: dict[str, Key] = {}

# ---- librdkafka's keys that Strom implements under their own names (confluent-kafka programs pass them);
# its aliases and the keys that have no effect in Strom are in client/librdkafka_config.py ----
LIBRDKAFKA_COMMON: dict[str, Key] = {
    "message.max.bytes": Key("int", 1000000, minimum=1000, maximum=1000000000),
    "socket.keepalive.enable": Key("bool", False),
    "debug": Key("str", None),
    "log_level": Key("int", 6, minimum=0, maximum=7),
    "logger": Key("object", None),
    "statistics.interval.ms": Key("int", 0, minimum=0, maximum=86400000),
    "stats_cb": Key("callable", None),
}
LIBRDKAFKA_PRODUCER: dict[str, Key] = {
    "queue.buffering.max.messages": Key("int", 100000, minimum=0),
    "partitioner": Key("enum", "murmur2_random", choices=rdk.PARTITIONERS),
}
LIBRDKAFKA_CONSUMER: dict[str, Key] = {
    "enable.partition.eof": Key("bool", False),
    "enable.auto.offset.store": Key("bool", True),
}

SCHEMAS: dict[str, dict[str, Key]] = {
    "producer": {**COMMON, **PRODUCER, **LIBRDKAFKA_COMMON, **LIBRDKAFKA_PRODUCER},
    "consumer": {**COMMON, **CONSUMER, **LIBRDKAFKA_COMMON, **LIBRDKAFKA_CONSUMER},
    "admin": {**COMMON, **ADMIN, **LIBRDKAFKA_COMMON},
}

_ASSIGNOR_NAMES = {
    "range": "range",
    "roundrobin": "roundrobin",
    "cooperative-sticky": "cooperative-sticky",
    "org.apache.kafka.clients.consumer.RangeAssignor": "range",
    "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky",
}


def _assignor_object(item: Any) -> bool:
    """An assignor given as an object (assignors.ConsumerPartitionAssignor), as Kafka Streams gives its own."""
    return not isinstance(item, str) and isinstance(getattr(item, "name", None), str) and callable(getattr(item, "assign", None))


def _coerce(name: str, key: Key, value: Any) -> Any:
    if value is None and key.kind in ("str", "callable"):
        return None
    if key.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"configuration '{name}' must be an integer, not {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"configuration '{name}' must be an integer, not {value!r}") from None
        if key.minimum is not None and number < key.minimum:
            raise ConfigError(f"configuration '{name}' must be at least {key.minimum}, not {number}")
        if number > (key.maximum if key.maximum is not None else _INT32_MAX):
            raise ConfigError(f"configuration '{name}' is out of range: {number}")
        return number
    if key.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConfigError(f"configuration '{name}' must be true or false, not {value!r}")
    if key.kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"configuration '{name}' must be a string, not {value!r}")
        return value
    if key.kind == "enum":
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text is not None:
            text = (key.aliases or {}).get(text, text)
            if text in key.choices:
                return text
        raise ConfigError(f"configuration '{name}' must be one of {', '.join(key.choices)}, not {value!r}")
    if key.kind == "list":
        items = [s.strip() for s in value.split(",")] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items:
            raise ConfigError(f"configuration '{name}' must be a non-empty list, not {value!r}")
        if name == "partition.assignment.strategy":
            unknown = [i for i in items if not _assignor_object(i) and i not in _ASSIGNOR_NAMES]
            if unknown:
                raise ConfigError(f"configuration '{name}': unknown assignor {unknown[0]!r} (range, roundrobin, cooperative-sticky)")
            return [i if _assignor_object(i) else _ASSIGNOR_NAMES[i] for i in items]
        return list(items)
    if key.kind == "object":
        return value
    if key.kind == "callable":
        if not callable(value):
            raise ConfigError(f"configuration '{name}' must be callable, not {value!r}")
        return value
    raise AssertionError(key.kind)


def resolve(role: str, conf: Mapping[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """Validated config for `role` (producer, consumer, admin): every known key, defaults filled in."""
    if conf is not None and not isinstance(conf, Mapping):
        raise ConfigError(f"configuration must be a dict of Kafka keys, not {type(conf).__name__}")
    schema = SCHEMAS[role]
    given = {**(conf or {}), **extra}
    out: dict[str, Any] = {name: key.default for name, key in schema.items()}
    for name, value in _kafka_names(role, given, schema).items():
        key = schema.get(name)
        if key is None:
            hint = difflib.get_close_matches(name, list(schema) + list(rdk.ALIASES), n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"unknown {role} configuration '{name}'{more}")
        out[name] = _coerce(name, key, value)
    if not out["bootstrap.servers"]:
        raise ConfigError("configuration 'bootstrap.servers' is required")
    sasl_login(out)  # a SASL protocol without usable credentials fails here, when the client is built
    _apply_message_max_bytes(role, out, given)
    if role == "producer":
        _check_producer(out, given)
        if out["partitioner"] not in ("murmur2_random", "murmur2"):
            rdk.warn_once(
                "partitioner",
                f"configuration 'partitioner={out['partitioner']}' has no effect in Strom: keys are partitioned with murmur2 (as Java)",
            )
    if role == "consumer":
        _check_consumer(out)
    rdk.configure_logging(out["debug"], out["log_level"] if "log_level" in given else None, out["logger"])
    return out


def _kafka_names(role: str, given: Mapping[str, Any], schema: Mapping[str, Key]) -> dict[str, Any]:
    """`given` with librdkafka's aliases under the Kafka name Strom implements (an explicit Kafka key wins),
    without the keys that have no effect here (each warned about once) and the other role's keys (as
    librdkafka: accepted with a warning). Unknown keys stay, for the caller to reject."""
    out: dict[str, Any] = {}
    topic_defaults = given.get("default.topic.config")
    if isinstance(topic_defaults, Mapping):  # confluent-kafka's (deprecated) nested topic config: flattened
        given = {**topic_defaults, **{k: v for k, v in given.items() if k != "default.topic.config"}}
    for name, value in given.items():
        if name in schema:
            out[name] = value
        elif name in rdk.ALIASES and rdk.ALIASES[name] in schema:
            target = rdk.ALIASES[name]
            if target not in given:
                out[target] = _alias_value(name, value)
        elif name in rdk.NO_EFFECT and role in rdk.NO_EFFECT[name][0]:
            rdk.warn_once(name, f"configuration '{name}' has no effect in Strom: {rdk.NO_EFFECT[name][1]}")
        elif _other_role(role, name) is not None:
            other = _other_role(role, name)
            rdk.warn_once(f"{role}:{name}", f"configuration '{name}' is a {other} property and has no effect on a {role}")
        else:
            out[name] = value
    if isinstance(out.get("debug"), str):
        unknown = [c for c in out["debug"].split(",") if c.strip() and c.strip() not in rdk.DEBUG_CONTEXTS]
        if unknown:
            raise ConfigError(f"configuration 'debug': unknown context {unknown[0].strip()!r} ({', '.join(rdk.DEBUG_CONTEXTS)})")
    return out


def _alias_value(name: str, value: Any) -> Any:
    if name == "message.timeout.ms" and str(value) == "0":
        return _INT32_MAX  # librdkafka: 0 is no timeout
    scale = rdk.SCALE.get(name)
    if scale is not None and not isinstance(value, bool):
        try:
            return int(value) * scale
        except (TypeError, ValueError):
            return value
    return value


def _other_role(role: str, name: str) -> str | None:
    """The role a key belongs to when it is not `role`'s (None for a key no role knows)."""
    for other in ("producer", "consumer"):
        if other == role:
            continue
        if name in SCHEMAS[other] or rdk.ALIASES.get(name) in SCHEMAS[other] or other in rdk.NO_EFFECT.get(name, ("", ""))[0]:
            return other
    return None


def _apply_message_max_bytes(role: str, out: dict[str, Any], given: Mapping[str, Any]) -> None:
    """librdkafka's message.max.bytes bounds a request (the producer's max.request.size unless that is
    given) and lifts the consumer's fetch.max.bytes to at least itself, as librdkafka adjusts it."""
    if "message.max.bytes" not in given:
        return
    if role == "producer" and "max.request.size" not in given:
        out["max.request.size"] = out["message.max.bytes"]
    if role == "consumer" and "fetch.max.bytes" not in given:
        out["fetch.max.bytes"] = max(out["fetch.max.bytes"], out["message.max.bytes"])


def _check_producer(out: dict[str, Any], given: Mapping[str, Any]) -> None:
    transactional = out["transactional.id"] is not None
    if transactional and not out["transactional.id"]:
        raise ConfigError("configuration 'transactional.id' must not be empty")
    if out["enable.idempotence"]:
        explicit = "enable.idempotence" in given or transactional
        conflicts = []
        if out["acks"] != "all":
            conflicts.append("acks must be all")
        if out["max.in.flight.requests.per.connection"] > 5:
            conflicts.append("max.in.flight.requests.per.connection must be at most 5")
        if out["retries"] == 0:
            conflicts.append("retries must be greater than 0")
        if conflicts:
            if explicit:
                name = "transactional.id" if transactional else "enable.idempotence"
                raise ConfigError(f"configuration '{name}' needs " + "; ".join(conflicts))
            out["enable.idempotence"] = False  # as Java: the default yields to explicit conflicting settings
    if transactional and not out["enable.idempotence"]:
        raise ConfigError("configuration 'transactional.id' needs enable.idempotence=true (transactions are idempotent)")
    if "message.timeout.ms" not in given and out["delivery.timeout.ms"] < out["linger.ms"] + out["request.timeout.ms"]:
        raise ConfigError("configuration 'delivery.timeout.ms' must be at least linger.ms + request.timeout.ms")


def _check_consumer(out: dict[str, Any]) -> None:
    if out["heartbeat.interval.ms"] >= out["session.timeout.ms"]:
        raise ConfigError("configuration 'heartbeat.interval.ms' must be lower than session.timeout.ms")


def sasl_login(conf: Mapping[str, Any]) -> SaslLogin | None:
    """The SASL credentials every connection of this client authenticates with; None without SASL."""
    if not str(conf.get("security.protocol", "PLAINTEXT")).startswith("SASL_"):
        return None
    if conf.get("sasl.mechanisms") is not None:
        conf = {**conf, "sasl.mechanism": conf["sasl.mechanisms"]}
    try:
        return SaslLogin.from_config(conf)
    except ValueError as exc:
        raise ConfigError(f"configuration 'sasl.mechanism': {exc}") from None


def acks_value(acks: str) -> int:
    return -1 if acks == "all" else int(acks)


Serializer = Callable[[Any], bytes | None]
