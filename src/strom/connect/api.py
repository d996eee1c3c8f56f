"""The connector API (org.apache.kafka.connect.{connector,source,sink,transforms}): what connector, task and
transformation authors implement, and the contexts the worker hands them.

The methods are synchronous, as Kafka's: the worker runs each task on its own thread, so a task may block in
poll()/put() (database drivers do). Names are the snake_case of Java's.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar

from strom.client.types import RecordMetadata, TopicPartition
from strom.connect.config import Config, ConfigDef, ConfigException, ConfigValue
from strom.connect.data import Schema
from strom.connect.errors import ConnectException, DataException, RetriableException
from strom.connect.headers import ConnectHeaders, Header

__all__ = [
    "Config",
    "ConfigDef",
    "ConfigException",
    "ConfigValue",
    "ConnectException",
    "ConnectHeaders",
    "ConnectRecord",
    "Connector",
    "ConnectorContext",
    "ConnectorTransactionBoundaries",
    "DataException",
    "ErrantRecordReporter",
    "ExactlyOnceSupport",
    "Header",
    "OffsetAndMetadata",
    "OffsetStorageReader",
    "Predicate",
    "RecordMetadata",
    "RetriableException",
    "SinkConnector",
    "SinkConnectorContext",
    "SinkRecord",
    "SinkTask",
    "SinkTaskContext",
    "SourceConnector",
    "SourceConnectorContext",
    "SourceRecord",
    "SourceTask",
    "SourceTaskContext",
    "Task",
    "TimestampType",
    "TopicPartition",
    "Transformation",
    "TransactionBoundary",
    "TransactionContext",
]


class TimestampType(enum.Enum):
    """org.apache.kafka.common.record.TimestampType; the value is Kafka's id (-1, 0, 1)."""

    NO_TIMESTAMP_TYPE = -1
    CREATE_TIME = 0
    LOG_APPEND_TIME = 1

    @property
    def display_name(self) -> str:  # Java's TimestampType.name ("CreateTime"), used in SMTs and DLQ headers
        return {-1: "NoTimestampType", 0: "CreateTime", 1: "LogAppendTime"}[self.value]


@dataclass(frozen=True, slots=True)
class OffsetAndMetadata:
    """A committed consumer position (org.apache.kafka.clients.consumer.OffsetAndMetadata)."""

    offset: int
    metadata: str = ""
    leader_epoch: int | None = None


# -- records


class ConnectRecord(ABC):
    """What flows between connectors, transforms and converters: a topic/partition, key and value with their
    schemas, a timestamp and headers (Java's ConnectRecord). Equal when all those are equal."""

    __slots__ = ("topic", "kafka_partition", "key_schema", "key", "value_schema", "value", "timestamp", "headers")

    def __init__(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None = None,
        headers: ConnectHeaders | Iterable[Header] | None = None,
    ) -> None:
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self.headers = headers if isinstance(headers, ConnectHeaders) else ConnectHeaders(headers)

    @abstractmethod
    def new_record(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: ConnectHeaders | Iterable[Header] | None = None,
    ) -> Self:
        """A copy with these fields replaced, keeping the subclass's own (source offsets, Kafka offset...);
        without headers the copy gets a duplicate of this record's headers, as Java's newRecord."""

    def _base_key(self) -> tuple[Any, ...]:
        return (self.topic, self.kafka_partition, self.key_schema, self.key, self.value_schema, self.value, self.timestamp, self.headers)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ConnectRecord)
        return self._base_key() == other._base_key()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _fields_repr(self) -> str:
        return (
            f"topic='{self.topic}', kafkaPartition={self.kafka_partition}, key={self.key}, keySchema={self.key_schema}, "
            f"value={self.value}, valueSchema={self.value_schema}, timestamp={self.timestamp}, headers={self.headers}"
        )


class SourceRecord(ConnectRecord):
    """A record from a source task, with where it came from (`source_partition`, e.g. {"table": "t"}) and how far
    (`source_offset`, e.g. {"id": 42}); the worker stores the offsets so a restarted task resumes."""

    __slots__ = ("source_partition", "source_offset")

    def __init__(
        self,
        source_partition: Mapping[str, Any] | None,
        source_offset: Mapping[str, Any] | None,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        timestamp: int | None = None,
        headers: ConnectHeaders | Iterable[Header] | None = None,
    ) -> None:
        super().__init__(topic, kafka_partition, key_schema, key, value_schema, value, timestamp, headers)
        self.source_partition = dict(source_partition) if source_partition is not None else None
        self.source_offset = dict(source_offset) if source_offset is not None else None

    def new_record(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: ConnectHeaders | Iterable[Header] | None = None,
    ) -> Self:
        return type(self)(
            self.source_partition,
            self.source_offset,
            topic,
            kafka_partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            self.headers.duplicate() if headers is None else headers,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, SourceRecord)
        return (
            self._base_key() == other._base_key()
            and self.source_partition == other.source_partition
            and self.source_offset == other.source_offset
        )

    __hash__ = None

    def __repr__(self) -> str:
        source = f"sourcePartition={self.source_partition}, sourceOffset={self.source_offset}"
        return f"SourceRecord{{{source}}} ConnectRecord{{{self._fields_repr()}}}"


class SinkRecord(ConnectRecord):
    """A record consumed for a sink task, with its Kafka offset and timestamp type; `original_*` keep the
    consumed topic/partition/offset when transforms reroute the record (KIP-793)."""

    __slots__ = ("kafka_offset", "timestamp_type", "original_topic", "original_kafka_partition", "original_kafka_offset")

    def __init__(
        self,
        topic: str,
        kafka_partition: int,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        kafka_offset: int,
        timestamp: int | None = None,
        timestamp_type: TimestampType = TimestampType.NO_TIMESTAMP_TYPE,
        headers: ConnectHeaders | Iterable[Header] | None = None,
        original_topic: str | None = None,
        original_kafka_partition: int | None = None,
        original_kafka_offset: int | None = None,
    ) -> None:
        super().__init__(topic, kafka_partition, key_schema, key, value_schema, value, timestamp, headers)
        self.kafka_offset = kafka_offset
        self.timestamp_type = timestamp_type
        self.original_topic = topic if original_topic is None else original_topic
        self.original_kafka_partition = kafka_partition if original_kafka_partition is None else original_kafka_partition
        self.original_kafka_offset = kafka_offset if original_kafka_offset is None else original_kafka_offset

    def new_record(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: ConnectHeaders | Iterable[Header] | None = None,
    ) -> Self:
        return type(self)(
            topic,
            kafka_partition,  # type: ignore[arg-type]  # Java allows a null partition here too
            key_schema,
            key,
            value_schema,
            value,
            self.kafka_offset,
            timestamp,
            self.timestamp_type,
            self.headers.duplicate() if headers is None else headers,
            self.original_topic,
            self.original_kafka_partition,
            self.original_kafka_offset,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, SinkRecord)
        return self._base_key() == other._base_key() and (self.kafka_offset, self.timestamp_type) == (
            other.kafka_offset,
            other.timestamp_type,
        )

    __hash__ = None

    def __repr__(self) -> str:
        sink = (
            f"kafkaOffset={self.kafka_offset}, timestampType={self.timestamp_type.display_name}, originalTopic={self.original_topic}, "
            f"originalKafkaPartition={self.original_kafka_partition}, originalKafkaOffset={self.original_kafka_offset}"
        )
        return f"SinkRecord{{{sink}}} ConnectRecord{{{self._fields_repr()}}}"


R = TypeVar("R", bound=ConnectRecord)


# -- contexts (implemented by the runtime)


class ConnectorContext(ABC):
    """What a connector may ask of the worker."""

    @abstractmethod
    def request_task_reconfiguration(self) -> None:
        """Asks for task_configs() to be called again (e.g. the set of tables changed)."""

    @abstractmethod
    def raise_error(self, e: Exception) -> None:
        """Fails the connector from a background thread of its own."""


class SourceConnectorContext(ConnectorContext):
    @abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader: ...


class SinkConnectorContext(ConnectorContext):
    pass


class OffsetStorageReader(ABC):
    """The offsets a source task committed, by source partition."""

    @abstractmethod
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        """The last committed offset of `partition`, or None."""

    def offsets(self, partitions: Iterable[Mapping[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(partition, offset or None) for each partition, in order. Java returns a Map keyed by the partition
        maps; dicts are not hashable in Python, hence pairs."""
        return [(dict(p), self.offset(p)) for p in partitions]


class SourceTaskContext(ABC):
    @abstractmethod
    def configs(self) -> dict[str, str]:
        """The task's configuration."""

    @abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader: ...

    def transaction_context(self) -> TransactionContext | None:
        """The task's transaction control when the worker runs it exactly-once (KIP-618) with
        transaction.boundary=connector; None otherwise, as Java."""
        return None


class TransactionContext(ABC):
    """How a source task with transaction.boundary=connector defines its transactions (KIP-618): the worker
    commits or aborts the producer transaction after the given record (or after the next batch polled)."""

    @abstractmethod
    def commit_transaction(self, record: SourceRecord | None = None) -> None:
        """Commits after `record` is sent, or after the records of the current poll() when None."""

    @abstractmethod
    def abort_transaction(self, record: SourceRecord | None = None) -> None:
        """Aborts after `record` (its records since the last commit are discarded), or after the current batch."""


class ErrantRecordReporter(ABC):
    """Sends a record a sink task could not process to the error handling (DLQ, log) of errors.tolerance=all."""

    @abstractmethod
    def report(self, record: SinkRecord, error: BaseException) -> Future[None]: ...


class SinkTaskContext(ABC):
    @abstractmethod
    def configs(self) -> dict[str, str]: ...

    @abstractmethod
    def offset(self, offsets: Mapping[TopicPartition, int] | TopicPartition, offset: int | None = None) -> None:
        """Resets consumer positions: `offset({tp: 5})` or `offset(tp, 5)` (a sink that stores its own offsets)."""

    @abstractmethod
    def timeout(self, timeout_ms: int) -> None:
        """Sets the back-off before put() is retried after a RetriableException."""

    @abstractmethod
    def assignment(self) -> set[TopicPartition]: ...

    @abstractmethod
    def pause(self, *partitions: TopicPartition) -> None: ...

    @abstractmethod
    def resume(self, *partitions: TopicPartition) -> None: ...

    @abstractmethod
    def request_commit(self) -> None:
        """Asks for an offset commit soon (flush/pre_commit then commit)."""

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        """The reporter, or None when the worker has none."""
        return None


# -- connectors and tasks


class Task(ABC):
    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class TransactionBoundary(enum.Enum):
    """transaction.boundary of an exactly-once source connector (KIP-618): a transaction per poll() batch, per
    transaction.boundary.interval.ms, or where the connector says through its TransactionContext."""

    POLL = "poll"
    INTERVAL = "interval"
    CONNECTOR = "connector"

    @classmethod
    def from_property(cls, value: str) -> TransactionBoundary:
        """Case-insensitive, as Java's TransactionBoundary.fromProperty."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ConfigException(
                "transaction.boundary", value, "String must be one of (case insensitive): POLL, INTERVAL, CONNECTOR"
            ) from None


class SourceTask(Task):
    """Reads from an external system: poll() returns records (or None when there is nothing now)."""

    TRANSACTION_BOUNDARY_CONFIG: ClassVar[str] = "transaction.boundary"

    context: SourceTaskContext

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> list[SourceRecord] | None:
        """The next records; may block briefly. RetriableException to be called again."""

    def commit(self) -> None:
        """Offsets up to the records acknowledged so far were committed (the task may confirm upstream)."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """`record` was written (metadata) or dropped by a transform/error tolerance (None)."""


class SinkTask(Task):
    """Writes consumed records to an external system."""

    TOPICS_CONFIG: ClassVar[str] = "topics"
    TOPICS_REGEX_CONFIG: ClassVar[str] = "topics.regex"

    context: SinkTaskContext

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: Collection[SinkRecord]) -> None:
        """Writes (or buffers) records; RetriableException to get them again after context.timeout()."""

    def flush(self, current_offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> None:
        """Makes everything put() so far durable before the offsets are committed."""

    def pre_commit(self, current_offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> dict[TopicPartition, OffsetAndMetadata]:
        """The offsets safe to commit; by default flush() then all of them."""
        self.flush(current_offsets)
        return dict(current_offsets)

    def open(self, partitions: Collection[TopicPartition]) -> None:
        """Partitions newly assigned (after a rebalance)."""

    def close(self, partitions: Collection[TopicPartition]) -> None:
        """Partitions revoked: drop their writers/buffers."""


class Connector(ABC):
    """Splits a job into task configs; the worker runs the tasks."""

    context: ConnectorContext

    def initialize(self, context: ConnectorContext, task_configs: list[dict[str, str]] | None = None) -> None:
        self.context = context

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    def reconfigure(self, props: Mapping[str, str]) -> None:
        """New config: stop() then start(props), as Java's default."""
        self.stop()
        self.start(props)

    @abstractmethod
    def task_class(self) -> type[Task]: ...

    @abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """At most max_tasks configs, one per task to run."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def config(self) -> ConfigDef: ...

    def validate(self, connector_configs: Mapping[str, str]) -> Config:
        """Checks the connector's own settings against config() (REST PUT .../config/validate)."""
        return Config(self.config().validate(connector_configs))


class ExactlyOnceSupport(enum.Enum):
    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class ConnectorTransactionBoundaries(enum.Enum):
    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class SourceConnector(Connector):
    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        return None

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> ConnectorTransactionBoundaries:
        return ConnectorTransactionBoundaries.UNSUPPORTED

    def alter_offsets(
        self, connector_config: Mapping[str, str], offsets: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]]
    ) -> bool:
        """KIP-875: may the offsets be altered/reset? False (the default) means the connector did not check;
        ConnectException refuses. (source partition, offset or None to reset) pairs, as OffsetStorageReader."""
        return False


class SinkConnector(Connector):
    TOPICS_CONFIG: ClassVar[str] = "topics"
    TOPICS_REGEX_CONFIG: ClassVar[str] = "topics.regex"

    def alter_offsets(self, connector_config: Mapping[str, str], offsets: Mapping[TopicPartition, int | None]) -> bool:
        """KIP-875, as SourceConnector.alter_offsets, for consumer offsets (None resets a partition)."""
        return False


# -- transformations and predicates


class Transformation(ABC, Generic[R]):
    """A single message transform: returns the changed record, or None to drop it."""

    @abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def apply(self, record: R) -> R | None: ...

    @abstractmethod
    def config(self) -> ConfigDef: ...

    def close(self) -> None:
        """Releases resources."""

    def version(self) -> str:
        from strom.version import __version__

        return __version__


class Predicate(ABC, Generic[R]):
    """A condition that decides whether a transform applies to a record."""

    @abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def test(self, record: R) -> bool: ...

    @abstractmethod
    def config(self) -> ConfigDef: ...

    def close(self) -> None:
        """Releases resources."""

    def version(self) -> str:
        from strom.version import __version__

        return __version__
