"""Connector and task configs in the config topic, with Kafka Connect's keys and values (KafkaConfigBackingStore).

Keys are plain strings, values the JSON Kafka's JsonConverter writes without schemas, so Kafka's workers, Strom's
workers and `kafka-console-consumer` all read the same topic:

    connector-<name>            {"properties":{...}}          null: the connector was deleted
    task-<name>-<n>             {"properties":{...}}          buffered until the commit below
    commit-<name>               {"tasks":N}                   applies task-<name>-0..N-1 at once
    target-state-<name>         {"state":"PAUSED","state.v2":"STOPPED"}   (state: what pre-3.5 workers understand)
    restart-connector-<name>    {"include-tasks":true,"only-failed":false}
    session-key                 {"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":ms}
    tasks-fencing-<name>        {"task-count":N}

A tasks-fencing record (KIP-618) is written by the leader once the transactional producers of the connector's
previous generation of tasks are fenced; task configs committed after the connector's last such record leave it
pending fencing, and its exactly-once source tasks wait for a round of fencing before they produce.

Task configs are applied only when their commit record is read with every task 0..N-1 before it; a commit that
finds some missing (compaction after a writer died mid-way) marks the connector inconsistent until its tasks are
rewritten. The topic has one partition, so its order is the order of writes; only the group leader writes
task configs and commits."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strom.client.types import Message
from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.kafka_based_log import KafkaBasedLog

log = logging.getLogger("org.apache.kafka.connect.storage.KafkaConfigBackingStore")

CONNECTOR_PREFIX = "connector-"
TASK_PREFIX = "task-"
COMMIT_TASKS_PREFIX = "commit-"
TARGET_STATE_PREFIX = "target-state-"
RESTART_PREFIX = "restart-connector-"
TASK_COUNT_RECORD_PREFIX = "tasks-fencing-"
SESSION_KEY_KEY = "session-key"
LOGGER_CLUSTER_PREFIX = "logger-cluster-"

STARTED, PAUSED, STOPPED = "STARTED", "PAUSED", "STOPPED"
TARGET_STATES = (STARTED, PAUSED, STOPPED)


def _json(value: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as Jackson writes it for JsonConverter."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# -- record values ------------------------------------------------------------------------------------------


def connector_key(name: str) -> str:
    return CONNECTOR_PREFIX + name


def task_key(task: ConnectorTaskId) -> str:
    return f"{TASK_PREFIX}{task.connector}-{task.task}"


def commit_tasks_key(name: str) -> str:
    return COMMIT_TASKS_PREFIX + name


def target_state_key(name: str) -> str:
    return TARGET_STATE_PREFIX + name


def restart_key(name: str) -> str:
    return RESTART_PREFIX + name


def serialize_properties(props: Mapping[str, str | None]) -> bytes:
    return _json({"properties": dict(props)})


def serialize_task_commit(tasks: int) -> bytes:
    return _json({"tasks": tasks})


def serialize_target_state(state: str) -> bytes:
    """STOPPED is written as PAUSED in `state` for workers older than Kafka 3.5, and exactly in `state.v2`."""
    if state not in TARGET_STATES:
        raise ValueError(f"unknown target state {state}")
    return _json({"state": PAUSED if state == STOPPED else state, "state.v2": state})


def serialize_restart_request(include_tasks: bool, only_failed: bool) -> bytes:
    return _json({"include-tasks": include_tasks, "only-failed": only_failed})


def task_count_record_key(name: str) -> str:
    return TASK_COUNT_RECORD_PREFIX + name


def serialize_task_count_record(task_count: int) -> bytes:
    return _json({"task-count": task_count})


def serialize_session_key(key: bytes, algorithm: str, creation_timestamp: int) -> bytes:
    return _json({"key": base64.b64encode(key).decode(), "algorithm": algorithm, "creation-timestamp": creation_timestamp})


def parse_value(raw: bytes | None) -> dict[str, Any] | None:
    """The JSON object of a record value; None for a tombstone. Raises ValueError for anything else."""
    if raw is None:
        return None
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value


def parse_task_key(key: str) -> ConnectorTaskId | None:
    """task-<connector>-<n>: the connector name may contain dashes, the task number is after the last one."""
    rest = key[len(TASK_PREFIX) :]
    name, sep, number = rest.rpartition("-")
    if not sep or not number.isdigit():
        return None
    return ConnectorTaskId(name, int(number))


def parse_target_state(value: Mapping[str, Any]) -> str:
    state = value.get("state.v2") or value.get("state")
    if state not in TARGET_STATES:
        raise ValueError(f"invalid target state {state!r}")
    return str(state)


# -- the store -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestartRequest:
    connector: str
    only_failed: bool = False
    include_tasks: bool = False


@dataclass(frozen=True)
class SessionKey:
    key: bytes
    algorithm: str
    creation_timestamp: int


@dataclass(frozen=True)
class ClusterConfigState:
    """An immutable snapshot of the config topic, as far as it has been read (Kafka's ClusterConfigState)."""

    offset: int
    session_key: SessionKey | None
    connector_task_counts: Mapping[str, int]
    connector_configs: Mapping[str, Mapping[str, str]]
    target_states: Mapping[str, str]
    task_configs: Mapping[ConnectorTaskId, Mapping[str, str]]
    inconsistent: frozenset[str] = frozenset()
    task_count_records: Mapping[str, int] = field(default_factory=dict)
    task_config_generations: Mapping[str, int] = field(default_factory=dict)
    pending_fencing: frozenset[str] = frozenset()

    def connectors(self) -> list[str]:
        return sorted(self.connector_configs)

    def contains(self, connector: str) -> bool:
        return connector in self.connector_configs

    def target_state(self, connector: str) -> str:
        return self.target_states.get(connector, STARTED)

    def task_count(self, connector: str) -> int:
        return self.connector_task_counts.get(connector, 0)

    def tasks(self, connector: str) -> list[ConnectorTaskId]:
        if connector in self.inconsistent:
            return []
        return [ConnectorTaskId(connector, i) for i in range(self.task_count(connector))]

    def task_config(self, task: ConnectorTaskId) -> Mapping[str, str] | None:
        return self.task_configs.get(task)

    def task_count_record(self, connector: str) -> int | None:
        """The task count of the last tasks-fencing record: how many tasks the fenced generation had."""
        return self.task_count_records.get(connector)

    def task_config_generation(self, connector: str) -> int | None:
        """How many task-config commits of the connector were applied, less one (None before the first)."""
        return self.task_config_generations.get(connector)

    def is_pending_fencing(self, connector: str) -> bool:
        """Task configs were committed after the connector's last tasks-fencing record."""
        return connector in self.pending_fencing


EMPTY_STATE = ClusterConfigState(-1, None, {}, {}, {}, {})


@dataclass
class ConfigUpdateListener:
    """What the herder hears as the topic is read: each hook gets the connector name (and the committed task ids)."""

    on_connector_config_update: Callable[[str], None] = lambda name: None
    on_connector_config_remove: Callable[[str], None] = lambda name: None
    on_task_config_update: Callable[[str, list[ConnectorTaskId]], None] = lambda name, tasks: None
    on_connector_target_state_change: Callable[[str], None] = lambda name: None
    on_session_key_update: Callable[[SessionKey], None] = lambda key: None
    on_restart_request: Callable[[RestartRequest], None] = lambda request: None


@dataclass
class _State:
    offset: int = -1
    session_key: SessionKey | None = None
    connector_task_counts: dict[str, int] = field(default_factory=dict)
    connector_configs: dict[str, dict[str, str]] = field(default_factory=dict)
    target_states: dict[str, str] = field(default_factory=dict)
    task_configs: dict[ConnectorTaskId, dict[str, str]] = field(default_factory=dict)
    deferred: dict[str, dict[ConnectorTaskId, dict[str, str]]] = field(default_factory=dict)
    inconsistent: set[str] = field(default_factory=set)
    task_count_records: dict[str, int] = field(default_factory=dict)
    task_config_generations: dict[str, int] = field(default_factory=dict)
    pending_fencing: set[str] = field(default_factory=set)


class ConfigRecordApplier:
    """Applies config-topic records in order to an in-memory state (pure: no I/O), calling the listener."""

    def __init__(self, listener: ConfigUpdateListener | None = None) -> None:
        self.listener = listener or ConfigUpdateListener()
        self.state = _State()

    def snapshot(self) -> ClusterConfigState:
        s = self.state
        return ClusterConfigState(
            s.offset,
            s.session_key,
            dict(s.connector_task_counts),
            {k: dict(v) for k, v in s.connector_configs.items()},
            dict(s.target_states),
            {k: dict(v) for k, v in s.task_configs.items()},
            frozenset(s.inconsistent),
            dict(s.task_count_records),
            dict(s.task_config_generations),
            frozenset(s.pending_fencing),
        )

    def apply(self, key: str, raw: bytes | None, offset: int) -> None:
        self.state.offset = offset + 1  # the next offset to read, as Kafka counts it (assignments carry it)
        try:
            value = parse_value(raw)
        except ValueError as exc:
            log.error("Ignoring config record %s at offset %d that is not a JSON object: %s", key, offset, exc)
            return
        try:
            self._apply(key, value)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("Ignoring invalid config record %s at offset %d: %s", key, offset, exc)

    def _apply(self, key: str, value: dict[str, Any] | None) -> None:
        s, hooks = self.state, self.listener
        if key.startswith(TARGET_STATE_PREFIX):
            name = key[len(TARGET_STATE_PREFIX) :]
            if value is None:
                s.target_states.pop(name, None)
            else:
                s.target_states[name] = parse_target_state(value)
            if name in s.connector_configs:
                hooks.on_connector_target_state_change(name)
        elif key.startswith(CONNECTOR_PREFIX):
            name = key[len(CONNECTOR_PREFIX) :]
            if value is None:
                removed = s.connector_configs.pop(name, None) is not None
                s.target_states.pop(name, None)
                s.connector_task_counts.pop(name, None)
                s.deferred.pop(name, None)
                s.inconsistent.discard(name)
                for task in [t for t in s.task_configs if t.connector == name]:
                    del s.task_configs[task]
                if removed:
                    hooks.on_connector_config_remove(name)
            else:
                props = value["properties"]
                if not isinstance(props, dict):
                    raise ValueError("properties is not an object")
                s.connector_configs[name] = {str(k): str(v) for k, v in props.items() if v is not None}
                hooks.on_connector_config_update(name)
        elif key.startswith(TASK_PREFIX):
            task_id = parse_task_key(key)
            if task_id is None:
                raise ValueError(f"invalid task key {key}")
            if value is None:
                return  # Kafka never writes task tombstones; a deleted connector's tasks go with its commit
            props = value["properties"]
            s.deferred.setdefault(task_id.connector, {})[task_id] = {str(k): str(v) for k, v in props.items() if v is not None}
        elif key.startswith(COMMIT_TASKS_PREFIX):
            name = key[len(COMMIT_TASKS_PREFIX) :]
            if value is None:
                return
            count = int(value["tasks"])
            deferred = s.deferred.pop(name, {})
            if any(ConnectorTaskId(name, i) not in deferred for i in range(count)):
                # some task configs of this commit were compacted away or never written
                log.error("Ignoring task configs commit for %s: some of its %d task configs are missing", name, count)
                s.inconsistent.add(name)
                s.pending_fencing.add(name)
                return
            for task in [t for t in s.task_configs if t.connector == name]:
                del s.task_configs[task]
            applied = [ConnectorTaskId(name, i) for i in range(count)]
            for task in applied:
                s.task_configs[task] = deferred[task]
            s.connector_task_counts[name] = count
            s.inconsistent.discard(name)
            s.task_config_generations[name] = s.task_config_generations.get(name, -1) + 1
            s.pending_fencing.add(name)  # older generations must be fenced before these tasks produce
            hooks.on_task_config_update(name, applied)
        elif key.startswith(RESTART_PREFIX):
            if value is None:
                return
            hooks.on_restart_request(
                RestartRequest(key[len(RESTART_PREFIX) :], bool(value.get("only-failed", False)), bool(value.get("include-tasks", False)))
            )
        elif key == SESSION_KEY_KEY:
            if value is None:
                return
            s.session_key = SessionKey(base64.b64decode(value["key"]), str(value["algorithm"]), int(value["creation-timestamp"]))
            hooks.on_session_key_update(s.session_key)
        elif key.startswith(TASK_COUNT_RECORD_PREFIX):
            if value is not None:
                name = key[len(TASK_COUNT_RECORD_PREFIX) :]
                s.task_count_records[name] = int(value["task-count"])
                s.pending_fencing.discard(name)
        elif key.startswith(LOGGER_CLUSTER_PREFIX):
            pass  # cluster-wide logger levels (KIP-976) are not applied by Strom's workers
        else:
            log.error("Discarding config update record with invalid key: %s", key)


class KafkaConfigBackingStore:
    """The config topic of a distributed cluster: every worker reads it, the leader writes it."""

    def __init__(self, log_: KafkaBasedLog | None, listener: ConfigUpdateListener | None = None) -> None:
        self.applier = ConfigRecordApplier(listener)
        self.log = log_

    @classmethod
    def for_topic(
        cls, topic: str, client_conf: Mapping[str, Any], replication_factor: int, listener: ConfigUpdateListener | None = None
    ) -> KafkaConfigBackingStore:
        store = cls(None, listener)
        # one partition: the config log's order is the order of writes
        store.log = KafkaBasedLog(topic, client_conf, store._consume, partitions=1, replication_factor=replication_factor)
        return store

    def _consume(self, msg: Message) -> None:
        key = msg.key()
        if key is None:
            log.error("Discarding config record without a key at offset %s", msg.offset())
            return
        self.applier.apply(key.decode(errors="replace"), msg.value(), msg.offset() or 0)

    def _log(self) -> KafkaBasedLog:
        if self.log is None:
            raise RuntimeError("the config store has no topic")
        return self.log

    async def start(self) -> None:
        await self._log().start()

    async def stop(self) -> None:
        await self._log().stop()

    def snapshot(self) -> ClusterConfigState:
        return self.applier.snapshot()

    async def refresh(self, timeout: float = 30.0) -> None:
        """Reads the topic to its end (after a rebalance, before acting on a snapshot)."""
        await self._log().read_to_end(timeout)

    async def _write(self, key: str, value: bytes | None) -> None:
        await self._log().send(key.encode(), value)

    async def put_connector_config(self, name: str, config: Mapping[str, str], target_state: str | None = None) -> None:
        """KIP-980: a requested initial state is written before the config, so the connector starts in it."""
        if target_state is not None:
            await self._write(target_state_key(name), serialize_target_state(target_state))
        await self._write(connector_key(name), serialize_properties(config))
        await self.refresh()

    async def remove_connector_config(self, name: str) -> None:
        await self._write(connector_key(name), None)
        await self._write(target_state_key(name), None)
        await self.refresh()

    async def put_task_configs(self, name: str, configs: Sequence[Mapping[str, str]]) -> None:
        """Every task config, then the commit that applies them together."""
        for i, config in enumerate(configs):
            await self._write(task_key(ConnectorTaskId(name, i)), serialize_properties(config))
        await self._write(commit_tasks_key(name), serialize_task_commit(len(configs)))
        await self.refresh()

    async def put_target_state(self, name: str, state: str) -> None:
        await self._write(target_state_key(name), serialize_target_state(state))
        await self.refresh()

    async def put_restart_request(self, request: RestartRequest) -> None:
        await self._write(restart_key(request.connector), serialize_restart_request(request.include_tasks, request.only_failed))
        await self.refresh()

    async def put_task_count_record(self, name: str, task_count: int) -> None:
        """The leader's mark that the connector's earlier task generations are fenced (KIP-618)."""
        await self._write(task_count_record_key(name), serialize_task_count_record(task_count))
        await self.refresh()

    async def put_session_key(self, key: SessionKey) -> None:
        await self._write(SESSION_KEY_KEY, serialize_session_key(key.key, key.algorithm, key.creation_timestamp))
        await self.refresh()
