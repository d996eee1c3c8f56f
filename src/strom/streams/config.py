"""StreamsConfig: Kafka Streams' configuration keys with their defaults and validation, and the client configs
(main consumer, restore consumer, producer, admin) derived from them the way Java's StreamsConfig derives them.

A key that is not a Streams key goes to every client that knows it; `consumer.` / `producer.` / `admin.` /
`main.consumer.` / `restore.consumer.` / `global.consumer.` prefixes aim a key at one client and win over the
unprefixed one. Serdes, extractors and handlers may be given as instances, classes, or dotted names (Java's
class names of the built-in serdes are understood too).
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client.config import SCHEMAS, ConfigError

AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE = "exactly_once"  # deprecated in Kafka 3.0, runs as exactly_once_v2 here
EXACTLY_ONCE_BETA = "exactly_once_beta"  # deprecated in Kafka 3.0, runs as exactly_once_v2 here
EXACTLY_ONCE_V2 = "exactly_once_v2"
NO_OPTIMIZATION = "none"
OPTIMIZE = "all"
REUSE_KTABLE_SOURCE_TOPICS = "reuse.ktable.source.topics"
MERGE_REPARTITION_TOPICS = "merge.repartition.topics"
SINGLE_STORE_SELF_JOIN = "single.store.self.join"
TOPOLOGY_OPTIMIZATION_CONFIG = "topology.optimization"
_TOPOLOGY_OPTIMIZATIONS = (OPTIMIZE, NO_OPTIMIZATION, REUSE_KTABLE_SOURCE_TOPICS, MERGE_REPARTITION_TOPICS, SINGLE_STORE_SELF_JOIN)
_OPTIMIZATION_ERROR = (
    f'Acceptable values are: "{NO_OPTIMIZATION}", "{OPTIMIZE}", or a comma separated list of specific optimizations: '
    f'("{REUSE_KTABLE_SOURCE_TOPICS}", "{MERGE_REPARTITION_TOPICS}", "{SINGLE_STORE_SELF_JOIN}").'
)

CONSUMER_PREFIX = "consumer."
MAIN_CONSUMER_PREFIX = "main.consumer."
RESTORE_CONSUMER_PREFIX = "restore.consumer."
GLOBAL_CONSUMER_PREFIX = "global.consumer."
PRODUCER_PREFIX = "producer."
ADMIN_CLIENT_PREFIX = "admin."
TOPIC_PREFIX = "topic."

_INT32_MAX = 2**31 - 1


def verify_topology_optimization_configs(config: str) -> set[str]:
    """The optimizations a `topology.optimization` value turns on (Java's StreamsConfig.verifyTopologyOptimizationConfigs):
    `all`, `none`, or a comma-separated list of single optimizations."""
    configs = [c.strip() for c in config.split(",")]
    if (NO_OPTIMIZATION in configs or OPTIMIZE in configs) and len(configs) > 1:
        raise ConfigError(f'"{config}" is not a valid optimization config. {_OPTIMIZATION_ERROR}')
    for conf in configs:
        if conf not in _TOPOLOGY_OPTIMIZATIONS:
            raise ConfigError(f"Unrecognized config. {_OPTIMIZATION_ERROR}")
    if OPTIMIZE in configs:
        return {REUSE_KTABLE_SOURCE_TOPICS, MERGE_REPARTITION_TOPICS, SINGLE_STORE_SELF_JOIN}
    return set() if NO_OPTIMIZATION in configs else set(configs)


@dataclass(frozen=True, slots=True)
class _Key:
    kind: str  # str | int | long | bool | enum | class | list | double
    default: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    required: bool = False


def _default_state_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "kafka-streams")


# Kafka Streams 3.9's keys and defaults (StreamsConfig.CONFIG)
KEYS: dict[str, _Key] = {
    "application.id": _Key("str", None, required=True),
    "bootstrap.servers": _Key("str", None, required=True),
    "num.standby.replicas": _Key("int", 0, minimum=0),
    "num.stream.threads": _Key("int", 1, minimum=0),
    "processing.guarantee": _Key("enum", AT_LEAST_ONCE, choices=(AT_LEAST_ONCE, EXACTLY_ONCE, EXACTLY_ONCE_BETA, EXACTLY_ONCE_V2)),
    "replication.factor": _Key("int", -1),
    "state.dir": _Key("str", None),
    "statestore.cache.max.bytes": _Key("long", 10 * 1024 * 1024, minimum=0),
    "cache.max.bytes.buffering": _Key("long", 10 * 1024 * 1024, minimum=0),
    "commit.interval.ms": _Key("long", 30000, minimum=0),
    "poll.ms": _Key("long", 100, minimum=0),
    "max.task.idle.ms": _Key("long", 0),
    "buffered.records.per.partition": _Key("int", 1000, minimum=1),
    "state.cleanup.delay.ms": _Key("long", 600000),
    "application.server": _Key("str", ""),
    "client.id": _Key("str", ""),
    "acceptable.recovery.lag": _Key("long", 10000, minimum=0),
    "max.warmup.replicas": _Key("int", 2, minimum=1),
    "probing.rebalance.interval.ms": _Key("long", 600000, minimum=60000),
    "task.timeout.ms": _Key("long", 300000, minimum=0),
    "windowstore.changelog.additional.retention.ms": _Key("long", 86400000, minimum=0),
    "topology.optimization": _Key("str", NO_OPTIMIZATION),
    "default.key.serde": _Key("class", None),
    "default.value.serde": _Key("class", None),
    "default.timestamp.extractor": _Key("class", "strom.streams.timestamps.FailOnInvalidTimestamp"),
    "default.deserialization.exception.handler": _Key("class", "strom.streams.errors.LogAndFailExceptionHandler"),
    "default.production.exception.handler": _Key("class", "strom.streams.errors.DefaultProductionExceptionHandler"),
    "processing.exception.handler": _Key("class", "strom.streams.errors.LogAndFailProcessingExceptionHandler"),
    "default.dsl.store": _Key("enum", "rocksDB", choices=("rocksDB", "in_memory")),
    "rocksdb.config.setter": _Key("class", None),
    "upgrade.from": _Key("str", None),
    "built.in.metrics.version": _Key("str", "latest"),
    "metrics.recording.level": _Key("enum", "INFO", choices=("INFO", "DEBUG", "TRACE")),
    "metrics.num.samples": _Key("int", 2, minimum=1),
    "metrics.sample.window.ms": _Key("long", 30000, minimum=0),
    "rack.aware.assignment.tags": _Key("list", []),
    "rack.aware.assignment.strategy": _Key("enum", "none", choices=("none", "min_traffic", "balance_subtopology")),
    "repartition.purge.interval.ms": _Key("long", 30000, minimum=0),
    "enable.metrics.push": _Key("bool", True),
    "retry.backoff.ms": _Key("long", 100, minimum=0),
    "request.timeout.ms": _Key("int", 40000, minimum=0),
    "metadata.max.age.ms": _Key("long", 300000, minimum=0),
    "connections.max.idle.ms": _Key("long", 540000),
    "receive.buffer.bytes": _Key("int", 32768),
    "send.buffer.bytes": _Key("int", 131072),
    "reconnect.backoff.ms": _Key("long", 50, minimum=0),
    "reconnect.backoff.max.ms": _Key("long", 1000, minimum=0),
    "security.protocol": _Key("str", "PLAINTEXT"),
}

# keys shared with the clients: Streams reads them and the clients get them too
_SHARED = {
    "bootstrap.servers",
    "client.id",
    "retry.backoff.ms",
    "request.timeout.ms",
    "metadata.max.age.ms",
    "connections.max.idle.ms",
    "receive.buffer.bytes",
    "send.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "security.protocol",
}

# the client defaults Kafka Streams overrides (a user's value wins)
_CONSUMER_DEFAULTS = {"auto.offset.reset": "earliest", "enable.auto.commit": False, "max.poll.records": 1000}
_PRODUCER_DEFAULTS = {"linger.ms": 100}
_EOS_PRODUCER_DEFAULTS = {"transaction.timeout.ms": 10000, "delivery.timeout.ms": _INT32_MAX}

# Java's class names of the built-in serdes -> (module, attribute path)
_JAVA_CLASSES = {
    "org.apache.kafka.common.serialization.Serdes$StringSerde": "strom.streams.serdes:Serdes.String",
    "org.apache.kafka.common.serialization.Serdes$LongSerde": "strom.streams.serdes:Serdes.Long",
    "org.apache.kafka.common.serialization.Serdes$IntegerSerde": "strom.streams.serdes:Serdes.Integer",
    "org.apache.kafka.common.serialization.Serdes$ShortSerde": "strom.streams.serdes:Serdes.Short",
    "org.apache.kafka.common.serialization.Serdes$FloatSerde": "strom.streams.serdes:Serdes.Float",
    "org.apache.kafka.common.serialization.Serdes$DoubleSerde": "strom.streams.serdes:Serdes.Double",
    "org.apache.kafka.common.serialization.Serdes$ByteArraySerde": "strom.streams.serdes:Serdes.ByteArray",
    "org.apache.kafka.common.serialization.Serdes$BytesSerde": "strom.streams.serdes:Serdes.Bytes",
    "org.apache.kafka.common.serialization.Serdes$UUIDSerde": "strom.streams.serdes:Serdes.UUID",
    "org.apache.kafka.common.serialization.Serdes$VoidSerde": "strom.streams.serdes:Serdes.Void",
    "org.apache.kafka.streams.processor.FailOnInvalidTimestamp": "strom.streams.timestamps:FailOnInvalidTimestamp",
    "org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp": "strom.streams.timestamps:LogAndSkipOnInvalidTimestamp",
    "org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp": "strom.streams.timestamps:UsePartitionTimeOnInvalidTimestamp",
    "org.apache.kafka.streams.processor.WallclockTimestampExtractor": "strom.streams.timestamps:WallclockTimestampExtractor",
    "org.apache.kafka.streams.errors.LogAndFailExceptionHandler": "strom.streams.errors:LogAndFailExceptionHandler",
    "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler": "strom.streams.errors:LogAndContinueExceptionHandler",
    "org.apache.kafka.streams.errors.DefaultProductionExceptionHandler": "strom.streams.errors:DefaultProductionExceptionHandler",
    **{
        f"org.apache.kafka.streams.errors.{name}": f"strom.streams.errors:{name}"
        for name in ("LogAndFailProcessingExceptionHandler", "LogAndContinueProcessingExceptionHandler")
    },
}


def _invalid(name: str, value: Any, why: str) -> ConfigError:
    return ConfigError(f"Invalid value {value} for configuration {name}: {why}")


def _coerce(name: str, key: _Key, value: Any) -> Any:
    if value is None:
        return None
    if key.kind in ("int", "long"):
        if isinstance(value, bool):
            raise _invalid(name, value, "Expected value to be a number.")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _invalid(name, value, "Expected value to be a number.") from None
        if key.kind == "int" and not -(2**31) <= number <= _INT32_MAX:
            raise _invalid(name, value, "Not a number of type INT")
        if key.minimum is not None and number < key.minimum:
            raise _invalid(name, value, f"Value must be at least {key.minimum}")
        return number
    if key.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _invalid(name, value, "Expected value to be either true or false")
    if key.kind == "enum":
        if value not in key.choices:
            raise _invalid(name, value, f"String must be one of: {', '.join(key.choices)}")
        return value
    if key.kind == "list":
        return [s.strip() for s in value.split(",") if s.strip()] if isinstance(value, str) else list(value)
    if key.kind == "str":
        return str(value)
    return value  # class: resolved when used


def load_class(spec: str) -> Any:
    """`module:Attr.attr`, `module.Attr`, or a Java class name of a built-in serde, extractor or handler."""
    spec = _JAVA_CLASSES.get(spec, spec)
    if ":" in spec:
        module_name, _, path = spec.partition(":")
    else:
        module_name, _, path = spec.rpartition(".")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in path.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"Class {spec} could not be found.") from exc
    return obj


def instantiate(value: Any) -> Any:
    """An instance from an instance, a class or factory, or a dotted name."""
    if isinstance(value, str):
        value = load_class(value)
    if isinstance(value, type) or (callable(value) and not hasattr(value, "serializer") and not hasattr(value, "extract")):
        return value()
    return value


class StreamsConfig:
    """Kafka Streams' configuration (Java's StreamsConfig): validated values and the derived client configs."""

    APPLICATION_ID_CONFIG = "application.id"
    BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers"
    NUM_STREAM_THREADS_CONFIG = "num.stream.threads"
    NUM_STANDBY_REPLICAS_CONFIG = "num.standby.replicas"
    PROCESSING_GUARANTEE_CONFIG = "processing.guarantee"
    COMMIT_INTERVAL_MS_CONFIG = "commit.interval.ms"
    STATE_DIR_CONFIG = "state.dir"
    REPLICATION_FACTOR_CONFIG = "replication.factor"
    STATESTORE_CACHE_MAX_BYTES_CONFIG = "statestore.cache.max.bytes"
    DEFAULT_KEY_SERDE_CLASS_CONFIG = "default.key.serde"
    DEFAULT_VALUE_SERDE_CLASS_CONFIG = "default.value.serde"
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG = "default.timestamp.extractor"
    DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = "default.deserialization.exception.handler"
    DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = "default.production.exception.handler"
    PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG = "processing.exception.handler"
    APPLICATION_SERVER_CONFIG = "application.server"
    POLL_MS_CONFIG = "poll.ms"
    MAX_TASK_IDLE_MS_CONFIG = "max.task.idle.ms"
    AT_LEAST_ONCE = AT_LEAST_ONCE
    EXACTLY_ONCE_V2 = EXACTLY_ONCE_V2

    def __init__(self, props: Mapping[str, Any]) -> None:
        if not isinstance(props, Mapping):
            raise ConfigError(f"StreamsConfig takes a dict of Kafka Streams keys, not {type(props).__name__}")
        self._originals = dict(props)
        values: dict[str, Any] = {}
        for name, key in KEYS.items():
            values[name] = _coerce(name, key, props[name]) if name in props else key.default
        for name, key in KEYS.items():
            if key.required and not values[name]:
                raise ConfigError(f'Missing required configuration "{name}" which has no default value.')
        if "statestore.cache.max.bytes" not in props and "cache.max.bytes.buffering" in props:
            values["statestore.cache.max.bytes"] = values["cache.max.bytes.buffering"]
        if values["state.dir"] is None:
            values["state.dir"] = _default_state_dir()
        if "commit.interval.ms" not in props and self._eos(values):
            values["commit.interval.ms"] = 100  # Java's default under exactly-once
        if self._eos(values):
            for client in ("consumer", "main.consumer", "restore.consumer"):
                level = props.get(f"{client}.isolation.level")
                if level is not None and level != "read_committed":
                    raise ConfigError(
                        f"Unexpected user-specified consumer config: isolation.level={level}; exactly-once requires read_committed"
                    )
            if props.get("producer.enable.idempotence") in (False, "false"):
                raise ConfigError(
                    "Unexpected user-specified producer config: enable.idempotence; exactly-once requires an idempotent producer."
                )
        self._values = values

    @staticmethod
    def _eos(values: Mapping[str, Any]) -> bool:
        return bool(values["processing.guarantee"] != AT_LEAST_ONCE)

    # -- values ------------------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        if name not in self._values:
            raise ConfigError(f"Unknown configuration '{name}'")
        return self._values[name]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def originals(self) -> dict[str, Any]:
        return dict(self._originals)

    def values(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def application_id(self) -> str:
        return str(self._values["application.id"])

    @property
    def exactly_once(self) -> bool:
        """exactly_once, exactly_once_beta and exactly_once_v2 all run as exactly_once_v2 (one producer per thread)."""
        return self._eos(self._values)

    def default_key_serde(self) -> Any:
        return self._serde("default.key.serde")

    def default_value_serde(self) -> Any:
        return self._serde("default.value.serde")

    def _serde(self, name: str) -> Any:
        value = self._values[name]
        return None if value is None else instantiate(value)

    def default_timestamp_extractor(self) -> Any:
        return instantiate(self._values["default.timestamp.extractor"])

    def default_deserialization_exception_handler(self) -> Any:
        return instantiate(self._values["default.deserialization.exception.handler"])

    def default_production_exception_handler(self) -> Any:
        return instantiate(self._values["default.production.exception.handler"])

    def topic_configs(self) -> dict[str, str]:
        """`topic.`-prefixed keys: configs for the internal topics Streams creates."""
        return {k[len(TOPIC_PREFIX) :]: str(v) for k, v in self._originals.items() if k.startswith(TOPIC_PREFIX)}

    # -- client configs ------------------------------------------------------------------------------------
    def _client_props(self, role: str, prefixes: tuple[str, ...]) -> dict[str, Any]:
        schema = SCHEMAS[role]
        out: dict[str, Any] = {}
        for k, v in self._originals.items():
            if k in KEYS and k not in _SHARED:
                continue
            if any(
                k.startswith(p)
                for p in (
                    CONSUMER_PREFIX,
                    MAIN_CONSUMER_PREFIX,
                    RESTORE_CONSUMER_PREFIX,
                    GLOBAL_CONSUMER_PREFIX,
                    PRODUCER_PREFIX,
                    ADMIN_CLIENT_PREFIX,
                    TOPIC_PREFIX,
                )
            ):
                continue
            if k in schema and k != "client.id" and v is not None:
                out[k] = v
        for prefix in prefixes:  # later prefixes are more specific and win
            for k, v in self._originals.items():
                if k.startswith(prefix):
                    out[k[len(prefix) :]] = v
        out["bootstrap.servers"] = self._values["bootstrap.servers"]
        return out

    def get_main_consumer_configs(self, group_id: str, client_id: str, thread_idx: int = 0) -> dict[str, Any]:
        out = {**_CONSUMER_DEFAULTS, **self._client_props("consumer", (CONSUMER_PREFIX, MAIN_CONSUMER_PREFIX))}
        out.update({"group.id": group_id, "client.id": client_id, "enable.auto.commit": False})
        if self.exactly_once:
            out["isolation.level"] = "read_committed"
        return out

    def get_restore_consumer_configs(self, client_id: str) -> dict[str, Any]:
        out = {**_CONSUMER_DEFAULTS, **self._client_props("consumer", (CONSUMER_PREFIX, RESTORE_CONSUMER_PREFIX))}
        out.pop("group.id", None)
        out.update({"client.id": client_id, "enable.auto.commit": False})
        if self.exactly_once:
            out["isolation.level"] = "read_committed"
        return out

    def get_global_consumer_configs(self, client_id: str) -> dict[str, Any]:
        out = {**_CONSUMER_DEFAULTS, **self._client_props("consumer", (CONSUMER_PREFIX, GLOBAL_CONSUMER_PREFIX))}
        out.pop("group.id", None)
        out.update({"client.id": client_id, "enable.auto.commit": False})
        return out

    def get_producer_configs(self, client_id: str, transactional_id: str | None = None) -> dict[str, Any]:
        defaults = {**_PRODUCER_DEFAULTS, **(_EOS_PRODUCER_DEFAULTS if self.exactly_once else {})}
        out = {**defaults, **self._client_props("producer", (PRODUCER_PREFIX,))}
        out["client.id"] = client_id
        if self.exactly_once:
            out["enable.idempotence"] = True
            out["transactional.id"] = transactional_id or f"{self.application_id}-{client_id}"
        return out

    def get_admin_configs(self, client_id: str) -> dict[str, Any]:
        out = self._client_props("admin", (ADMIN_CLIENT_PREFIX,))
        out["client.id"] = client_id
        return out


def config_of(value: StreamsConfig | Mapping[str, Any]) -> StreamsConfig:
    return value if isinstance(value, StreamsConfig) else StreamsConfig(value)


Factory = Callable[[], Any]
