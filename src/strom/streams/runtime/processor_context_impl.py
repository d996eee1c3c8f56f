"""ProcessorContextImpl: what processors, nodes and stores see of their task.

One per task. It is the processors' ProcessorContext (forward to children, schedule, commit, stores), the nodes'
InternalProcessorContext (the record collector, the current node) and the stores' StateStoreContext (register
for restore, log changes to the changelog partition, the record being processed, the thread's cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strom.streams.errors import StreamsException
from strom.streams.processor.api import Cancellable, PunctuationType, Record, RecordMetadata, TaskId
from strom.streams.processor.nodes import InternalProcessorContext, ProcessorNode
from strom.streams.processor.punctuation import PunctuationQueue, new_schedule
from strom.streams.state.api import ProcessorRecordContext, RestoreCallback, StateStore, StateStoreContext

if TYPE_CHECKING:
    from strom.streams.runtime.record_collector import RecordCollectorImpl
    from strom.streams.state.internals.thread_cache import ThreadCache


class ProcessorContextImpl(InternalProcessorContext, StateStoreContext):
    def __init__(
        self,
        task_id: TaskId,
        application_id: str,
        configs: dict[str, Any],
        state_dir: Path,
        key_serde: Any,
        value_serde: Any,
        collector: RecordCollectorImpl,
        cache: ThreadCache | None,
        register: Callable[[StateStore, RestoreCallback], None],
        changelog_partition: Callable[[str], tuple[str, int] | None],
        stream_time: Callable[[], int],
    ) -> None:
        self._task_id = task_id
        self._application_id = application_id
        self._configs = configs
        self._state_dir = state_dir
        self._key_serde = key_serde
        self._value_serde = value_serde
        self._collector = collector
        self._cache = cache
        self._register = register
        self._changelog_partition = changelog_partition
        self._changelog_targets: dict[str, tuple[str, int] | None] = {}  # a task's changelog partitions do not change
        self._stream_time = stream_time
        self.stores: dict[str, StateStore] = {}
        self.global_stores: dict[str, StateStore] = {}
        self.stream_time_punctuations = PunctuationQueue()
        self.wall_clock_punctuations = PunctuationQueue()
        self.current: ProcessorNode | None = None
        self._record_context: ProcessorRecordContext | None = None
        # the record being forwarded, when its context (its timestamp and headers over the input record's topic,
        # partition and offset) was not built yet: most forwards reach nodes that never ask for it (sinks, stateless
        # processors), so record_context() builds it on first use
        self._forwarded: Record[Any, Any] | None = None
        self.commit_requested = False

    # -- identity and configs --------------------------------------------------------------------------
    @property
    def application_id(self) -> str:
        return self._application_id

    @property
    def task_id(self) -> TaskId:
        return self._task_id

    @property
    def state_dir(self) -> Path:
        return self._state_dir

    @property
    def key_serde(self) -> Any:
        if self._key_serde is None:
            raise StreamsException(
                "Failed to initialize key serdes: no serde given and default.key.serde is not set "
                "(use Consumed/Produced/Materialized with serdes)"
            )
        return self._key_serde

    @property
    def value_serde(self) -> Any:
        if self._value_serde is None:
            raise StreamsException(
                "Failed to initialize value serdes: no serde given and default.value.serde is not set "
                "(use Consumed/Produced/Materialized with serdes)"
            )
        return self._value_serde

    def app_configs(self) -> dict[str, Any]:
        return dict(self._configs)

    # -- the record being processed ---------------------------------------------------------------------
    def set_record_context(self, ctx: ProcessorRecordContext | None) -> None:
        self._record_context = ctx
        self._forwarded = None

    def record_context(self) -> ProcessorRecordContext | None:
        rc = self._record_context
        record = self._forwarded
        if record is not None:
            if rc is None or rc.timestamp != record.timestamp or rc.headers is not record.headers:
                rc = self._record_context = ProcessorRecordContext(
                    record.timestamp,
                    -1 if rc is None else rc.offset,
                    -1 if rc is None else rc.partition,
                    None if rc is None else rc.topic,
                    record.headers,
                )
            self._forwarded = None
        return rc

    def begin_record(self, source: ProcessorNode, rc: ProcessorRecordContext) -> None:
        """A consumed record enters the topology at `source` (set_record_context and set_current_node in one call)."""
        self._record_context = rc
        self._forwarded = None
        self.current = source

    def end_record(self) -> None:
        self._record_context = None
        self._forwarded = None
        self.current = None

    def record_metadata(self) -> RecordMetadata | None:
        rc = self._record_context
        if rc is None or rc.topic is None:
            return None
        return RecordMetadata(rc.topic, rc.partition, rc.offset)

    def current_node(self) -> ProcessorNode | None:
        return self.current

    def set_current_node(self, node: ProcessorNode | None) -> None:
        self.current = node

    # -- forwarding ------------------------------------------------------------------------------------
    def forward(self, record: Record[Any, Any], child_name: str | None = None) -> None:
        node = self.current
        if node is None:
            raise StreamsException("forward() called outside of processing: no current node")
        previous = self._record_context
        pending = self._forwarded
        self._forwarded = record  # the children see this record's context (record_context() builds it)
        try:
            if child_name is None:
                for child in node.children:
                    self.current = child
                    child.process(record)
            else:
                named = node.child(child_name)
                if named is None:
                    raise StreamsException(
                        f"Unknown downstream node: {child_name} either does not exist or is not connected to this processor."
                    )
                self.current = named
                named.process(record)
        finally:
            self.current = node
            self._record_context = previous
            self._forwarded = pending

    def record_collector(self) -> Any:
        return self._collector

    # -- stores ----------------------------------------------------------------------------------------
    def get_state_store(self, name: str) -> Any:
        store = self.stores.get(name)
        if store is not None:
            node = self.current
            if node is not None and node.state_store_names and name not in node.state_store_names:
                raise StreamsException(
                    f"Processor {node.name} has no access to StateStore {name} as the store is not connected to the processor. "
                    "Connect the store with Topology.add_state_store or connect_processor_and_state_stores."
                )
            return store
        store = self.global_stores.get(name)
        if store is not None:
            return store
        raise StreamsException(f"Processor {self.current.name if self.current else None} has no access to StateStore {name}")

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        self._register(store, restore_callback)

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int, headers: Any = None) -> None:
        try:
            target = self._changelog_targets[store_name]
        except KeyError:
            target = self._changelog_targets[store_name] = self._changelog_partition(store_name)
        if target is None:
            return
        self._collector.send_bytes(target[0], key, value, headers, timestamp, target[1])

    def cache(self) -> ThreadCache | None:
        return self._cache

    # -- time, punctuation, commit ---------------------------------------------------------------------
    def schedule(self, interval_ms: int, punctuation_type: PunctuationType, punctuator: Callable[[int], None]) -> Cancellable:
        schedule = new_schedule(self.current, punctuation_type, interval_ms, punctuator, self.current_system_time_ms())
        if punctuation_type is PunctuationType.STREAM_TIME:
            return self.stream_time_punctuations.schedule(schedule)
        return self.wall_clock_punctuations.schedule(schedule)

    def has_punctuations(self) -> bool:
        return bool(self.stream_time_punctuations) or bool(self.wall_clock_punctuations)

    def commit(self) -> None:
        self.commit_requested = True

    def current_stream_time_ms(self) -> int:
        return self._stream_time()

    def current_system_time_ms(self) -> int:
        return time.time_ns() // 1_000_000
