"""The Herder: what the REST API asks of a Connect cluster (Java's org.apache.kafka.connect.runtime.Herder).

StandaloneHerder (one process, configs in memory, offsets in a file) and DistributedHerder (configs, offsets
and status in Kafka topics, work spread by the `connect` group protocol) both implement it. Every call is a
coroutine on the worker's event loop, so the REST app awaits it directly and a distributed herder can forward
a write to the leader without blocking. Failures raise the exceptions of strom.connect.rest.errors, which carry
Kafka's HTTP status and message texts; a write that only the leader may perform raises NotLeaderException and
the REST layer forwards it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from strom.connect.rest.entities import (
    ConfigInfos,
    ConnectorInfo,
    ConnectorOffset,
    ConnectorOffsets,
    ConnectorStateInfo,
    ConnectorTaskId,
    PluginInfo,
    TargetState,
    TaskInfo,
    TaskState,
)
from strom.connect.rest.errors import ConnectRestException

# The messages KIP-875's offset endpoints answer with (200 OK, {"message": ...}).
OFFSETS_ALTERED = "The offsets for this connector have been altered successfully"
OFFSETS_ALTERED_FRAMEWORK_ONLY = (
    "The Connect framework-managed offsets for this connector have been altered successfully. However, if this "
    "connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
)
OFFSETS_RESET = "The offsets for this connector have been reset successfully"
OFFSETS_RESET_FRAMEWORK_ONLY = (
    "The Connect framework-managed offsets for this connector have been reset successfully. However, if this "
    "connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)


def not_stopped_message(connector: str) -> str:
    """Kafka's 400 text for an offsets write on a connector that is not STOPPED."""
    return (
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
        f"specified connector by issuing a 'PUT' request to the '/connectors/{connector}/stop' endpoint"
    )


class Herder(ABC):
    """The control plane of a Connect worker: connector configs, their life cycle and status."""

    @abstractmethod
    async def start(self) -> None:
        """Starts the worker and (re)starts the connectors this herder already knows."""

    @abstractmethod
    async def stop(self) -> None:
        """Stops every connector and task, flushing offsets, and releases the worker's clients."""

    @abstractmethod
    def worker_id(self) -> str:
        """This worker's id in status bodies (Kafka: `host:port` of its REST listener)."""

    @abstractmethod
    async def kafka_cluster_id(self) -> str:
        """The Kafka cluster id GET / shows."""

    # -- connectors -----------------------------------------------------------------------------------

    @abstractmethod
    async def connectors(self) -> list[str]:
        """Names of all connectors, sorted."""

    @abstractmethod
    async def connector_info(self, name: str) -> ConnectorInfo:
        """Raises NotFoundException("Connector <name> not found")."""

    @abstractmethod
    async def connector_config(self, name: str) -> dict[str, str]:
        """Raises NotFoundException("Connector <name> not found")."""

    @abstractmethod
    async def put_connector_config(
        self, name: str, config: dict[str, str], allow_replace: bool, initial_state: TargetState | None = None
    ) -> tuple[bool, ConnectorInfo]:
        """Validates and stores a connector config and starts (or reconfigures) it. Returns (created, info).

        Raises AlreadyExistsException when the connector exists and not allow_replace, BadRequestException when the
        config does not validate (Kafka's "Connector configuration is invalid and contains the following N error(s):"
        text). `initial_state` (KIP-980) applies to a new connector only."""

    @abstractmethod
    async def delete_connector(self, name: str) -> ConnectorInfo:
        """Stops the connector and its tasks and removes its config. Returns its last info."""

    @abstractmethod
    async def task_configs(self, name: str) -> list[TaskInfo]:
        """The configs the connector generated for its tasks."""

    # -- status and life cycle ------------------------------------------------------------------------

    @abstractmethod
    async def connector_status(self, name: str) -> ConnectorStateInfo:
        """Raises NotFoundException("No status found for connector <name>")."""

    @abstractmethod
    async def task_status(self, task_id: ConnectorTaskId) -> TaskState:
        """Raises NotFoundException("No status found for task <name>-<n>")."""

    @abstractmethod
    async def restart_connector(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> ConnectorStateInfo:
        """Restarts the connector (and with include_tasks its tasks; with only_failed only FAILED instances).
        Returns the status with the instances being restarted marked RESTARTING."""

    @abstractmethod
    async def restart_task(self, task_id: ConnectorTaskId) -> None:
        """Raises NotFoundException("Task <name>-<n> not found")."""

    @abstractmethod
    async def pause_connector(self, name: str) -> None:
        """Target state PAUSED: tasks stay assigned but stop polling/consuming."""

    @abstractmethod
    async def resume_connector(self, name: str) -> None:
        """Target state STARTED."""

    @abstractmethod
    async def stop_connector(self, name: str) -> None:
        """Target state STOPPED (KIP-875): connector and tasks shut down, their task configs emptied."""

    # -- offsets (KIP-875) ----------------------------------------------------------------------------

    @abstractmethod
    async def connector_offsets(self, name: str) -> ConnectorOffsets:
        """Source connectors: the stored source partitions/offsets. Sink connectors: the consumer group's
        committed offsets as {"kafka_topic","kafka_partition"} / {"kafka_offset"}."""

    @abstractmethod
    async def alter_connector_offsets(self, name: str, offsets: list[ConnectorOffset]) -> str:
        """Writes offsets (a null offset removes a partition) of a STOPPED connector; returns the message for the
        200 body. Raises BadRequestException(not_stopped_message(name)) when the connector is not STOPPED."""

    @abstractmethod
    async def reset_connector_offsets(self, name: str) -> str:
        """Removes all offsets of a STOPPED connector; returns the message for the 200 body."""

    # -- topics, plugins, validation ------------------------------------------------------------------

    @abstractmethod
    async def connector_active_topics(self, name: str) -> list[str]:
        """Topics the connector's tasks produced to or consumed from since it was created or last reset (KIP-558)."""

    @abstractmethod
    async def reset_connector_active_topics(self, name: str) -> None:
        """Forgets the connector's active topics."""

    @abstractmethod
    def plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        """Installed plugins for GET /connector-plugins (connectors only, or also converters and transforms)."""

    @abstractmethod
    async def validate_config(self, config: dict[str, str], plugin: str | None = None) -> ConfigInfos:
        """Validates a connector config: the connector's own ConfigDef and the framework's keys (name,
        connector.class, tasks.max, converters, transforms, errors.*). `plugin` is the class named in the URL of
        PUT /connector-plugins/{plugin}/config/validate; the config's connector.class wins when both are given."""

    @abstractmethod
    def plugin_config(self, plugin: str) -> list[dict[str, object]]:
        """GET /connector-plugins/{plugin}/config (KIP-769): the plugin's config keys as ConfigKeyInfo JSON."""

    # -- internal requests between workers --------------------------------------------------------------

    async def put_task_configs(
        self, name: str, configs: list[dict[str, str]], body: bytes, signature: str | None, algorithm: str | None
    ) -> None:
        """POST /connectors/{name}/tasks (internal): the task configs a worker running the connector sends the
        leader, signed with the cluster's session key (KIP-507). Only a distributed herder accepts them."""
        raise ConnectRestException(500, "Kafka Connect in standalone mode does not support externally setting task configurations.")

    async def fence_zombie_source_tasks(self, name: str, body: bytes, signature: str | None, algorithm: str | None) -> None:
        """PUT /connectors/{name}/fence (internal, KIP-618): a worker starting exactly-once source tasks asks the
        leader to fence the connector's earlier task generations. Only a distributed herder does it."""
        raise ConnectRestException(500, "Exactly-once source support is not available in standalone mode")
