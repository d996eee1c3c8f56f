"""Kafka Streams' exceptions and the handlers that decide what a bad record does (skip it or stop the thread).

Names and messages follow org.apache.kafka.streams.errors, so an operator who knows Kafka Streams reads the same
texts in Strom's logs. The handlers are configured by class (``default.deserialization.exception.handler``, ...).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from strom.client.types import Headers, Message

if TYPE_CHECKING:
    from strom.streams.processor.task_id import TaskId


class StreamsException(Exception):
    """The root of Kafka Streams' exceptions; ``task_id`` names the task where it happened, when known."""

    def __init__(self, message: str = "", cause: BaseException | None = None, task_id: TaskId | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return self.message


class TopologyException(StreamsException):
    """A topology that cannot run: the message starts with "Invalid topology" as Java's does."""

    def __init__(self, message: str | None = None, cause: BaseException | None = None) -> None:
        super().__init__("Invalid topology" + ("" if message is None else ": " + message), cause)


class ProcessorStateException(StreamsException):
    """A state store failed (open, read, write, flush, restore)."""


class TaskMigratedException(StreamsException):
    """This thread lost its tasks (fenced producer, left the group): they must be closed dirty and rejoined."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message + "; it means all tasks belonging to this thread should be migrated.", cause)


class FailedProcessingException(StreamsException):
    """A processor threw and the processing exception handler said FAIL; carries the node's name, the cause is the
    processor's exception (parents let it through instead of handling it again)."""

    def __init__(self, failed_processor_node_name: str, cause: BaseException) -> None:
        super().__init__(f"Exception caught during processing in processor {failed_processor_node_name}: {cause}", cause)
        self.failed_processor_node_name = failed_processor_node_name


class TaskCorruptedException(StreamsException):
    """A task's state is unusable (for example after an unclean stop under exactly-once) and must be wiped and restored."""


class LockException(StreamsException):
    """A task directory is locked by another thread or process."""


class MissingSourceTopicException(StreamsException):
    """A source topic of the topology does not exist on the cluster."""


class InvalidStateStoreException(StreamsException):
    """A store cannot be queried (closed, migrating, not yet restored)."""


class StreamsNotStartedException(InvalidStateStoreException):
    """An interactive query before ``KafkaStreams.start()``."""


class UnknownStateStoreException(InvalidStateStoreException):
    """An interactive query names a store that the topology lacks."""


class StateStoreMigratedException(InvalidStateStoreException):
    """The store moved to another instance during a rebalance; find it again."""


class StateStoreNotAvailableException(InvalidStateStoreException):
    """The application is not running (pending shutdown, error, not running)."""


class SerializationException(StreamsException):
    """A serializer or deserializer could not convert a value (Kafka's common SerializationException)."""


@dataclass(frozen=True, slots=True)
class ErrorHandlerContext:
    """Where the failing record was: its source position and the processor that saw it (KIP-1033)."""

    topic: str | None
    partition: int
    offset: int
    headers: Headers | None
    processor_node_id: str | None
    task_id: TaskId
    timestamp: int


@dataclass(frozen=True, slots=True)
class ProducerRecordView:
    """A record on its way to a sink or changelog topic (what the production exception handler is shown)."""

    topic: str
    partition: int | None
    key: Any
    value: Any
    timestamp: int | None
    headers: Headers | None = None


class DeserializationHandlerResponse(Enum):
    CONTINUE = 0
    FAIL = 1


class ProductionExceptionHandlerResponse(Enum):
    CONTINUE = 0
    FAIL = 1
    RETRY = 2


class ProcessingHandlerResponse(Enum):
    CONTINUE = 0
    FAIL = 1


class SerializationExceptionOrigin(Enum):
    KEY = 0
    VALUE = 1


class StreamThreadExceptionResponse(Enum):
    """What the uncaught-exception handler asks for after a stream thread died."""

    REPLACE_THREAD = 0
    SHUTDOWN_CLIENT = 1
    SHUTDOWN_APPLICATION = 2


class _Configurable:
    def configure(self, configs: dict[str, Any]) -> None:
        """Receives the application's configs once, as Kafka's Configurable."""


class DeserializationExceptionHandler(_Configurable):
    """Decides whether a record whose key or value does not deserialize is skipped or stops the thread."""

    CONTINUE = DeserializationHandlerResponse.CONTINUE
    FAIL = DeserializationHandlerResponse.FAIL

    def handle(self, context: ErrorHandlerContext, record: Message, exception: BaseException) -> DeserializationHandlerResponse:
        raise NotImplementedError


_DESER_LOG = "org.apache.kafka.streams.errors.{}"


class LogAndContinueExceptionHandler(DeserializationExceptionHandler):
    """Logs the bad record's position and skips it (counted in the skipped-records metric)."""

    _log = logging.getLogger(_DESER_LOG.format("LogAndContinueExceptionHandler"))

    def handle(self, context: ErrorHandlerContext, record: Message, exception: BaseException) -> DeserializationHandlerResponse:
        self._log.warning(
            "Exception caught during Deserialization, taskId: %s, topic: %s, partition: %s, offset: %s",
            context.task_id,
            record.topic(),
            record.partition(),
            record.offset(),
            exc_info=exception,
        )
        return DeserializationHandlerResponse.CONTINUE


class LogAndFailExceptionHandler(DeserializationExceptionHandler):
    """Logs the bad record's position and stops the thread (the default)."""

    _log = logging.getLogger(_DESER_LOG.format("LogAndFailExceptionHandler"))

    def handle(self, context: ErrorHandlerContext, record: Message, exception: BaseException) -> DeserializationHandlerResponse:
        self._log.error(
            "Exception caught during Deserialization, taskId: %s, topic: %s, partition: %s, offset: %s",
            context.task_id,
            record.topic(),
            record.partition(),
            record.offset(),
            exc_info=exception,
        )
        return DeserializationHandlerResponse.FAIL


class ProductionExceptionHandler(_Configurable):
    """Decides whether a record the producer could not send (or serialize) is dropped, retried or fatal."""

    CONTINUE = ProductionExceptionHandlerResponse.CONTINUE
    FAIL = ProductionExceptionHandlerResponse.FAIL
    RETRY = ProductionExceptionHandlerResponse.RETRY

    def handle(
        self, context: ErrorHandlerContext, record: ProducerRecordView, exception: BaseException
    ) -> ProductionExceptionHandlerResponse:
        raise NotImplementedError

    def handle_serialization_exception(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecordView,
        exception: BaseException,
        origin: SerializationExceptionOrigin,
    ) -> ProductionExceptionHandlerResponse:
        return ProductionExceptionHandlerResponse.FAIL


class DefaultProductionExceptionHandler(ProductionExceptionHandler):
    """Retries what the client calls retriable, fails on everything else (Java's default)."""

    def handle(
        self, context: ErrorHandlerContext, record: ProducerRecordView, exception: BaseException
    ) -> ProductionExceptionHandlerResponse:
        retriable = getattr(exception, "retriable", None)
        if callable(retriable):
            retriable = retriable()
        return ProductionExceptionHandlerResponse.RETRY if retriable else ProductionExceptionHandlerResponse.FAIL


class ProcessingExceptionHandler(_Configurable):
    """Decides whether an exception thrown by a processor skips the record or stops the thread (KIP-1033)."""

    CONTINUE = ProcessingHandlerResponse.CONTINUE
    FAIL = ProcessingHandlerResponse.FAIL

    def handle(self, context: ErrorHandlerContext, record: Any, exception: BaseException) -> ProcessingHandlerResponse:
        raise NotImplementedError


class LogAndFailProcessingExceptionHandler(ProcessingExceptionHandler):
    _log = logging.getLogger(_DESER_LOG.format("LogAndFailProcessingExceptionHandler"))

    def handle(self, context: ErrorHandlerContext, record: Any, exception: BaseException) -> ProcessingHandlerResponse:
        self._log.error(
            "Exception caught during message processing, processor node: %s, taskId: %s, source topic: %s, "
            "source partition: %s, source offset: %s",
            context.processor_node_id,
            context.task_id,
            context.topic,
            context.partition,
            context.offset,
            exc_info=exception,
        )
        return ProcessingHandlerResponse.FAIL


class LogAndContinueProcessingExceptionHandler(ProcessingExceptionHandler):
    _log = logging.getLogger(_DESER_LOG.format("LogAndContinueProcessingExceptionHandler"))

    def handle(self, context: ErrorHandlerContext, record: Any, exception: BaseException) -> ProcessingHandlerResponse:
        self._log.warning(
            "Exception caught during message processing, processor node: %s, taskId: %s, source topic: %s, "
            "source partition: %s, source offset: %s",
            context.processor_node_id,
            context.task_id,
            context.topic,
            context.partition,
            context.offset,
            exc_info=exception,
        )
        return ProcessingHandlerResponse.CONTINUE


class StreamsUncaughtExceptionHandler:
    """Chooses what happens after an exception killed a stream thread (``set_uncaught_exception_handler``)."""

    def handle(self, exception: BaseException) -> StreamThreadExceptionResponse:
        raise NotImplementedError
