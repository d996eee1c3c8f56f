"""Connector and task status in the status topic, with Kafka Connect's keys and JSON (KafkaStatusBackingStore).

    status-connector-<name>               {"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":5}
    status-task-<name>-<n>                the same fields for one task
    status-topic-<topic>:connector-<name> {"topic":{"name":..,"connector":..,"task":..,"discoverTimestamp":ms}}

A DESTROYED status is written as a tombstone (the connector was deleted). Each worker writes the status of what
it runs; `put_safe` skips a write that would overwrite a newer generation's status from another worker, so a
worker that lost its tasks in a rebalance does not hide the new owner's status. Every worker reads the whole topic,
so any worker answers GET /connectors/<name>/status."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client.types import Message
from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.kafka_based_log import KafkaBasedLog

log = logging.getLogger("org.apache.kafka.connect.storage.KafkaStatusBackingStore")

TASK_STATUS_PREFIX = "status-task-"
CONNECTOR_STATUS_PREFIX = "status-connector-"
TOPIC_STATUS_PREFIX = "status-topic-"
TOPIC_STATUS_SEPARATOR = ":connector-"

DESTROYED = "DESTROYED"


@dataclass(frozen=True)
class Status:
    """A connector's (task None) or task's state as one worker reported it (Kafka's AbstractStatus)."""

    connector: str
    task: int | None
    state: str
    worker_id: str
    generation: int
    trace: str | None = None

    @property
    def id(self) -> str | ConnectorTaskId:
        return self.connector if self.task is None else ConnectorTaskId(self.connector, self.task)


@dataclass(frozen=True)
class TopicStatus:
    topic: str
    connector: str
    task: int
    discover_timestamp: int


def status_key(status: Status) -> str:
    if status.task is None:
        return CONNECTOR_STATUS_PREFIX + status.connector
    return f"{TASK_STATUS_PREFIX}{status.connector}-{status.task}"


def topic_status_key(topic: str, connector: str) -> str:
    return f"{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}"


def serialize_status(status: Status) -> bytes | None:
    if status.state == DESTROYED:
        return None
    value = {"state": status.state, "trace": status.trace, "worker_id": status.worker_id, "generation": status.generation}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def serialize_topic_status(status: TopicStatus) -> bytes:
    value = {
        "topic": {"name": status.topic, "connector": status.connector, "task": status.task, "discoverTimestamp": status.discover_timestamp}
    }
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def parse_status(connector: str, task: int | None, raw: bytes) -> Status:
    value = json.loads(raw)
    return Status(connector, task, str(value["state"]), str(value["worker_id"]), int(value["generation"]), value.get("trace"))


class StatusRecordApplier:
    """The latest status of every connector, task and active topic, from records read in order (pure)."""

    def __init__(self) -> None:
        self.on_topic_reset: Callable[[str, str], None] = lambda connector, topic: None
        self.connectors: dict[str, Status] = {}
        self.tasks: dict[ConnectorTaskId, Status] = {}
        self.topics: dict[str, dict[str, TopicStatus]] = {}  # connector -> topic -> status

    def apply(self, key: str, raw: bytes | None) -> None:
        try:
            self._apply(key, raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("Failed to deserialize status record %s: %s", key, exc)

    def _apply(self, key: str, raw: bytes | None) -> None:
        if key.startswith(CONNECTOR_STATUS_PREFIX):
            name = key[len(CONNECTOR_STATUS_PREFIX) :]
            if raw is None:
                self.connectors.pop(name, None)
            else:
                self.connectors[name] = parse_status(name, None, raw)
        elif key.startswith(TASK_STATUS_PREFIX):
            name, sep, number = key[len(TASK_STATUS_PREFIX) :].rpartition("-")
            if not sep or not number.isdigit():
                raise ValueError(f"invalid task status key {key}")
            task = ConnectorTaskId(name, int(number))
            if raw is None:
                self.tasks.pop(task, None)
            else:
                self.tasks[task] = parse_status(name, task.task, raw)
        elif key.startswith(TOPIC_STATUS_PREFIX):
            topic, sep, connector = key[len(TOPIC_STATUS_PREFIX) :].partition(TOPIC_STATUS_SEPARATOR)
            if not sep:
                raise ValueError(f"invalid topic status key {key}")
            if raw is None:
                if self.topics.get(connector, {}).pop(topic, None) is not None:
                    self.on_topic_reset(connector, topic)
            else:
                t = json.loads(raw)["topic"]
                status = TopicStatus(str(t["name"]), str(t["connector"]), int(t["task"]), int(t["discoverTimestamp"]))
                self.topics.setdefault(connector, {})[topic] = status
        else:
            log.warning("Discarding record with invalid key %s", key)


class KafkaStatusBackingStore:
    def __init__(self, log_: KafkaBasedLog | None = None) -> None:
        self.applier = StatusRecordApplier()
        self.log = log_

    @classmethod
    def for_topic(cls, topic: str, client_conf: Mapping[str, Any], partitions: int, replication_factor: int) -> KafkaStatusBackingStore:
        store = cls()
        store.log = KafkaBasedLog(topic, client_conf, store._consume, partitions=partitions, replication_factor=replication_factor)
        return store

    def _consume(self, msg: Message) -> None:
        key = msg.key()
        if key is not None:
            self.applier.apply(key.decode(errors="replace"), msg.value())

    def _log(self) -> KafkaBasedLog:
        if self.log is None:
            raise RuntimeError("the status store has no topic")
        return self.log

    async def start(self) -> None:
        await self._log().start()

    async def stop(self) -> None:
        await self._log().stop()

    async def refresh(self, timeout: float = 30.0) -> None:
        await self._log().read_to_end(timeout)

    async def put(self, status: Status) -> None:
        """Writes the status (DESTROYED: a tombstone) and applies it locally at once, so this worker's own
        answers do not wait for the read-back."""
        await self._log().send(status_key(status).encode(), serialize_status(status))
        self.applier.apply(status_key(status), serialize_status(status))

    async def put_safe(self, status: Status) -> None:
        """As put, unless another worker has written this id's status in a newer generation."""
        current = self.get(status.id)
        if current is not None and current.worker_id != status.worker_id and current.generation > status.generation:
            log.debug("Ignoring stale status update %s: %s has generation %d", status, current.worker_id, current.generation)
            return
        await self.put(status)

    async def put_topic(self, status: TopicStatus) -> None:
        if status.topic in self.applier.topics.get(status.connector, {}):
            return
        key = topic_status_key(status.topic, status.connector)
        value = serialize_topic_status(status)
        await self._log().send(key.encode(), value)
        self.applier.apply(key, value)

    async def delete_topics(self, connector: str) -> None:
        for topic in list(self.applier.topics.get(connector, {})):
            await self._log().send(topic_status_key(topic, connector).encode(), None)
            self.applier.apply(topic_status_key(topic, connector), None)

    def get(self, id_: str | ConnectorTaskId) -> Status | None:
        if isinstance(id_, ConnectorTaskId):
            return self.applier.tasks.get(id_)
        return self.applier.connectors.get(id_)

    def get_all(self, connector: str) -> list[Status]:
        """The statuses of the connector's tasks, by task number."""
        return [s for t, s in sorted(self.applier.tasks.items()) if t.connector == connector]

    def topics(self, connector: str) -> list[str]:
        return sorted(self.applier.topics.get(connector, {}))

    def connectors(self) -> list[str]:
        return sorted(self.applier.connectors)
