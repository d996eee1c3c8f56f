"""Which broker configs AlterConfigs / IncrementalAlterConfigs may change at run time (Kafka's DynamicBrokerConfig).

The allow-list is Kafka 3.9's: a key Kafka updates dynamically is accepted and stored (in the metadata store, per
broker or as the cluster default), whether or not Strom acts on it yet; a key Kafka only reads at start-up is
refused with Kafka's message. Keys in none of Kafka's lists (a custom key) pass, as in Kafka."""

from __future__ import annotations

from collections.abc import Iterable

from strom.broker.config import BROKER_CONFIGS, LISTENER_PREFIX
from strom.protocol.errors import ErrorCode, KafkaError
from strom.storage.config import TOPIC_CONFIGS

# SslConfigs.RECONFIGURABLE_CONFIGS: only per listener (listener.name.<l>.<key>), never bare
DYNAMIC_SECURITY_CONFIGS = frozenset(
    {
        "ssl.keystore.type",
        "ssl.keystore.location",
        "ssl.keystore.password",
        "ssl.key.password",
        "ssl.keystore.certificate.chain",
        "ssl.keystore.key",
        "ssl.truststore.type",
        "ssl.truststore.location",
        "ssl.truststore.password",
        "ssl.truststore.certificates",
    }
)

# LogCleaner's reconfigurable configs
_LOG_CLEANER = {
    "log.cleaner.threads",
    "log.cleaner.dedupe.buffer.size",
    "log.cleaner.io.buffer.load.factor",
    "log.cleaner.io.buffer.size",
    "message.max.bytes",
    "log.cleaner.io.max.bytes.per.second",
    "log.cleaner.backoff.ms",
}

# DynamicLogConfig: the broker defaults of topic configs (log.message.format.version excepted)
_LOG_DEFAULTS = {
    "log.segment.bytes",
    "log.roll.ms",
    "log.roll.hours",
    "log.roll.jitter.ms",
    "log.roll.jitter.hours",
    "log.index.size.max.bytes",
    "log.flush.interval.messages",
    "log.flush.interval.ms",
    "log.retention.bytes",
    "log.retention.ms",
    "log.retention.minutes",
    "log.retention.hours",
    "message.max.bytes",
    "log.index.interval.bytes",
    "log.cleaner.delete.retention.ms",
    "log.cleaner.min.compaction.lag.ms",
    "log.cleaner.max.compaction.lag.ms",
    "log.segment.delete.delay.ms",
    "log.cleaner.min.cleanable.ratio",
    "log.cleanup.policy",
    "unclean.leader.election.enable",
    "min.insync.replicas",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "log.preallocate",
    "log.message.timestamp.type",
    "log.message.timestamp.difference.max.ms",
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms",
    "log.message.downconversion.enable",
    "log.local.retention.ms",
    "log.local.retention.bytes",
}

# DynamicThreadPool
_THREAD_POOLS = {"num.io.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir", "background.threads"}

# DynamicListenerConfig: listeners, their TLS and SASL settings, connection limits, network threads
LISTENER_CONFIGS = frozenset(
    {
        "advertised.listeners",
        "listeners",
        "listener.security.protocol.map",
        "principal.builder.class",
        "ssl.protocol",
        "ssl.provider",
        "ssl.cipher.suites",
        "ssl.enabled.protocols",
        "ssl.keystore.type",
        "ssl.keystore.location",
        "ssl.keystore.password",
        "ssl.key.password",
        "ssl.truststore.type",
        "ssl.truststore.location",
        "ssl.truststore.password",
        "ssl.keymanager.algorithm",
        "ssl.trustmanager.algorithm",
        "ssl.endpoint.identification.algorithm",
        "ssl.secure.random.implementation",
        "ssl.client.auth",
        "ssl.engine.factory.class",
        "sasl.mechanism.inter.broker.protocol",
        "sasl.jaas.config",
        "sasl.enabled.mechanisms",
        "sasl.kerberos.service.name",
        "sasl.kerberos.kinit.cmd",
        "sasl.kerberos.ticket.renew.window.factor",
        "sasl.kerberos.ticket.renew.jitter",
        "sasl.kerberos.min.time.before.relogin",
        "sasl.kerberos.principal.to.local.rules",
        "sasl.login.refresh.window.factor",
        "sasl.login.refresh.window.jitter",
        "sasl.login.refresh.min.period.seconds",
        "sasl.login.refresh.buffer.seconds",
        "max.connections",
        "max.connection.creation.rate",
        "num.network.threads",
    }
)

# SocketServer, the producer state manager, remote log, metrics, config providers
_OTHERS = {
    "max.connections.per.ip",
    "max.connections.per.ip.overrides",
    "max.connections",
    "max.connection.creation.rate",
    "producer.id.expiration.ms",
    "transaction.partition.verification.enable",
    "remote.log.index.file.cache.total.size.bytes",
    "remote.log.manager.copy.max.bytes.per.second",
    "remote.log.manager.fetch.max.bytes.per.second",
    "remote.log.reader.threads",
    "metric.reporters",
    "config.providers",
}

ALL_DYNAMIC_CONFIGS = frozenset(DYNAMIC_SECURITY_CONFIGS | _LOG_CLEANER | _LOG_DEFAULTS | _THREAD_POOLS | LISTENER_CONFIGS | _OTHERS)

_CLUSTER_LEVEL_LISTENER_CONFIGS = {"max.connections", "max.connection.creation.rate", "num.network.threads"}
PER_BROKER_CONFIGS = frozenset((DYNAMIC_SECURITY_CONFIGS | LISTENER_CONFIGS) - _CLUSTER_LEVEL_LISTENER_CONFIGS)

# What Kafka knows besides the dynamic keys: a key of these that is not dynamic is read only at start-up
_KNOWN_STATIC = {
    "broker.id",
    "node.id",
    "log.dirs",
    "log.dir",
    "zookeeper.connect",
    "process.roles",
    "controller.listener.names",
    "inter.broker.listener.name",
    "security.inter.broker.protocol",
    "inter.broker.protocol.version",
    "log.message.format.version",
    "auto.create.topics.enable",
    "delete.topic.enable",
    "num.partitions",
    "default.replication.factor",
    "offsets.topic.replication.factor",
    "offsets.topic.num.partitions",
    "transaction.state.log.replication.factor",
    "transaction.state.log.num.partitions",
    "group.initial.rebalance.delay.ms",
    "authorizer.class.name",
    "super.users",
}


def base_name(key: str) -> str:
    """`listener.name.<l>.<key>` -> `<key>`; any other key as it is."""
    if key.startswith(LISTENER_PREFIX):
        rest = key[len(LISTENER_PREFIX) :]
        _, dot, name = rest.partition(".")
        if dot:
            return name
    return key


def is_static(key: str) -> bool:
    """A config Kafka knows and reads only at start-up."""
    known = key in BROKER_CONFIGS or key in _KNOWN_STATIC or any(bk == key for _, _, bk in TOPIC_CONFIGS.values())
    return known and key not in ALL_DYNAMIC_CONFIGS


def validate_dynamic_update(keys: Iterable[str], per_broker: bool) -> None:
    """Kafka's DynamicBrokerConfig.validateConfigs: INVALID_REQUEST naming the keys that cannot change here."""
    names = sorted(set(keys))
    _refuse([k for k in names if is_static(k)], "Cannot update these configs dynamically")
    _refuse(
        [k for k in names if k in DYNAMIC_SECURITY_CONFIGS],
        "These security configs can be dynamically updated only per-listener using the listener prefix",
        "HashSet",  # Kafka prints this one as a Scala HashSet
    )
    if not per_broker:
        per_listener = [k for k in names if k != base_name(k) and base_name(k) not in _CLUSTER_LEVEL_LISTENER_CONFIGS]
        _refuse(
            sorted({k for k in names if k in PER_BROKER_CONFIGS} | set(per_listener)),
            "Cannot update these configs at default cluster level, broker id must be specified",
        )


def _refuse(keys: list[str], message: str, kind: str = "Set") -> None:
    if keys:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"{message}: {kind}({', '.join(keys)})")
