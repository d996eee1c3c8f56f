"""The worker: runs connector instances and their tasks in this process (Java's Worker).

It builds what a task needs from the worker config and the connector config - converters (the connector's
key.converter/value.converter/header.converter and their `*.converter.*` settings win over the worker's), the
transformation chain, error handling with its dead letter queue, and Strom clients: a producer per source task,
a consumer in group `connect-<connector>` per sink task. Client settings come from the worker's `producer.*` /
`consumer.*` / `admin.*` keys, then the connector's `producer.override.*` / `consumer.override.*` /
`admin.override.*` (Kafka's default override policy, All). The herder decides what runs; the worker runs it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strom.client.config import SCHEMAS
from strom.connect.api import (
    Connector,
    ConnectorContext,
    SinkConnector,
    SinkConnectorContext,
    SinkTask,
    SourceConnector,
    SourceConnectorContext,
    SourceTask,
)
from strom.connect.api import OffsetStorageReader as ApiOffsetStorageReader
from strom.connect.converters import Converter, HeaderConverter
from strom.connect.errors import ConnectException
from strom.connect.plugins import Plugins
from strom.connect.rest.entities import ConfigInfos, ConnectorTaskId, State, TargetState
from strom.connect.runtime.config_providers import ConfigTransformer
from strom.connect.runtime.connector_config import validate_connector_config
from strom.connect.runtime.errors import DeadLetterQueueReporter, ErrorReporter, LogReporter, RetryWithToleranceOperator
from strom.connect.runtime.exactly_once_worker_source_task import ExactlyOnceWorkerSourceTask
from strom.connect.runtime.offset_store import OffsetBackingStore, OffsetStorageReader, OffsetStorageWriter
from strom.connect.runtime.topic_creation import TopicCreation
from strom.connect.runtime.worker_sink_task import WorkerSinkTask
from strom.connect.runtime.worker_source_task import WorkerSourceTask
from strom.connect.runtime.worker_task import WorkerTask
from strom.connect.transforms.chain import TransformationChain

log = logging.getLogger("org.apache.kafka.connect.runtime.Worker")

# Worker keys and Kafka's defaults (WorkerConfig); the rest of a worker config is read where it is used.
WORKER_DEFAULTS: dict[str, str] = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "header.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter",
    "offset.flush.interval.ms": "60000",
    "offset.flush.timeout.ms": "5000",
    "task.shutdown.graceful.timeout.ms": "5000",
    "listeners": "http://:8083",
    "topic.tracking.enable": "true",
    "topic.tracking.allow.reset": "true",
    "topic.creation.enable": "true",
    "bootstrap.servers": "localhost:9092",
}

# (connector, state, trace)
ConnectorStatusListener = Callable[[str, State, str | None], None]


class WorkerConfig:
    """A worker's properties with Kafka's defaults."""

    def __init__(self, props: Mapping[str, str]) -> None:
        self.props = {**WORKER_DEFAULTS, **{k: str(v) for k, v in props.items()}}

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.props.get(key, default)

    def get_int(self, key: str) -> int:
        return int(self.props[key])

    def get_bool(self, key: str) -> bool:
        return self.props.get(key, "false").strip().lower() == "true"

    def with_prefix(self, prefix: str) -> dict[str, str]:
        return {k[len(prefix) :]: v for k, v in self.props.items() if k.startswith(prefix)}

    def client_config(self, role: str, prefix: str) -> dict[str, Any]:
        """bootstrap.servers plus the worker's `<prefix>*` keys, as Kafka's Worker builds its clients."""
        conf: dict[str, Any] = {"bootstrap.servers": self.props["bootstrap.servers"]}
        conf.update(self.with_prefix(prefix))
        return conf


def known_client_keys(role: str, conf: Mapping[str, Any], who: str) -> dict[str, Any]:
    """Only the keys Strom's client knows: Java-only ones (serializers, interceptors) are dropped with a warning,
    so a worker config written for Kafka keeps working."""
    schema = SCHEMAS[role]
    out: dict[str, Any] = {}
    for key, value in conf.items():
        if key in schema:
            out[key] = value
        elif key not in ("key.serializer", "value.serializer", "key.deserializer", "value.deserializer"):
            log.warning("%s: ignoring %s configuration '%s', which Strom's client does not have", who, role, key)
    return out


@dataclass
class WorkerConnector:
    """A running connector instance (Java's WorkerConnector)."""

    name: str
    connector: Connector
    config: dict[str, str]
    target_state: TargetState
    started: bool = False


@dataclass
class _TaskEntry:
    task: WorkerTask
    connector: str


class _ConnectorContext(SourceConnectorContext, SinkConnectorContext):
    def __init__(self, worker: Worker, name: str) -> None:
        self.worker = worker
        self.name = name

    def request_task_reconfiguration(self) -> None:
        self.worker.on_task_reconfiguration(self.name)

    def raise_error(self, e: Exception) -> None:
        self.worker.connector_failed(self.name, e)

    def offset_storage_reader(self) -> ApiOffsetStorageReader:
        return _ReaderAdapter(OffsetStorageReader(self.worker.offset_store, self.name))


class _ReaderAdapter(ApiOffsetStorageReader):
    """The API's OffsetStorageReader over the store's reader."""

    def __init__(self, reader: OffsetStorageReader) -> None:
        self.reader = reader

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.reader.offset(partition)


@dataclass
class Worker:
    worker_id: str
    config: WorkerConfig
    plugins: Plugins
    offset_store: OffsetBackingStore
    connector_listener: ConnectorStatusListener
    task_listener: Callable[[ConnectorTaskId, State, str | None], None]
    on_reconfiguration_request: Callable[[str], None] = lambda name: None
    connectors: dict[str, WorkerConnector] = field(default_factory=dict)
    tasks: dict[ConnectorTaskId, _TaskEntry] = field(default_factory=dict)
    active_topics: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.transformer = ConfigTransformer.from_worker_config(self.config.props)
        self.client_override_policy = self.config.get("connector.client.config.override.policy", "All")

    def start(self) -> None:
        self.offset_store.start()
        log.info("Worker started")

    def stop(self) -> None:
        for task_id in list(self.tasks):
            self.stop_task(task_id)
        self.await_tasks(list(self.tasks))
        for name in list(self.connectors):
            self.stop_connector(name)
        self.offset_store.stop()
        log.info("Worker stopped")

    # -- connectors -------------------------------------------------------------------------------------

    def start_connector(self, name: str, config: Mapping[str, str], target_state: TargetState) -> None:
        """Creates the connector and (unless STOPPED/PAUSED... as Kafka: started unless STOPPED) starts it.
        A failure is reported as the connector's FAILED status, not raised."""
        with self._lock:
            if name in self.connectors:
                raise ConnectException(f"Connector with name {name} already exists")
        try:
            connector = self.plugins.new_connector(config["connector.class"])
        except Exception as exc:
            self.connector_listener(name, State.FAILED, "".join(traceback.format_exception(exc)))
            return
        wc = WorkerConnector(name, connector, dict(config), target_state)
        with self._lock:
            self.connectors[name] = wc
        connector.initialize(_ConnectorContext(self, name))
        self._apply_target(wc)

    def _apply_target(self, wc: WorkerConnector) -> None:
        try:
            if wc.target_state is TargetState.STOPPED:
                if wc.started:
                    wc.connector.stop()
                    wc.started = False
                self.connector_listener(wc.name, State.STOPPED, None)
                return
            if not wc.started:
                wc.connector.start(self.transformer.transform(wc.config))
                wc.started = True
            self.connector_listener(wc.name, State.PAUSED if wc.target_state is TargetState.PAUSED else State.RUNNING, None)
        except Exception as exc:
            log.error("[%s] Failed to start connector", wc.name, exc_info=exc)
            self.connector_listener(wc.name, State.FAILED, "".join(traceback.format_exception(exc)))

    def connector_failed(self, name: str, exc: Exception) -> None:
        log.error("[%s] Connector raised an error", name, exc_info=exc)
        self.connector_listener(name, State.FAILED, "".join(traceback.format_exception(exc)))

    def on_task_reconfiguration(self, name: str) -> None:
        self.on_reconfiguration_request(name)

    def stop_connector(self, name: str) -> None:
        with self._lock:
            wc = self.connectors.pop(name, None)
        if wc is None:
            return
        try:
            if wc.started:
                wc.connector.stop()
        except Exception:
            log.error("[%s] Error while shutting down connector", name, exc_info=True)
        self.connector_listener(name, State.UNASSIGNED, None)

    def is_running(self, name: str) -> bool:
        wc = self.connectors.get(name)
        return wc is not None and wc.started

    def connector_task_configs(self, name: str) -> list[dict[str, str]]:
        """The connector's task configs for tasks.max, each with Kafka's task.class added."""
        wc = self.connectors.get(name)
        if wc is None or not wc.started:
            return []
        max_tasks = int(wc.config.get("tasks.max", "1"))
        configs = wc.connector.task_configs(max_tasks)
        if len(configs) > max_tasks and wc.config.get("tasks.max.enforce", "true").lower() == "true":
            raise ConnectException(
                f"Connector {name} generated {len(configs)} tasks, which is greater than the maximum of {max_tasks} tasks"
            )
        task_class_name = self._task_class_name(wc)
        out: list[dict[str, str]] = []
        for conf in configs:
            task_props = dict(conf)
            task_props["task.class"] = task_class_name
            if isinstance(wc.connector, SinkConnector):
                for key in ("topics", "topics.regex"):
                    if key in wc.config:
                        task_props[key] = wc.config[key]
            out.append(self.transformer.reverse(wc.config, self.transformer.transform(wc.config), task_props))
        return out

    def _task_class_name(self, wc: WorkerConnector) -> str:
        """Kafka's task.class: for a connector known by a Java name, the task's simple name in that Java package
        (org.apache.kafka.connect.file.FileStreamSourceTask), else the task's Python path."""
        task_class = wc.connector.task_class()
        connector_class = wc.config.get("connector.class", "")
        canonical = self.plugins.canonical_name(connector_class)
        if canonical != self.plugins.target(connector_class) and "." in canonical and ":" not in canonical:
            return canonical.rsplit(".", 1)[0] + "." + task_class.__name__
        return f"{task_class.__module__}.{task_class.__qualname__}"

    def set_target_state(self, name: str, state: TargetState) -> None:
        wc = self.connectors.get(name)
        if wc is not None:
            wc.target_state = state
            self._apply_target(wc)
        for entry in list(self.tasks.values()):
            if entry.connector == name:
                entry.task.transition_to(state)

    # -- tasks ------------------------------------------------------------------------------------------

    def start_task(
        self,
        task_id: ConnectorTaskId,
        connector_config: Mapping[str, str],
        task_config: Mapping[str, str],
        target_state: TargetState,
        preflight: tuple[Callable[[], None], Callable[[], None]] | None = None,
    ) -> bool:
        """Builds and starts a task thread; a failure to build it is its FAILED status. `preflight` holds the
        checks an exactly-once source task runs on its thread before and after initialising its producer."""
        with self._lock:
            if task_id in self.tasks:
                raise ConnectException(f"Task already exists in this worker: {task_id}")
        try:
            cconf, tconf = self.transformer.transform(connector_config), self.transformer.transform(task_config)
            task = self._build_task(task_id, cconf, tconf, target_state, preflight)
        except Exception as exc:
            log.error("Failed to start task %s", task_id, exc_info=exc)
            self.task_listener(task_id, State.FAILED, "".join(traceback.format_exception(exc)))
            return False
        with self._lock:
            self.tasks[task_id] = _TaskEntry(task, task_id.connector)
        task.start_thread()
        return True

    def _build_task(
        self,
        task_id: ConnectorTaskId,
        cconf: dict[str, str],
        tconf: dict[str, str],
        target: TargetState,
        preflight: tuple[Callable[[], None], Callable[[], None]] | None = None,
    ) -> WorkerTask:
        connector_cls = self.plugins.connector_class(cconf["connector.class"])
        task_cls: type = connector_cls().task_class()  # task.class in the config is informational, as Kafka's
        key_converter = self._converter(cconf, "key.converter", is_key=True)
        value_converter = self._converter(cconf, "value.converter", is_key=False)
        header_converter = self._header_converter(cconf)
        chain: TransformationChain[Any] = TransformationChain.from_config(cconf)
        flush_ms = self.config.get_int("offset.flush.interval.ms")
        name = task_id.connector

        def on_topic(topic: str) -> None:
            self.active_topics.setdefault(name, set()).add(topic)

        if issubclass(connector_cls, SourceConnector):
            if not issubclass(task_cls, SourceTask):
                raise ConnectException(f"{task_cls.__qualname__} is not a SourceTask")
            producer_conf = self._client_config("producer", cconf, task_id)
            retry = RetryWithToleranceOperator.from_config(name, task_id.task, cconf, self._reporters(cconf, sink=False, task_id=task_id))
            offsets_topic = self._exactly_once_offsets_topic()
            source_task_class: type[WorkerSourceTask] = WorkerSourceTask
            exactly_once: dict[str, Any] = {}
            if offsets_topic is not None:  # KIP-618: records and their offsets in one transaction
                producer_conf["transactional.id"] = f"{self.config.get('group.id')}-{name}-{task_id.task}"
                producer_conf["enable.idempotence"] = True
                source_task_class = ExactlyOnceWorkerSourceTask
                exactly_once = {"offsets_topic": offsets_topic, "connector_config": cconf}
                if preflight is not None:
                    exactly_once["pre_producer_check"], exactly_once["post_producer_check"] = preflight
            return source_task_class(
                task_id,
                task_cls(),
                tconf,
                self.task_listener,
                target,
                lambda: _new_producer(producer_conf),
                key_converter,
                value_converter,
                header_converter,
                chain,
                retry,
                OffsetStorageReader(self.offset_store, name),
                OffsetStorageWriter(self.offset_store, name),
                flush_ms,
                self.config.get_int("offset.flush.timeout.ms"),
                on_topic,
                TopicCreation.from_config(self.config.get_bool("topic.creation.enable"), cconf),
                lambda: _new_admin(self.admin_config(cconf)),
                **exactly_once,
            )
        if issubclass(connector_cls, SinkConnector):
            if not issubclass(task_cls, SinkTask):
                raise ConnectException(f"{task_cls.__qualname__} is not a SinkTask")
            consumer_conf = self._client_config("consumer", cconf, task_id)
            retry = RetryWithToleranceOperator.from_config(name, task_id.task, cconf, self._reporters(cconf, sink=True, task_id=task_id))
            max_poll = int(self.config.get("consumer.max.poll.records") or cconf.get("consumer.override.max.poll.records") or 500)
            return WorkerSinkTask(
                task_id,
                task_cls(),
                tconf,
                self.task_listener,
                target,
                lambda: _new_consumer(consumer_conf),
                key_converter,
                value_converter,
                header_converter,
                chain,
                retry,
                flush_ms,
                max_poll,
                on_topic,
            )
        raise ConnectException(f"{connector_cls.__qualname__} is neither a SourceConnector nor a SinkConnector")

    def validate_connector_config(self, config: Mapping[str, str | None]) -> tuple[ConfigInfos, Connector]:
        """validate_connector_config with this worker's config providers and client override policy."""
        exactly_once = (self.config.get("exactly.once.source.support") or "disabled").strip().lower() == "enabled"
        return validate_connector_config(self.plugins, config, self.transformer, self.client_override_policy, exactly_once)

    def _exactly_once_offsets_topic(self) -> str | None:
        """offset.storage.topic when source tasks run exactly once: exactly.once.source.support=enabled and offsets
        kept in a Kafka topic (distributed workers; a standalone worker's file cannot join a transaction)."""
        if (self.config.get("exactly.once.source.support") or "disabled").strip().lower() != "enabled":
            return None
        log_ = getattr(self.offset_store, "log", None)
        topic = getattr(log_, "topic", None)
        if not isinstance(topic, str):
            log.warning("exactly.once.source.support=enabled needs offsets in a Kafka topic (distributed mode): ignored")
            return None
        return topic

    def _converter(self, cconf: Mapping[str, str], key: str, is_key: bool) -> Converter:
        """The connector's converter (with its `<key>.*` settings) if it names one, else the worker's."""
        if cconf.get(key):
            source: Mapping[str, str] = cconf
        else:
            source = self.config.props
        converter = self.plugins.new_converter(source[key])
        prefix = key + "."
        settings: dict[str, Any] = {k[len(prefix) :]: v for k, v in source.items() if k.startswith(prefix)}
        converter.configure(settings, is_key)
        return converter

    def _header_converter(self, cconf: Mapping[str, str]) -> HeaderConverter | None:
        source: Mapping[str, str] = cconf if cconf.get("header.converter") else self.config.props
        name = source.get("header.converter")
        if not name:
            return None
        converter = self.plugins.new_header_converter(name)
        settings: dict[str, Any] = {k[len("header.converter.") :]: v for k, v in source.items() if k.startswith("header.converter.")}
        converter.configure(settings)
        return converter

    def _client_config(self, role: str, cconf: Mapping[str, str], task_id: ConnectorTaskId) -> dict[str, Any]:
        conf = self.config.client_config(role, role + ".")
        if role == "producer":
            conf.setdefault("acks", "all")
            conf.setdefault("delivery.timeout.ms", 2147483647)
            conf.setdefault("client.id", f"connector-producer-{task_id}")
        else:
            conf["group.id"] = f"connect-{task_id.connector}"
            conf.setdefault("enable.auto.commit", False)
            conf.setdefault("auto.offset.reset", "earliest")
            conf.setdefault("client.id", f"connector-consumer-{task_id}")
            conf.pop("max.poll.records", None)
        prefix = role + ".override."
        conf.update({k[len(prefix) :]: v for k, v in cconf.items() if k.startswith(prefix)})
        conf.pop("max.poll.records", None)
        return known_client_keys(role, conf, f"connector {task_id.connector}")

    def admin_config(self, cconf: Mapping[str, str] | None = None) -> dict[str, Any]:
        conf = self.config.client_config("admin", "admin.")
        if cconf is not None:
            conf.update({k[len("admin.override.") :]: v for k, v in cconf.items() if k.startswith("admin.override.")})
        return known_client_keys("admin", conf, "worker")

    def _reporters(self, cconf: Mapping[str, str], sink: bool, task_id: ConnectorTaskId) -> list[ErrorReporter]:
        reporters: list[ErrorReporter] = []
        dlq = (cconf.get("errors.deadletterqueue.topic.name") or "").strip()
        if sink and dlq:
            reporters.append(
                DeadLetterQueueReporter(
                    dlq,
                    self._client_config("producer", cconf, task_id),
                    self.admin_config(cconf),
                    int(cconf.get("errors.deadletterqueue.topic.replication.factor", "3")),
                    cconf.get("errors.deadletterqueue.context.headers.enable", "false").lower() == "true",
                )
            )
        if cconf.get("errors.log.enable", "false").lower() == "true":
            reporters.append(LogReporter(cconf.get("errors.log.include.messages", "false").lower() == "true"))
        return reporters

    def stop_task(self, task_id: ConnectorTaskId) -> None:
        entry = self.tasks.get(task_id)
        if entry is not None:
            entry.task.stop()

    def await_tasks(self, task_ids: list[ConnectorTaskId]) -> None:
        """Waits task.shutdown.graceful.timeout.ms in all for the tasks to stop; the stragglers are cancelled."""
        import time

        deadline = time.monotonic() + self.config.get_int("task.shutdown.graceful.timeout.ms") / 1000
        for task_id in task_ids:
            entry = self.tasks.get(task_id)
            if entry is None:
                continue
            if not entry.task.await_stop(max(0.0, deadline - time.monotonic())):
                log.error("Graceful stop of task %s failed.", task_id)
                entry.task.cancel()
            with self._lock:
                self.tasks.pop(task_id, None)

    def stop_and_await_tasks(self, task_ids: list[ConnectorTaskId]) -> None:
        for task_id in task_ids:
            self.stop_task(task_id)
        self.await_tasks(task_ids)

    def task_ids(self, connector: str) -> list[ConnectorTaskId]:
        return sorted(t for t, e in self.tasks.items() if e.connector == connector)


def _new_producer(conf: dict[str, Any]) -> Any:
    from strom import Producer

    return Producer(conf)


def _new_admin(conf: dict[str, Any]) -> Any:
    from strom import AdminClient

    return AdminClient(conf)


def _new_consumer(conf: dict[str, Any]) -> Any:
    from strom import Consumer

    return Consumer(conf)


def sink_connector(connector: Connector) -> bool:
    return isinstance(connector, SinkConnector)


__all__ = ["ConnectorContext", "Worker", "WorkerConfig", "WorkerConnector", "sink_connector"]
