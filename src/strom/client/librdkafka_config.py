"""The configuration keys confluent-kafka (librdkafka, CONFIGURATION.md) documents, as Strom takes them.

A program written for confluent-kafka passes librdkafka's keys; Strom must not reject them. Each key is one of:
- an alias of the Kafka (Java) key Strom implements (`queue.buffering.max.ms` is `linger.ms`);
- implemented under its own name (client/config.py's LIBRDKAFKA block: `statistics.interval.ms`, ...);
- listed in NO_EFFECT with the reason it does nothing in Strom: accepted, with a one-time warning naming it.
A key of the other role (a producer key given to a consumer) is accepted with a one-time warning, as
librdkafka does. Security keys (security.protocol, ssl.*, sasl.*) are the TLS/SASL code's, not listed here.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("strom.client.config")

# librdkafka name -> the key Strom implements (value taken as is unless _SCALE says otherwise)
ALIASES: dict[str, str] = {
    "metadata.broker.list": "bootstrap.servers",
    "queue.buffering.max.ms": "linger.ms",
    "message.send.max.retries": "retries",
    "compression.codec": "compression.type",
    "request.required.acks": "acks",
    "max.in.flight": "max.in.flight.requests.per.connection",
    "message.timeout.ms": "delivery.timeout.ms",
    "queue.buffering.max.kbytes": "buffer.memory",
    "fetch.wait.max.ms": "fetch.max.wait.ms",
    "fetch.message.max.bytes": "max.partition.fetch.bytes",
    "socket.timeout.ms": "request.timeout.ms",
    "topic.metadata.refresh.interval.ms": "metadata.max.age.ms",  # clientfix: how often regex subscriptions look
}
SCALE: dict[str, int] = {"queue.buffering.max.kbytes": 1024}

_BOTH = "producer consumer admin"
_PRODUCER = "producer"
_CONSUMER = "consumer"

# librdkafka key -> (roles it applies to, why it has no effect in Strom)
NO_EFFECT: dict[str, tuple[str, str]] = {
    "builtin.features": (_BOTH, "Strom's features do not depend on a build"),
    "message.copy.max.bytes": (_BOTH, "records are copied into their batch once"),
    "receive.message.max.bytes": (_BOTH, "responses are read whole whatever their size"),
    "metadata.recovery.strategy": (_BOTH, "the client goes back to bootstrap.servers when no known broker answers"),
    "metadata.recovery.rebootstrap.trigger.ms": (_BOTH, "see metadata.recovery.strategy"),
    "topic.metadata.refresh.fast.interval.ms": (_BOTH, "retries back off by retry.backoff.ms"),
    "topic.metadata.refresh.fast.cnt": (_BOTH, "deprecated in librdkafka"),
    "topic.metadata.refresh.sparse": (_BOTH, "metadata requests always name their topics"),
    "topic.metadata.propagation.max.ms": (_BOTH, "an unknown topic is retried until delivery.timeout.ms"),
    "topic.blacklist": (_BOTH, "not supported"),
    "socket.blocking.max.ms": (_BOTH, "deprecated in librdkafka"),
    "socket.send.buffer.bytes": (_BOTH, "the system's socket buffer sizes are used"),
    "socket.receive.buffer.bytes": (_BOTH, "the system's socket buffer sizes are used"),
    "socket.nagle.disable": (_BOTH, "Nagle's algorithm is always disabled (TCP_NODELAY)"),
    "socket.max.fails": (_BOTH, "a timed-out request always closes its connection"),
    "broker.address.ttl": (_BOTH, "addresses are resolved at each connect"),
    "broker.address.family": (_BOTH, "every address family the name resolves to is tried"),
    "connections.max.idle.ms": (_BOTH, "idle connections are kept"),
    "reconnect.backoff.jitter.ms": (_BOTH, "deprecated in librdkafka"),
    "enabled_events": (_BOTH, "librdkafka's C event API"),
    "log.queue": (_BOTH, "log records go through Python's logging"),
    "log.thread.name": (_BOTH, "log records go through Python's logging"),
    "enable.random.seed": (_BOTH, "Python seeds its own generator"),
    "log.connection.close": (_BOTH, "disconnects are logged at DEBUG"),
    "internal.termination.signal": (_BOTH, "no signal is used"),
    "api.version.request": (_BOTH, "ApiVersions is always sent"),
    "api.version.request.timeout.ms": (_BOTH, "ApiVersions uses request.timeout.ms"),
    "api.version.fallback.ms": (_BOTH, "ApiVersions is always sent"),
    "broker.version.fallback": (_BOTH, "ApiVersions is always sent"),
    "plugin.library.paths": (_BOTH, "librdkafka plugins are C libraries"),
    "client.rack": (_BOTH, "fetching from the closest replica is not supported"),
    "client.dns.lookup": (_BOTH, "every address a name resolves to is tried"),
    "enable.metrics.push": (_BOTH, "client metrics are not pushed"),
    "throttle_cb": (_BOTH, "throttle events are not reported"),
    "group.protocol.type": (_CONSUMER, "the protocol type is always consumer"),
    "coordinator.query.interval.ms": (_CONSUMER, "the coordinator is looked up again when it moves"),
    "queued.min.messages": (_CONSUMER, "one fetch per partition is buffered ahead"),
    "queued.max.messages.kbytes": (_CONSUMER, "one fetch per partition is buffered ahead"),
    "fetch.queue.backoff.ms": (_CONSUMER, "one fetch per partition is buffered ahead"),
    "fetch.error.backoff.ms": (_CONSUMER, "fetch errors back off by retry.backoff.ms"),
    "offset.store.method": (_CONSUMER, "offsets are always stored in the group coordinator"),
    "offset.store.path": (_CONSUMER, "offsets are always stored in the group coordinator"),
    "offset.store.sync.interval.ms": (_CONSUMER, "offsets are always stored in the group coordinator"),
    "auto.commit.enable": (_CONSUMER, "librdkafka's legacy consumer key: use enable.auto.commit"),
    "consume.callback.max.messages": (_CONSUMER, "librdkafka's C consume callback"),
    "enable.gapless.guarantee": (_PRODUCER, "experimental in librdkafka"),
    "queue.buffering.backpressure.threshold": (_PRODUCER, "requests are built as soon as a batch is ready"),
    "batch.num.messages": (_PRODUCER, "a batch is bounded by batch.size only"),
    "delivery.report.only.error": (_PRODUCER, "every delivery is reported"),
    "sticky.partitioning.linger.ms": (_PRODUCER, "keyless records stick to a partition for a whole batch (KIP-480)"),
    "queuing.strategy": (_PRODUCER, "records are always sent in order"),
    "produce.offset.report": (_PRODUCER, "deprecated in librdkafka"),
    "compression.level": (_PRODUCER, "each codec's default level is used"),
}

# partitioner values librdkafka documents; Strom partitions as Java's producer (murmur2 of the key,
# keyless records sticky per batch), which is librdkafka's murmur2_random
PARTITIONERS = ("murmur2_random", "murmur2", "consistent_random", "consistent", "random", "fnv1a", "fnv1a_random")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(key: str, text: str) -> None:
    """Logs `text` the first time `key` is seen in this process (a config is resolved more than once)."""
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(text)


# librdkafka debug context -> the client loggers that tell about it
_DEBUG_LOGGERS: dict[str, tuple[str, ...]] = {
    "msg": ("strom.client.producer", "strom.client.sender"),
    "topic": ("strom.client.producer", "strom.client.sender"),
    "eos": ("strom.client.transactions",),
    "cgrp": ("strom.client.group",),
    "consumer": ("strom.client.consumer", "strom.client.group"),
    "fetch": ("strom.client.fetcher",),
    "conf": ("strom.client.config",),
}
DEBUG_CONTEXTS = (
    "generic broker topic metadata feature queue msg protocol cgrp security fetch interceptor plugin consumer admin eos mock "
    "assignor conf telemetry all"
).split()
# syslog level (librdkafka's log_level) -> logging level
_SYSLOG_LEVELS = {
    0: logging.CRITICAL,
    1: logging.CRITICAL,
    2: logging.CRITICAL,
    3: logging.ERROR,
    4: logging.WARNING,
    5: logging.INFO,
    6: logging.INFO,
    7: logging.DEBUG,
}
_forwarded: set[int] = set()


class _ForwardTo(logging.Handler):
    """Hands the client's log records to the application's logger (confluent-kafka's `logger` key)."""

    def __init__(self, target: logging.Logger) -> None:
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        if self.target.isEnabledFor(record.levelno):
            self.target.handle(record)


def configure_logging(debug: str | None, log_level: int | None, logger: logging.Logger | None) -> None:
    """`debug` contexts turn the matching client loggers to DEBUG (librdkafka's debug output, through
    logging; a stderr handler is added when the application configured none, as librdkafka prints to
    stderr); `log_level` sets the client's threshold; `logger` receives the client's records."""
    client = logging.getLogger("strom.client")
    if log_level is not None:
        client.setLevel(_SYSLOG_LEVELS[log_level])
    if logger is not None and id(logger) not in _forwarded:
        _forwarded.add(id(logger))
        client.addHandler(_ForwardTo(logger))
        client.propagate = False
    if not debug:
        return
    contexts = {c.strip() for c in debug.split(",") if c.strip()}
    names = {"strom.client"} if contexts & {"all", "generic", "broker", "protocol", "metadata", "admin", "queue"} else set()
    for context in contexts:
        names.update(_DEBUG_LOGGERS.get(context, ()))
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    if not logging.getLogger().handlers and not client.handlers:
        client.addHandler(logging.StreamHandler())
