"""Error handling of converters and transforms: retries, errors.tolerance, the log and the dead letter queue.

Kafka's RetryWithToleranceOperator and its reporters. A failing stage is retried while it raises
RetriableException, with exponential back-off from 300 ms up to errors.retry.delay.max.ms, until
errors.retry.timeout ms have passed (0: no retries, -1: forever). Then errors.tolerance decides: `none` fails the
task ("Tolerance exceeded in error handler"), `all` skips the record. Either way the failure is reported: logged
(errors.log.enable, with the record when errors.log.include.messages) and, for sink connectors, the consumed
record's original bytes are produced to errors.deadletterqueue.topic.name, with Kafka's `__connect.errors.*`
context headers when errors.deadletterqueue.context.headers.enable. A record is never dropped silently.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strom.connect.errors import ConnectException, RetriableException

log = logging.getLogger("org.apache.kafka.connect.runtime.errors.LogReporter")
retry_log = logging.getLogger("org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator")

T = TypeVar("T")

RETRIES_DELAY_MIN_MS = 300

# Kafka's context header names (DeadLetterQueueReporter)
HEADER_PREFIX = "__connect.errors."
ERROR_HEADER_ORIG_TOPIC = HEADER_PREFIX + "topic"
ERROR_HEADER_ORIG_PARTITION = HEADER_PREFIX + "partition"
ERROR_HEADER_ORIG_OFFSET = HEADER_PREFIX + "offset"
ERROR_HEADER_CONNECTOR_NAME = HEADER_PREFIX + "connector.name"
ERROR_HEADER_TASK_ID = HEADER_PREFIX + "task.id"
ERROR_HEADER_STAGE = HEADER_PREFIX + "stage"
ERROR_HEADER_EXECUTING_CLASS = HEADER_PREFIX + "class.name"
ERROR_HEADER_EXCEPTION = HEADER_PREFIX + "exception.class.name"
ERROR_HEADER_EXCEPTION_MESSAGE = HEADER_PREFIX + "exception.message"
ERROR_HEADER_EXCEPTION_STACK_TRACE = HEADER_PREFIX + "exception.stacktrace"


class Stage(enum.Enum):
    """Where in the pipeline a record failed (Java's Stage)."""

    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


# The stages whose failures errors.tolerance may skip; a connector's own poll/put failures fail the task.
TOLERABLE_STAGES = frozenset({Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER, Stage.HEADER_CONVERTER, Stage.TRANSFORMATION})


class ToleranceType(enum.Enum):
    NONE = "none"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """The raw record a sink task consumed, as the dead letter queue re-produces it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int | None = None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


@dataclass(slots=True)
class ProcessingContext:
    """One failed operation: the record, where, what raised."""

    connector: str
    task_id: int
    stage: Stage
    executing_class: str
    error: BaseException
    consumed: ConsumedRecord | None = None
    source_record: Any = None  # the SourceRecord for source tasks
    attempts: int = 1


class ErrorReporter:
    def report(self, context: ProcessingContext) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Releases clients."""


def _class_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class LogReporter(ErrorReporter):
    """errors.log.enable: one ERROR line per failure, with the record's coordinates (and contents when
    errors.log.include.messages)."""

    def __init__(self, include_messages: bool) -> None:
        self.include_messages = include_messages

    def report(self, context: ProcessingContext) -> None:
        log.error("Error encountered in task %s-%d. %s", context.connector, context.task_id, self.message(context), exc_info=context.error)

    def message(self, context: ProcessingContext) -> str:
        text = f"Executing stage '{context.stage.value}' with class '{context.executing_class}'"
        if context.consumed is not None:
            c = context.consumed
            text += f", where consumed record is {{topic='{c.topic}', partition={c.partition}, offset={c.offset}"
            if self.include_messages:
                text += f", timestamp={c.timestamp}, key={c.key!r}, value={c.value!r}"
            text += "}"
        elif context.source_record is not None:
            text += ", where source record is = " + (repr(context.source_record) if self.include_messages else "<hidden>")
        return text + "."


class DeadLetterQueueReporter(ErrorReporter):
    """Produces a failed sink record's original key/value (and headers) to the DLQ topic, created on first use
    with errors.deadletterqueue.topic.replication.factor replicas, as Kafka's reporter does."""

    def __init__(
        self,
        topic: str,
        producer_config: Mapping[str, Any],
        admin_config: Mapping[str, Any],
        replication_factor: int,
        context_headers: bool,
    ) -> None:
        from strom import AdminClient, NewTopic, Producer

        self.topic = topic
        self.context_headers = context_headers
        admin = AdminClient(dict(admin_config))
        try:
            existing = admin.list_topics(timeout=30).topics
            if topic not in existing:
                futures = admin.create_topics([NewTopic(topic, 1, replication_factor)])
                for fut in futures.values():
                    try:
                        fut.result(30)
                    except Exception as exc:
                        if "TOPIC_ALREADY_EXISTS" not in str(exc) and "already exists" not in str(exc):
                            raise ConnectException(f"Could not initialize dead letter queue with topic={topic}: {exc}") from exc
        finally:
            close = getattr(admin, "close", None)
            if close is not None:
                close()
        self.producer = Producer(dict(producer_config))
        self._lock = threading.Lock()

    def report(self, context: ProcessingContext) -> None:
        consumed = context.consumed
        if consumed is None:
            return  # source records have no original bytes: Kafka's DLQ is for sink connectors
        headers = list(consumed.headers)
        if self.context_headers:
            headers += [(k, v.encode()) for k, v in self._context_headers(context).items()]
        errors: list[BaseException] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                errors.append(ConnectException(f"Could not produce message to dead letter queue. topic={self.topic}: {err}"))

        with self._lock:
            self.producer.produce(
                self.topic, consumed.value, consumed.key, on_delivery=delivered, timestamp=consumed.timestamp or 0, headers=headers or None
            )
            self.producer.flush(30)
        if errors:
            log.error("%s", errors[0])

    def _context_headers(self, context: ProcessingContext) -> dict[str, str]:
        consumed = context.consumed
        assert consumed is not None
        error = context.error
        out = {
            ERROR_HEADER_ORIG_TOPIC: consumed.topic,
            ERROR_HEADER_ORIG_PARTITION: str(consumed.partition),
            ERROR_HEADER_ORIG_OFFSET: str(consumed.offset),
            ERROR_HEADER_CONNECTOR_NAME: context.connector,
            ERROR_HEADER_TASK_ID: str(context.task_id),
            ERROR_HEADER_STAGE: context.stage.value,
            ERROR_HEADER_EXECUTING_CLASS: context.executing_class,
            ERROR_HEADER_EXCEPTION: _class_name(error),
        }
        if str(error):
            out[ERROR_HEADER_EXCEPTION_MESSAGE] = str(error)
        out[ERROR_HEADER_EXCEPTION_STACK_TRACE] = "".join(traceback.format_exception(error))
        return out

    def close(self) -> None:
        self.producer.flush(30)
        self.producer.close()


class RetryWithToleranceOperator:
    """Runs one stage of one record with retries and tolerance (Java's RetryWithToleranceOperator)."""

    def __init__(
        self,
        connector: str,
        task_id: int,
        retry_timeout_ms: int = 0,
        retry_delay_max_ms: int = 60000,
        tolerance: ToleranceType = ToleranceType.NONE,
        reporters: list[ErrorReporter] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        self.retry_timeout_ms = retry_timeout_ms
        self.retry_delay_max_ms = retry_delay_max_ms
        self.tolerance = tolerance
        self.reporters = reporters or []
        self.sleep = sleep
        self.clock = clock
        self.stopping = threading.Event()
        self.total_failures = 0
        self.total_skipped = 0

    @staticmethod
    def from_config(connector: str, task_id: int, config: Mapping[str, str], reporters: list[ErrorReporter]) -> RetryWithToleranceOperator:
        tolerance = config.get("errors.tolerance", "none").strip().lower()
        return RetryWithToleranceOperator(
            connector,
            task_id,
            int(config.get("errors.retry.timeout", "0")),
            int(config.get("errors.retry.delay.max.ms", "60000")),
            ToleranceType(tolerance) if tolerance in ("none", "all") else ToleranceType.NONE,
            reporters,
        )

    def execute(
        self,
        operation: Callable[[], T],
        stage: Stage,
        executing_class: Any,
        consumed: ConsumedRecord | None = None,
        source_record: Any = None,
    ) -> T | None:
        """The operation's result, or None when it failed and errors.tolerance=all skipped the record.
        Raises ConnectException("Tolerance exceeded in error handler") when it may not be skipped."""
        deadline = None if self.retry_timeout_ms < 0 else self.clock() + self.retry_timeout_ms / 1000
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation()
            except RetriableException as exc:
                if stage in TOLERABLE_STAGES and self._retry(attempt, deadline):
                    retry_log.debug("Retrying %s (attempt %d): %s", stage.value, attempt, exc)
                    continue
                self._failed(exc, stage, executing_class, consumed, source_record, attempt)
                return None
            except Exception as exc:
                self._failed(exc, stage, executing_class, consumed, source_record, attempt)
                return None

    def _retry(self, attempt: int, deadline: float | None) -> bool:
        """Backs off before the next attempt; False when the retry time is used up."""
        now = self.clock()
        if deadline is not None and now >= deadline:
            return False
        delay_ms = min(RETRIES_DELAY_MIN_MS * (2 ** (attempt - 1)), self.retry_delay_max_ms)
        if deadline is not None:
            delay_ms = min(delay_ms, max(0.0, (deadline - now) * 1000))
        if self.stopping.wait(delay_ms / 1000) if self.sleep is time.sleep else (self.sleep(delay_ms / 1000) or False):
            return False  # the task is stopping
        return True

    def _failed(
        self, exc: BaseException, stage: Stage, executing_class: Any, consumed: ConsumedRecord | None, source_record: Any, attempts: int
    ) -> None:
        self.total_failures += 1
        if stage not in TOLERABLE_STAGES:
            raise exc
        context = ProcessingContext(
            self.connector, self.task_id, stage, _class_name(executing_class), exc, consumed, source_record, attempts
        )
        for reporter in self.reporters:
            try:
                reporter.report(context)
            except Exception as report_error:
                log.error("Error reporter %s failed: %s", type(reporter).__name__, report_error)
        if self.tolerance is ToleranceType.NONE:
            raise ConnectException("Tolerance exceeded in error handler") from exc
        self.total_skipped += 1

    def close(self) -> None:
        self.stopping.set()
        for reporter in self.reporters:
            reporter.close()
