"""The nodes of a built task topology: sources deserialize, processors run user logic, sinks hand records to the
record collector. Fresh instances per task, made by ``InternalTopologyBuilder.build``.

The runtime's context implements :class:`InternalProcessorContext`: it forwards a record to a node's children
(making the child the current node while it runs) and gives sinks the task's record collector.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from strom.client.types import Headers
from strom.streams.config import instantiate
from strom.streams.errors import (
    ErrorHandlerContext,
    FailedProcessingException,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
    ProcessingHandlerResponse,
    StreamsException,
    TaskCorruptedException,
    TaskMigratedException,
)
from strom.streams.processor.api import (
    FixedKeyProcessor,
    FixedKeyProcessorContext,
    FixedKeyRecord,
    Processor,
    ProcessorContext,
    Record,
    RecordContext,
    StreamPartitioner,
    TopicNameExtractor,
)
from strom.streams.serdes import Deserializer, Serializer
from strom.streams.state.api import StoreBuilder
from strom.streams.timestamps import TimestampExtractor

_log = logging.getLogger("org.apache.kafka.streams.processor.internals.ProcessorNode")

PROCESSING_EXCEPTION_HANDLER_CONFIG = "processing.exception.handler"


def processing_exception_handler(app_configs: dict[str, Any]) -> ProcessingExceptionHandler:
    """The configured handler (an instance, a class, or a class name), configured with the app's configs."""
    value = app_configs.get(PROCESSING_EXCEPTION_HANDLER_CONFIG)
    if value is None:
        return LogAndFailProcessingExceptionHandler()
    if isinstance(value, str):
        value = instantiate(value)
    elif isinstance(value, type):
        value = value()
    if not isinstance(value, ProcessingExceptionHandler):
        raise StreamsException(f"{PROCESSING_EXCEPTION_HANDLER_CONFIG} must be a ProcessingExceptionHandler, not {value!r}")
    value.configure(app_configs)
    return value


class RecordCollector(Protocol):
    """Sends sink records (and changelog records) through the task's producer; implemented by the runtime."""

    def send(
        self,
        topic: str,
        key: Any,
        value: Any,
        headers: Headers | None,
        timestamp: int,
        key_serializer: Serializer[Any],
        value_serializer: Serializer[Any],
        processor_node_id: str,
        context: InternalProcessorContext,
        partitioner: StreamPartitioner[Any, Any] | None,
    ) -> None: ...


class InternalProcessorContext(ProcessorContext, FixedKeyProcessorContext):
    """The runtime's processor context as the nodes need it (one class serves processors and fixed-key processors)."""

    @abc.abstractmethod
    def forward(self, record: Record[Any, Any], child_name: str | None = None) -> None: ...

    @abc.abstractmethod
    def record_collector(self) -> RecordCollector: ...


class ProcessorNode:
    """A processor (or fixed-key processor) with its children and the names of the stores it may use."""

    __slots__ = (
        "name",
        "processor",
        "fixed_key_processor",
        "state_store_names",
        "children",
        "_children_by_name",
        "_context",
        "_exception_handler",
    )

    def __init__(
        self,
        name: str,
        processor: Processor[Any, Any, Any, Any] | FixedKeyProcessor[Any, Any, Any] | None = None,
        state_store_names: set[str] | None = None,
    ) -> None:
        self.name = name
        self.processor: Processor[Any, Any, Any, Any] | None = None
        self.fixed_key_processor: FixedKeyProcessor[Any, Any, Any] | None = None
        if isinstance(processor, FixedKeyProcessor):
            self.fixed_key_processor = processor
        else:
            self.processor = processor
        self.state_store_names: set[str] = set() if state_store_names is None else set(state_store_names)
        self.children: list[ProcessorNode] = []
        self._children_by_name: dict[str, ProcessorNode] = {}
        self._context: InternalProcessorContext | None = None
        self._exception_handler: ProcessingExceptionHandler | None = None

    def add_child(self, child: ProcessorNode) -> None:
        self.children.append(child)
        self._children_by_name[child.name] = child

    def child(self, name: str) -> ProcessorNode | None:
        return self._children_by_name.get(name)

    def init(self, context: InternalProcessorContext) -> None:
        """Initializes the user's processor; the runtime makes this node the current one first."""
        self._context = context
        self._exception_handler = processing_exception_handler(context.app_configs())
        try:
            if self.processor is not None:
                self.processor.init(context)
            elif self.fixed_key_processor is not None:
                self.fixed_key_processor.init(context)
        except StreamsException:
            raise
        except Exception as e:
            raise StreamsException(f"failed to initialize processor {self.name}", e) from e

    def process(self, record: Record[Any, Any]) -> None:
        """Runs the processor; what it throws goes to ``processing.exception.handler`` (KIP-1033): FAIL stops the
        task with FailedProcessingException, CONTINUE drops the record at this node."""
        try:
            if self.processor is not None:
                self.processor.process(record)
            elif self.fixed_key_processor is not None:
                if not isinstance(record, FixedKeyRecord):
                    record = FixedKeyRecord(record.key, record.value, record.timestamp, record.headers)
                self.fixed_key_processor.process(record)
        except (FailedProcessingException, TaskCorruptedException, TaskMigratedException):
            raise
        except Exception as exc:
            self._handle_processing_exception(record, exc)

    def _handle_processing_exception(self, record: Record[Any, Any], exc: Exception) -> None:
        context = self._context
        handler = self._exception_handler
        if context is None or handler is None:
            raise FailedProcessingException(self.name, exc) from exc
        meta = context.record_metadata()
        error_context = ErrorHandlerContext(
            None if meta is None else meta.topic,
            -1 if meta is None else meta.partition,
            -1 if meta is None else meta.offset,
            record.headers,
            self.name,
            context.task_id,
            record.timestamp,
        )
        try:
            response = handler.handle(error_context, record, exc)
        except Exception as fatal:
            raise FailedProcessingException(
                self.name, StreamsException("Fatal user code error in processing error callback", fatal)
            ) from fatal
        if response is not ProcessingHandlerResponse.CONTINUE:
            _log.error(
                "Processing exception handler is set to fail upon a processing error. If you would rather have the streaming "
                "pipeline continue after a processing error, please set the processing.exception.handler appropriately."
            )
            raise FailedProcessingException(self.name, exc) from exc

    def close(self) -> None:
        try:
            if self.processor is not None:
                self.processor.close()
            elif self.fixed_key_processor is not None:
                self.fixed_key_processor.close()
        except StreamsException:
            raise
        except Exception as e:
            raise StreamsException(f"failed to close processor {self.name}", e) from e

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class SourceNode(ProcessorNode):
    """Deserializes consumed records (the context's default serdes when none was given) and forwards them."""

    __slots__ = ("topics", "timestamp_extractor", "key_deserializer", "value_deserializer")

    def __init__(
        self,
        name: str,
        topics: list[str],
        timestamp_extractor: TimestampExtractor | None = None,
        key_deserializer: Deserializer[Any] | None = None,
        value_deserializer: Deserializer[Any] | None = None,
    ) -> None:
        super().__init__(name)
        self.topics = topics
        self.timestamp_extractor = timestamp_extractor
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer

    def init(self, context: InternalProcessorContext) -> None:
        self._context = context
        if self.key_deserializer is None:
            self.key_deserializer = context.key_serde.deserializer()
        if self.value_deserializer is None:
            self.value_deserializer = context.value_serde.deserializer()

    def deserialize_key(self, topic: str, headers: Headers | None, data: bytes | None) -> Any:
        assert self.key_deserializer is not None, "SourceNode.init not called"
        return self.key_deserializer.deserialize(topic, data, headers)

    def deserialize_value(self, topic: str, headers: Headers | None, data: bytes | None) -> Any:
        assert self.value_deserializer is not None, "SourceNode.init not called"
        return self.value_deserializer.deserialize(topic, data, headers)

    def process(self, record: Record[Any, Any]) -> None:
        assert self._context is not None, "SourceNode.init not called"
        self._context.forward(record)

    def close(self) -> None:
        pass


class SinkNode(ProcessorNode):
    """Serializes records and sends them to a topic (fixed, or picked per record by a TopicNameExtractor)."""

    __slots__ = ("topic", "topic_extractor", "key_serializer", "value_serializer", "partitioner", "_collector")

    def __init__(
        self,
        name: str,
        topic: str | TopicNameExtractor[Any, Any] | Callable[[Any, Any, RecordContext], str],
        key_serializer: Serializer[Any] | None = None,
        value_serializer: Serializer[Any] | None = None,
        partitioner: StreamPartitioner[Any, Any] | None = None,
    ) -> None:
        super().__init__(name)
        self.topic: str | None = topic if isinstance(topic, str) else None
        self.topic_extractor = None if isinstance(topic, str) else topic
        self.key_serializer = key_serializer
        self.value_serializer = value_serializer
        self.partitioner = partitioner
        self._collector: RecordCollector | None = None

    def add_child(self, child: ProcessorNode) -> None:
        raise StreamsException("sink node does not allow addChild")

    def init(self, context: InternalProcessorContext) -> None:
        self._context = context
        self._collector = context.record_collector()
        if self.key_serializer is None:
            self.key_serializer = context.key_serde.serializer()
        if self.value_serializer is None:
            self.value_serializer = context.value_serde.serializer()

    def process(self, record: Record[Any, Any]) -> None:
        context = self._context
        collector = self._collector
        assert context is not None and collector is not None, "SinkNode.init not called"
        assert self.key_serializer is not None and self.value_serializer is not None
        topic = self.topic
        if topic is None:
            meta = context.record_metadata()
            rc = RecordContext(
                None if meta is None else meta.topic,
                -1 if meta is None else meta.partition,
                -1 if meta is None else meta.offset,
                record.timestamp,
                record.headers,
            )
            extractor = self.topic_extractor
            if isinstance(extractor, TopicNameExtractor):
                topic = extractor.extract(record.key, record.value, rc)
            else:
                assert extractor is not None
                topic = extractor(record.key, record.value, rc)
        collector.send(
            topic,
            record.key,
            record.value,
            record.headers,
            record.timestamp,
            self.key_serializer,
            self.value_serializer,
            self.name,
            context,
            self.partitioner,
        )

    def close(self) -> None:
        pass


@dataclass
class ProcessorTopology:
    """One task's nodes (topological order), its sources and sinks by topic, and its stores' builders."""

    processors: list[ProcessorNode]
    sources_by_topic: dict[str, SourceNode]
    sinks_by_topic: dict[str, SinkNode]
    store_builders: dict[str, StoreBuilder[Any]]
    global_store_names: set[str] = field(default_factory=set)
    store_to_changelog_topic: dict[str, str] = field(default_factory=dict)
    repartition_topics: set[str] = field(default_factory=set)

    def source(self, topic: str) -> SourceNode | None:
        return self.sources_by_topic.get(topic)

    def source_topics(self) -> set[str]:
        return set(self.sources_by_topic)

    def sources(self) -> list[SourceNode]:
        return [n for n in self.processors if isinstance(n, SourceNode)]

    def sinks(self) -> list[SinkNode]:
        return [n for n in self.processors if isinstance(n, SinkNode)]

    def has_state(self) -> bool:
        return bool(self.store_builders)

    def is_repartition_topic(self, topic: str) -> bool:
        return topic in self.repartition_topics
