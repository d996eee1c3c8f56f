"""TopologyTestDriver (Java's kafka-streams-test-utils): runs a Topology in this process without a broker.
Records piped into input topics are processed one at a time, each followed by a commit (caches flushed, as
Java's driver does); what sinks write lands in output topics to read back, and records written to a topic the
topology also reads (repartition topics) are processed in turn. One task per sub-topology (partition 0)."""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from strom.streams.config import StreamsConfig
from strom.streams.errors import StreamsException
from strom.streams.processor.api import Cancellable, PunctuationType, Record, RecordMetadata, TaskId
from strom.streams.processor.nodes import InternalProcessorContext, ProcessorNode, ProcessorTopology, SourceNode
from strom.streams.processor.punctuation import PunctuationQueue, new_schedule
from strom.streams.serdes import Deserializer, Serializer
from strom.streams.state.api import ProcessorRecordContext, StateStore, StateStoreContext
from strom.streams.state.internals.thread_cache import ThreadCache
from strom.streams.topology import Topology


@dataclass
class TestRecord:
    """A record read from (or piped into) a test topic."""

    key: Any
    value: Any
    timestamp: int = 0
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)

    __test__ = False  # not a pytest test class


@dataclass
class _Produced:
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: list[tuple[str, bytes | None]]


class _Task(InternalProcessorContext, StateStoreContext):
    """One task: its nodes, stores and the context they run in."""

    def __init__(
        self, driver: TopologyTestDriver, task_id: TaskId, topology: ProcessorTopology, global_stores: dict[str, StateStore]
    ) -> None:
        self.driver = driver
        self._task_id = task_id
        self.topology = topology
        self.stores: dict[str, StateStore] = {}
        self.global_stores = global_stores
        self.current: ProcessorNode | None = None
        self._record_context: ProcessorRecordContext | None = None
        self.stream_time = -1
        self.stream_time_punctuations = PunctuationQueue()
        self.wall_clock_punctuations = PunctuationQueue()
        self.commit_requested = False
        self._dir = driver.state_dir / str(task_id)
        self._dir.mkdir(parents=True, exist_ok=True)

    def init(self) -> None:
        for name, builder in self.topology.store_builders.items():
            store = builder.build()
            store.init(self, store)
            if name in self.topology.global_store_names:
                self.global_stores[name] = store
            else:
                self.stores[name] = store
        for node in self.topology.processors:
            self.current = node
            node.init(self)
        self.current = None

    # --- ProcessorContext ---------------------------------------------------------------------------------------

    @property
    def application_id(self) -> str:
        return self.driver.application_id

    @property
    def task_id(self) -> TaskId:
        return self._task_id

    @property
    def state_dir(self) -> Path:
        return self._dir

    @property
    def key_serde(self) -> Any:
        return self.driver.config.default_key_serde()

    @property
    def value_serde(self) -> Any:
        return self.driver.config.default_value_serde()

    def app_configs(self) -> dict[str, Any]:
        return {**self.driver.config.originals(), **self.driver.config.values()}

    def record_metadata(self) -> RecordMetadata | None:
        rc = self._record_context
        if rc is None or rc.topic is None:
            return None
        return RecordMetadata(rc.topic, rc.partition, rc.offset)

    def record_context(self) -> ProcessorRecordContext | None:
        return self._record_context

    def set_record_context(self, rc: ProcessorRecordContext | None) -> None:
        self._record_context = rc

    def current_node(self) -> ProcessorNode | None:
        return self.current

    def set_current_node(self, node: ProcessorNode | None) -> None:
        self.current = node

    def get_state_store(self, name: str) -> Any:
        store = self.stores.get(name) or self.global_stores.get(name)
        if store is None:
            raise StreamsException(f"Processor {None if self.current is None else self.current.name} has no access to StateStore {name}")
        return store

    def schedule(self, interval_ms: int, punctuation_type: PunctuationType, punctuator: Callable[[int], None]) -> Cancellable:
        schedule = new_schedule(self.current, punctuation_type, interval_ms, punctuator, self.driver.wall_clock_ms)
        if punctuation_type is PunctuationType.STREAM_TIME:
            return self.stream_time_punctuations.schedule(schedule)
        return self.wall_clock_punctuations.schedule(schedule)

    def commit(self) -> None:
        self.commit_requested = True

    def current_stream_time_ms(self) -> int:
        return self.stream_time

    def current_system_time_ms(self) -> int:
        return self.driver.wall_clock_ms

    def forward(self, record: Record[Any, Any], child_name: str | None = None) -> None:
        node = self.current
        if node is None:
            raise StreamsException("forward() called outside of a processor")
        if child_name is not None:
            child = node.child(child_name)
            if child is None:
                raise StreamsException(
                    f"Unknown downstream node: {child_name} either does not exist or is not connected to this processor."
                )
            children = [child]
        else:
            children = node.children
        rc = self._record_context
        if rc is not None:
            self._record_context = ProcessorRecordContext(record.timestamp, rc.offset, rc.partition, rc.topic, record.headers)
        try:
            for child in children:
                self.current = child
                child.process(record)
        finally:
            self.current = node
            self._record_context = rc

    def record_collector(self) -> Any:
        return self.driver

    # --- StateStoreContext --------------------------------------------------------------------------------------

    def register(self, store: StateStore, restore_callback: Any) -> None:
        pass

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int, headers: Any = None) -> None:
        self.driver.changelogs.setdefault(store_name, []).append((key, value, timestamp))

    def cache(self) -> ThreadCache | None:
        return self.driver.cache

    # --- running ------------------------------------------------------------------------------------------------

    def process(
        self, source: SourceNode, topic: str, offset: int, key: bytes | None, value: bytes | None, timestamp: int, headers: Any
    ) -> None:
        rc = ProcessorRecordContext(timestamp, offset, 0, topic, list(headers))
        self._record_context = rc
        record = Record(
            source.deserialize_key(topic, headers, key), source.deserialize_value(topic, headers, value), timestamp, list(headers)
        )
        self.stream_time = max(self.stream_time, timestamp)
        self.current = source
        try:
            source.process(record)
        finally:
            self.current = None
            self._record_context = None
        self.punctuate(PunctuationType.STREAM_TIME, self.stream_time)

    def punctuate(self, kind: PunctuationType, now: int) -> None:
        """Runs the punctuators due at ``now`` (stream time once the task has seen a record, or the clock)."""
        if kind is PunctuationType.STREAM_TIME:
            if now >= 0:
                self.stream_time_punctuations.may_punctuate(now, kind, self._run_punctuator)
        else:
            self.wall_clock_punctuations.may_punctuate(now, kind, self._run_punctuator)

    def _run_punctuator(self, node: ProcessorNode | None, now: int, kind: PunctuationType, punctuator: Callable[[int], None]) -> None:
        self.current = node
        self._record_context = ProcessorRecordContext(now, -1, -1, None, [])
        try:
            punctuator(now)
        finally:
            self.current = None
            self._record_context = None

    def flush(self) -> None:
        for store in self.stores.values():
            store.flush()

    def close(self) -> None:
        for node in self.topology.processors:
            node.close()
        for store in self.stores.values():
            store.close()


class TopologyTestDriver:
    def __init__(self, topology: Topology, config: dict[str, Any] | None = None, initial_wall_clock_time_ms: int = 0) -> None:
        props: dict[str, Any] = {"application.id": "topology-test-driver", "bootstrap.servers": "dummy:1234"}
        props.update(config or {})
        self.state_dir = Path(tempfile.mkdtemp(prefix="strom-ttd-"))
        props.setdefault("state.dir", str(self.state_dir))
        self.config = StreamsConfig(props)
        self.application_id = str(self.config.get("application.id"))
        self.wall_clock_ms = initial_wall_clock_time_ms
        self.cache = ThreadCache(int(self.config.get("statestore.cache.max.bytes")))
        self.changelogs: dict[str, list[tuple[bytes, bytes | None, int]]] = {}
        self.outputs: dict[str, deque[_Produced]] = {}
        self._pending: deque[tuple[str, _Produced]] = deque()
        self._offsets: dict[str, int] = {}
        builder = topology.internal_topology_builder
        builder.rewrite_topology(self.application_id, int(self.config.get("statestore.cache.max.bytes")))
        self.global_stores: dict[str, StateStore] = {}
        self.tasks: list[_Task] = []
        self.global_task: _Task | None = None
        global_topology = builder.build_global_state_topology()
        if global_topology is not None:
            self.global_task = _Task(self, TaskId(-1, -1), global_topology, self.global_stores)
            for name, spec in builder.global_stores().items():
                store = spec.store_builder.build()
                store.init(self.global_task, store)
                self.global_stores[name] = store
            self.global_task.init()
        for sid in sorted(builder.subtopologies()):
            task = _Task(self, TaskId(sid, 0), builder.build(sid), self.global_stores)
            self.tasks.append(task)
        for task in self.tasks:
            task.init()
        self._internal_prefix = self.application_id + "-"

    # --- RecordCollector ------------------------------------------------------------------------------------

    def send(
        self,
        topic: str,
        key: Any,
        value: Any,
        headers: Any,
        timestamp: int,
        key_serializer: Serializer[Any],
        value_serializer: Serializer[Any],
        processor_node_id: str,
        context: Any,
        partitioner: Any,
    ) -> None:
        headers = list(headers or [])
        produced = _Produced(
            key_serializer.serialize(topic, key, headers), value_serializer.serialize(topic, value, headers), timestamp, headers
        )
        self.outputs.setdefault(topic, deque()).append(produced)
        if self._source_for(topic) is not None:
            self._pending.append((topic, produced))

    # --- driving ----------------------------------------------------------------------------------------------

    def _source_for(self, topic: str) -> tuple[_Task, SourceNode] | None:
        for task in ([self.global_task] if self.global_task else []) + self.tasks:
            source = task.topology.source(topic)
            if source is not None:
                return task, source
        return None

    def pipe_raw(
        self, topic: str, key: bytes | None, value: bytes | None, timestamp: int, headers: Iterable[tuple[str, bytes | None]] = ()
    ) -> None:
        """Feeds one record of an input topic, then every record it causes on internal topics, committing after each."""
        self._pipe_one(topic, _Produced(key, value, timestamp, list(headers)), required=True)
        while self._pending:
            internal_topic, produced = self._pending.popleft()
            self._pipe_one(internal_topic, produced, required=False)

    def _pipe_one(self, topic: str, produced: _Produced, required: bool) -> None:
        found = self._source_for(topic)
        if found is None:
            if required:
                raise ValueError(f"Unknown topic: {topic}")
            return
        task, source = found
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        task.process(source, topic, offset, produced.key, produced.value, produced.timestamp, produced.headers)
        self._commit()

    def _commit(self) -> None:
        for task in self.tasks:
            task.flush()
        if self.global_task is not None:
            for store in self.global_stores.values():
                store.flush()

    def advance_wall_clock_time(self, advance: int | timedelta) -> None:
        ms = int(advance.total_seconds() * 1000) if isinstance(advance, timedelta) else advance
        self.wall_clock_ms += ms
        for task in self.tasks:
            task.punctuate(PunctuationType.WALL_CLOCK_TIME, self.wall_clock_ms)
        self._commit()
        while self._pending:
            internal_topic, produced = self._pending.popleft()
            self._pipe_one(internal_topic, produced, required=False)

    def create_input_topic(
        self,
        topic: str,
        key_serializer: Serializer[Any],
        value_serializer: Serializer[Any],
        start_timestamp_ms: int = 0,
        auto_advance_ms: int = 0,
    ) -> TestInputTopic:
        return TestInputTopic(self, topic, key_serializer, value_serializer, start_timestamp_ms, auto_advance_ms)

    def create_output_topic(
        self, topic: str, key_deserializer: Deserializer[Any], value_deserializer: Deserializer[Any]
    ) -> TestOutputTopic:
        return TestOutputTopic(self, topic, key_deserializer, value_deserializer)

    def produced_topic_names(self) -> set[str]:
        return set(self.outputs)

    def get_state_store(self, name: str) -> Any:
        for task in self.tasks:
            if name in task.stores:
                return task.stores[name]
        if name in self.global_stores:
            return self.global_stores[name]
        return None

    get_key_value_store = get_state_store
    get_timestamped_key_value_store = get_state_store
    get_window_store = get_state_store
    get_timestamped_window_store = get_state_store
    get_session_store = get_state_store

    def close(self) -> None:
        for task in self.tasks:
            task.close()
        if self.global_task is not None:
            self.global_task.close()
            for store in self.global_stores.values():
                store.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> TopologyTestDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TestInputTopic:
    __test__ = False

    def __init__(
        self,
        driver: TopologyTestDriver,
        topic: str,
        key_serializer: Serializer[Any],
        value_serializer: Serializer[Any],
        start_ms: int,
        advance_ms: int,
    ) -> None:
        self.driver = driver
        self.topic = topic
        self.key_serializer = key_serializer
        self.value_serializer = value_serializer
        self.current_ms = start_ms
        self.advance_ms = advance_ms

    def pipe_input(self, key: Any, value: Any, timestamp: int | None = None, headers: Iterable[tuple[str, bytes | None]] = ()) -> None:
        if timestamp is None:
            timestamp = self.current_ms
            self.current_ms += self.advance_ms
        hs = list(headers)
        self.driver.pipe_raw(
            self.topic,
            self.key_serializer.serialize(self.topic, key, hs),
            self.value_serializer.serialize(self.topic, value, hs),
            timestamp,
            hs,
        )

    def pipe_key_value_list(self, pairs: Iterable[tuple[Any, Any]]) -> None:
        for key, value in pairs:
            self.pipe_input(key, value)

    def pipe_record_list(self, records: Iterable[TestRecord]) -> None:
        for r in records:
            self.pipe_input(r.key, r.value, r.timestamp, r.headers)

    def advance_time(self, advance: int | timedelta) -> None:
        self.current_ms += int(advance.total_seconds() * 1000) if isinstance(advance, timedelta) else advance


class TestOutputTopic:
    __test__ = False

    def __init__(
        self, driver: TopologyTestDriver, topic: str, key_deserializer: Deserializer[Any], value_deserializer: Deserializer[Any]
    ) -> None:
        self.driver = driver
        self.topic = topic
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer

    def _queue(self) -> deque[_Produced]:
        return self.driver.outputs.setdefault(self.topic, deque())

    def read_record(self) -> TestRecord:
        queue = self._queue()
        if not queue:
            raise LookupError("Empty topic: " + self.topic)
        p = queue.popleft()
        return TestRecord(
            self.key_deserializer.deserialize(self.topic, p.key, p.headers),
            self.value_deserializer.deserialize(self.topic, p.value, p.headers),
            p.timestamp,
            p.headers,
        )

    def read_key_value(self) -> tuple[Any, Any]:
        r = self.read_record()
        return r.key, r.value

    def read_value(self) -> Any:
        return self.read_record().value

    def read_records_to_list(self) -> list[TestRecord]:
        out = []
        while self._queue():
            out.append(self.read_record())
        return out

    def read_key_values_to_list(self) -> list[tuple[Any, Any]]:
        return [(r.key, r.value) for r in self.read_records_to_list()]

    def read_key_values_to_map(self) -> dict[Any, Any]:
        return dict(self.read_key_values_to_list())

    def is_empty(self) -> bool:
        return not self._queue()

    def get_queue_size(self) -> int:
        return len(self._queue())
