"""KafkaStreams: runs a Topology with `num.stream.threads` stream threads in the group `application.id`.

States and transitions as Java's KafkaStreams.State: CREATED -> REBALANCING <-> RUNNING -> PENDING_SHUTDOWN ->
NOT_RUNNING, and PENDING_ERROR -> ERROR when the threads die. start() checks the source topics exist and that
co-partitioned topics have equal partition counts, so a broken setup fails at once with the names in the message.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from strom.admin import AdminClient
from strom.client.partitioner import partition_for_key
from strom.streams.config import StreamsConfig, config_of
from strom.streams.errors import (
    InvalidStateStoreException,
    MissingSourceTopicException,
    StreamsException,
    StreamsNotStartedException,
    StreamThreadExceptionResponse,
    TopologyException,
    UnknownStateStoreException,
)
from strom.streams.runtime import partition_assignor as pa
from strom.streams.runtime.global_stream_thread import GlobalStreamThread
from strom.streams.runtime.internal_topics import InternalTopicConfig, InternalTopicManager
from strom.streams.runtime.queryable_stores import QueryableStoreTypes, StoreQueryParameters, composite_store
from strom.streams.runtime.state_directory import StateDirectory
from strom.streams.runtime.stream_thread import ShutdownRequestedException, StreamThread, StreamThreadState

log = logging.getLogger("org.apache.kafka.streams.KafkaStreams")

__all__ = [
    "HostInfo",
    "KafkaStreams",
    "KeyQueryMetadata",
    "QueryableStoreTypes",
    "State",
    "StoreQueryParameters",
    "TaskMetadata",
    "ThreadMetadata",
]


class State(Enum):
    """Java's KafkaStreams.State, with the same allowed transitions."""

    CREATED = 0
    REBALANCING = 1
    RUNNING = 2
    PENDING_SHUTDOWN = 3
    NOT_RUNNING = 4
    PENDING_ERROR = 5
    ERROR = 6

    def is_running_or_rebalancing(self) -> bool:
        return self in (State.RUNNING, State.REBALANCING)

    def is_valid_transition(self, new: State) -> bool:
        return new in _TRANSITIONS[self]


_TRANSITIONS = {
    State.CREATED: {State.REBALANCING, State.PENDING_SHUTDOWN, State.PENDING_ERROR},
    State.REBALANCING: {State.RUNNING, State.PENDING_SHUTDOWN, State.PENDING_ERROR},
    State.RUNNING: {State.REBALANCING, State.PENDING_SHUTDOWN, State.PENDING_ERROR},
    State.PENDING_SHUTDOWN: {State.NOT_RUNNING},
    State.NOT_RUNNING: set(),
    State.PENDING_ERROR: {State.ERROR},
    State.ERROR: set(),
}


@dataclass(frozen=True, slots=True)
class HostInfo:
    host: str
    port: int

    @staticmethod
    def parse(endpoint: str) -> HostInfo:
        host, _, port = endpoint.rpartition(":")
        return HostInfo(host, int(port) if port.isdigit() else -1)

    @staticmethod
    def unavailable() -> HostInfo:
        return HostInfo("unavailable", -1)


@dataclass(frozen=True, slots=True)
class KeyQueryMetadata:
    active_host: HostInfo
    standby_hosts: frozenset[HostInfo]
    partition: int

    @staticmethod
    def not_available() -> KeyQueryMetadata:
        return KeyQueryMetadata(HostInfo.unavailable(), frozenset(), -1)


@dataclass(frozen=True, slots=True)
class TaskMetadata:
    task_id: Any
    topic_partitions: frozenset[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class ThreadMetadata:
    thread_name: str
    thread_state: str
    consumer_client_id: str
    restore_consumer_client_id: str
    producer_client_ids: frozenset[str]
    admin_client_id: str
    active_tasks: frozenset[TaskMetadata] = field(default_factory=frozenset)
    standby_tasks: frozenset[TaskMetadata] = field(default_factory=frozenset)


StateListener = Callable[[State, State], None]
UncaughtHandler = Callable[[BaseException], StreamThreadExceptionResponse]


class KafkaStreams:
    def __init__(self, topology: Any, config: StreamsConfig | Mapping[str, Any]) -> None:
        self.config = config_of(config)
        self.topology = topology
        self.application_id = self.config.application_id
        self.builder = getattr(topology, "internal_topology_builder", topology)
        # as Java's rewriteTopology: with statestore.cache.max.bytes=0 no store has a caching layer
        self.builder.rewrite_topology(self.application_id, int(self.config.get("statestore.cache.max.bytes")))
        stateful = bool(self.builder.state_store_names())
        self.state_directory = StateDirectory(str(self.config.get("state.dir")), self.application_id, stateful)
        self.process_id = self.state_directory.process_id
        self.client_id = str(self.config.get("client.id")) or f"{self.application_id}-{self.process_id}"
        self.admin_client_id = f"{self.client_id}-admin"
        self._admin = AdminClient(self.config.get_admin_configs(self.admin_client_id))
        self._topics = InternalTopicManager(self._admin, int(self.config.get("replication.factor")), self.config.topic_configs())
        self._state = State.CREATED
        self._lock = threading.RLock()
        self._state_listener: StateListener | None = None
        self._uncaught: UncaughtHandler | None = None
        self.threads: list[StreamThread] = []
        self.global_thread: GlobalStreamThread | None = None
        self._thread_index = 0
        self._closed = threading.Event()
        cache_bytes = int(self.config.get("statestore.cache.max.bytes"))
        threads = max(int(self.config.get("num.stream.threads")), 1)
        self._cache_per_thread = cache_bytes // threads

    # -- state ------------------------------------------------------------------------------------------------
    def state(self) -> State:
        return self._state

    def set_state_listener(self, listener: StateListener) -> None:
        if self._state != State.CREATED:
            raise StreamsException("Can only set StateListener before calling start(). Current state is: " + self._state.name)
        self._state_listener = listener

    def set_uncaught_exception_handler(self, handler: UncaughtHandler) -> None:
        if self._state != State.CREATED:
            raise StreamsException("Can only set UncaughtExceptionHandler before calling start(). Current state is: " + self._state.name)
        self._uncaught = handler

    def _set_state(self, new: State) -> bool:
        with self._lock:
            old = self._state
            if old == new:
                return True
            if not old.is_valid_transition(new):
                return False
            self._state = new
        log.info("stream-client [%s] State transition from %s to %s", self.client_id, old.name, new.name)
        if self._state_listener is not None:
            try:
                self._state_listener(new, old)
            except Exception as exc:
                log.warning("stream-client [%s] The state listener failed: %s", self.client_id, exc)
        return True

    def _on_thread_state(self, thread: StreamThread, old: StreamThreadState, new: StreamThreadState) -> None:
        with self._lock:
            if self._state in (State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR):
                return
            live = [t for t in self.threads if t.state not in (StreamThreadState.DEAD, StreamThreadState.PENDING_SHUTDOWN)]
            if new in (StreamThreadState.PARTITIONS_REVOKED, StreamThreadState.PARTITIONS_ASSIGNED, StreamThreadState.STARTING):
                self._set_state(State.REBALANCING)
            elif live and all(t.state == StreamThreadState.RUNNING for t in live):
                self._set_state(State.RUNNING)

    # -- start / close -------------------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._state != State.CREATED:
                raise StreamsException(
                    f"The client is either already started or already stopped, cannot re-start (state {self._state.name})"
                )
        log.info("stream-client [%s] Starting Kafka Streams client", self.client_id)
        self._check_topics()
        self._set_state(State.REBALANCING)
        if self.builder.global_stores():
            self.global_thread = GlobalStreamThread(self.builder, self.config, self.state_directory, self.client_id)
            self.global_thread.start()
            self.global_thread.ready.wait()
            if self.global_thread.error is not None:
                self._set_state(State.PENDING_ERROR)
                self._set_state(State.ERROR)
                raise StreamsException(f"The global stores could not be loaded: {self.global_thread.error}", self.global_thread.error)
        for _ in range(int(self.config.get("num.stream.threads"))):
            self._add_thread().start()

    def _check_topics(self) -> None:
        """Missing source topics and co-partitioning mistakes fail start() with the topics' names and counts."""
        sources = [t for t in self.builder.all_source_topics() if t not in self.builder.repartition_topics()]
        counts = self._topics.partition_counts(sources + sorted({t for g in self.builder.copartition_groups() for t in g}))
        missing = [t for t in sources if t not in counts]
        if missing:
            raise MissingSourceTopicException(f"One or more source topics were missing during startup: {missing}")
        try:
            pa.check_copartitioning(self._topology_metadata(), counts)
        except pa.CopartitionError as exc:
            raise TopologyException(str(exc)) from None

    def _add_thread(self) -> StreamThread:
        self._thread_index += 1
        thread = StreamThread(
            self._thread_index,
            self.client_id,
            self.config,
            self.builder,
            self.state_directory,
            self.process_id,
            self._topology_metadata,
            self._prepare_topics,
            self._new_cache(),
            self._on_thread_state,
            self._on_thread_error,
            self._admin,
        )
        if self.global_thread is not None:
            thread.global_stores = self.global_thread.stores
        self.threads.append(thread)
        return thread

    def _new_cache(self) -> Any:
        if self._cache_per_thread <= 0:
            return None
        from strom.streams.state.internals.thread_cache import ThreadCache

        return ThreadCache(self._cache_per_thread)

    def close(self, timeout: float | None = None) -> bool:
        """Stops every thread (they commit and close their tasks); True if they all stopped within the timeout."""
        with self._lock:
            if self._state in (State.NOT_RUNNING, State.ERROR):
                self._release()
                return True
            if self._state == State.PENDING_ERROR:
                pass
            elif not self._set_state(State.PENDING_SHUTDOWN):
                return False
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self.threads:
            t.shutdown()
        if self.global_thread is not None:
            self.global_thread.shutdown()
        ok = True
        for t in self.threads:
            if t is threading.current_thread() or not t.is_alive():
                continue
            t.join(None if deadline is None else max(deadline - time.monotonic(), 0))
            ok = ok and not t.is_alive()
        if self.global_thread is not None and self.global_thread.is_alive():
            self.global_thread.join(None if deadline is None else max(deadline - time.monotonic(), 0))
            ok = ok and not self.global_thread.is_alive()
        if ok:
            self._release()
            if self._state == State.PENDING_ERROR:
                self._set_state(State.ERROR)
            else:
                self._set_state(State.NOT_RUNNING)
        log.info("stream-client [%s] Streams client %s", self.client_id, "stopped completely" if ok else "timed out while stopping")
        return ok

    def _release(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            try:
                self._admin.close()
            except Exception:
                pass
            self.state_directory.close()

    def cleanup(self) -> None:
        """Deletes this application's local state (the task directories under state.dir); only when not running."""
        if self._state.is_running_or_rebalancing() or self._state == State.PENDING_SHUTDOWN:
            raise StreamsException("Cannot clean up while running.")
        self.state_directory.clean()

    def __enter__(self) -> KafkaStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- thread failures ------------------------------------------------------------------------------------------
    def _on_thread_error(self, thread: StreamThread, error: BaseException) -> None:
        if self._state in (State.PENDING_SHUTDOWN, State.NOT_RUNNING):
            return
        if isinstance(error, ShutdownRequestedException):
            response = StreamThreadExceptionResponse.SHUTDOWN_CLIENT
            self._enter_error()
            return
        response = StreamThreadExceptionResponse.SHUTDOWN_CLIENT
        if self._uncaught is not None:
            try:
                response = self._uncaught(error)
            except Exception as exc:
                log.error("stream-client [%s] The uncaught exception handler failed: %s", self.client_id, exc)
        log.error(
            "stream-client [%s] Encountered the following exception during processing and the registered exception handler opted to %s.%s",
            self.client_id,
            response.name,
            "" if response == StreamThreadExceptionResponse.REPLACE_THREAD else " The streams client is going to shut down now.",
        )
        if response == StreamThreadExceptionResponse.REPLACE_THREAD:
            if not isinstance(error, MissingSourceTopicException):
                with self._lock:
                    self.threads.remove(thread)
                    replacement = self._add_thread()
                log.info("stream-client [%s] Replacing thread %s with %s", self.client_id, thread.name, replacement.name)
                replacement.start()
                return
        if response == StreamThreadExceptionResponse.SHUTDOWN_APPLICATION:
            self._request_application_shutdown()
        self._enter_error()

    def _enter_error(self) -> None:
        if not self._set_state(State.PENDING_ERROR):
            return

        def stop() -> None:
            for t in self.threads:
                t.shutdown()
            for t in self.threads:
                if t is not threading.current_thread():
                    t.join()
            self._release()
            self._set_state(State.ERROR)

        threading.Thread(target=stop, name=f"{self.client_id}-shutdown", daemon=True).start()

    def _request_application_shutdown(self) -> None:
        """Joins the group once more with a subscription asking for shutdown: the leader tells every instance."""
        from strom import Consumer

        def info() -> pa.SubscriptionInfo:
            return pa.SubscriptionInfo(uuid.UUID(self.process_id), error_code=pa.SHUTDOWN_REQUESTED)

        assignor = pa.StreamsPartitionAssignor(self._topology_metadata, info, lambda *a: None)
        conf = self.config.get_main_consumer_configs(self.application_id, f"{self.client_id}-shutdown-consumer")
        conf["partition.assignment.strategy"] = [assignor]
        consumer = Consumer(conf)
        try:
            consumer.subscribe(self.builder.all_source_topics())
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not consumer.assignment():
                consumer.poll(0.2)
                if any(t.state == StreamThreadState.DEAD for t in self.threads) and consumer.assignment() == []:
                    break
        finally:
            consumer.close()

    # -- topics -----------------------------------------------------------------------------------------------------
    def _topology_metadata(self) -> pa.TopologyMetadata:
        b = self.builder
        subs = tuple(
            pa.SubtopologyInfo(
                sid,
                frozenset(b.source_topics(sid)),
                frozenset(b.sink_topics(sid)),
                frozenset(t for t in b.changelog_topics_for(sid).values() if t in b.changelog_topic_configs()),
            )
            for sid in sorted(b.subtopologies())
        )
        return pa.TopologyMetadata(subs, dict(b.repartition_topics()), tuple(frozenset(g) for g in b.copartition_groups()))

    def _prepare_topics(self, counts: dict[str, int]) -> None:
        extra = int(self.config.get("windowstore.changelog.additional.retention.ms"))
        configs = {**self.builder.repartition_topic_configs(), **self.builder.changelog_topic_configs()}
        wanted = {}
        for name, n in counts.items():
            spec = configs.get(name)
            if spec is None:
                continue
            enforce = spec.kind == "changelog" or spec.number_of_partitions is not None
            wanted[name] = (InternalTopicConfig(name, spec.properties(extra), enforce), n)
        self._topics.make_ready(wanted)

    # -- interactive queries ------------------------------------------------------------------------------------------
    def store(self, params: StoreQueryParameters) -> Any:
        if self._state in (State.CREATED,):
            raise StreamsNotStartedException(
                f"KafkaStreams has not been started, you can retry after calling start(). Current state: {self._state.name}"
            )
        if self._state not in (State.RUNNING, State.REBALANCING):
            raise InvalidStateStoreException(f"KafkaStreams is not running. State is {self._state.name}.")
        if params.store_name not in self.builder.state_store_names():
            raise UnknownStateStoreException(
                f"Cannot get state store {params.store_name} because no such store is registered in the topology."
            )

        def stores() -> list[Any]:
            out: list[Any] = []
            if self.global_thread is not None and params.store_name in self.global_thread.stores:
                return [self.global_thread.stores[params.store_name]]
            for t in list(self.threads):
                for task in list(t.task_manager.active.values()):
                    if params.partition is not None and task.id.partition != params.partition:
                        continue
                    s = task.context.stores.get(params.store_name) if task.state.name == "RUNNING" else None
                    if s is not None:
                        out.append(s)
            return out

        return composite_store(params, stores)

    def _assignment(self) -> pa.ThreadAssignment | None:
        for t in self.threads:
            if t.assignment_info is not None:
                return t.assignment_info
        return None

    def query_metadata_for_key(self, store_name: str, key: Any, key_serializer: Any, partitioner: Any = None) -> KeyQueryMetadata:
        """Which instance (application.server) holds `key` of `store_name`: the partition is the one the key's bytes
        hash to over the store's source topic, as the producer would have partitioned it."""
        info = self._assignment()
        if info is None:
            return KeyQueryMetadata.not_available()
        sub = next((s for s in sorted(self.builder.subtopologies()) if store_name in self.builder.stores_for(s)), None)
        if sub is None:
            raise UnknownStateStoreException(f"Cannot get state store {store_name} because no such store is registered in the topology.")
        sources = self.builder.source_topics(sub)
        counts = [info.partition_counts.get(t, 0) for t in sources]
        n = max(counts, default=0)
        if n <= 0:
            return KeyQueryMetadata.not_available()
        topic = sources[0]
        if partitioner is not None:
            partition = int(partitioner.partition(topic, key, None, n))
        else:
            raw = key_serializer.serialize(topic, key)
            partition = partition_for_key(raw, n)
        active = next((h for h, tps in info.partitions_by_host.items() if any(p == partition and t in sources for t, p in tps)), None)
        standbys = frozenset(
            HostInfo.parse(h) for h, tps in info.standby_partitions_by_host.items() if any(p == partition and t in sources for t, p in tps)
        )
        return KeyQueryMetadata(HostInfo.parse(active) if active else HostInfo.unavailable(), standbys, partition)

    def metadata_for_local_threads(self) -> set[ThreadMetadata]:
        out = set()
        for t in self.threads:
            tm = t.task_manager
            out.add(
                ThreadMetadata(
                    t.name,
                    t.state.value,
                    t.consumer_client_id,
                    t.restore_client_id,
                    frozenset({t.producer_client_id}),
                    self.admin_client_id,
                    frozenset(TaskMetadata(tid, frozenset(task.partitions)) for tid, task in list(tm.active.items())),
                    frozenset(TaskMetadata(tid, frozenset()) for tid in list(tm.standby)),
                )
            )
        return out


def new_process_id() -> str:
    return str(uuid.uuid4())
