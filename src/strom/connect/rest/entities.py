"""The JSON bodies of Kafka Connect's REST API (Java's runtime.rest.entities), as frozen dataclasses.

Each entity knows its JSON form (`to_json`), with Kafka's field names and order, so the REST layer, the
distributed herder's leader forwarding and the tests share one definition of every body."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ConnectorType(enum.Enum):
    SOURCE = "source"
    SINK = "sink"
    UNKNOWN = "unknown"


class TargetState(enum.Enum):
    """What the user asked a connector to be (Java's TargetState); STARTED shows as RUNNING in status."""

    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"


class State(enum.Enum):
    """A connector's or task's status (Java's AbstractStatus.State)."""

    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    FAILED = "FAILED"
    DESTROYED = "DESTROYED"
    RESTARTING = "RESTARTING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True, order=True)
class ConnectorTaskId:
    connector: str
    task: int

    def __str__(self) -> str:  # Java's toString: "name-0", used in messages and status keys
        return f"{self.connector}-{self.task}"

    def to_json(self) -> dict[str, Any]:
        return {"connector": self.connector, "task": self.task}

    @staticmethod
    def from_json(body: dict[str, Any]) -> ConnectorTaskId:
        return ConnectorTaskId(str(body["connector"]), int(body["task"]))


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    name: str
    config: dict[str, str]
    tasks: list[ConnectorTaskId]
    type: ConnectorType

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": dict(self.config),
            "tasks": [t.to_json() for t in self.tasks],
            "type": self.type.value,
        }

    @staticmethod
    def from_json(body: dict[str, Any]) -> ConnectorInfo:
        return ConnectorInfo(
            body["name"],
            dict(body.get("config") or {}),
            [ConnectorTaskId.from_json(t) for t in body.get("tasks") or []],
            ConnectorType(body.get("type") or "unknown"),
        )


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: ConnectorTaskId
    config: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id.to_json(), "config": dict(self.config)}


@dataclass(frozen=True, slots=True)
class ConnectorState:
    """The connector's own entry in a status body; `trace` only when it failed."""

    state: str
    worker_id: str
    trace: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"state": self.state, "worker_id": self.worker_id}
        if self.trace is not None:
            body["trace"] = self.trace
        return body


@dataclass(frozen=True, slots=True)
class TaskState:
    id: int
    state: str
    worker_id: str
    trace: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "state": self.state, "worker_id": self.worker_id}
        if self.trace is not None:
            body["trace"] = self.trace
        return body


@dataclass(frozen=True, slots=True)
class ConnectorStateInfo:
    name: str
    connector: ConnectorState
    tasks: list[TaskState]
    type: ConnectorType

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "connector": self.connector.to_json(),
            "tasks": [t.to_json() for t in self.tasks],
            "type": self.type.value,
        }


@dataclass(frozen=True, slots=True)
class ConnectorOffset:
    """One source partition (or sink topic partition) and its offset, as KIP-875's offsets endpoints show them."""

    partition: dict[str, Any]
    offset: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"partition": self.partition, "offset": self.offset}


@dataclass(frozen=True, slots=True)
class ConnectorOffsets:
    offsets: list[ConnectorOffset] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"offsets": [o.to_json() for o in self.offsets]}


@dataclass(frozen=True, slots=True)
class PluginInfo:
    class_name: str
    type: str
    version: str

    def to_json(self) -> dict[str, Any]:
        return {"class": self.class_name, "type": self.type, "version": self.version}


@dataclass(frozen=True, slots=True)
class ConfigKeyInfo:
    """A config key's definition in a validate response (Java's ConfigKeyInfo)."""

    name: str
    type: str
    required: bool
    default_value: str | None
    importance: str
    documentation: str
    group: str | None
    order_in_group: int
    width: str
    display_name: str
    dependents: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default_value": self.default_value,
            "importance": self.importance,
            "documentation": self.documentation,
            "group": self.group,
            "width": self.width,
            "display_name": self.display_name,
            "dependents": list(self.dependents),
            "order": self.order_in_group,
        }


@dataclass(frozen=True, slots=True)
class ConfigValueInfo:
    name: str
    value: str | None
    recommended_values: list[str]
    errors: list[str]
    visible: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "recommended_values": list(self.recommended_values),
            "errors": list(self.errors),
            "visible": self.visible,
        }


@dataclass(frozen=True, slots=True)
class ConfigInfo:
    definition: ConfigKeyInfo | None
    value: ConfigValueInfo

    def to_json(self) -> dict[str, Any]:
        return {"definition": None if self.definition is None else self.definition.to_json(), "value": self.value.to_json()}


@dataclass(frozen=True, slots=True)
class ConfigInfos:
    """The body of PUT /connector-plugins/{plugin}/config/validate."""

    name: str
    error_count: int
    groups: list[str]
    configs: list[ConfigInfo]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "error_count": self.error_count,
            "groups": list(self.groups),
            "configs": [c.to_json() for c in self.configs],
        }

    def error_messages(self) -> list[str]:
        return [msg for c in self.configs for msg in c.value.errors]
