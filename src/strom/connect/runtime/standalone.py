"""The standalone herder: one worker process, connector configs in memory (from the command line and the REST
API), source offsets in offset.storage.file.filename (Java's StandaloneHerder).

Every change runs under one lock, in order; blocking work (starting a connector, stopping task threads) runs in
a thread so the REST API stays responsive. Status lives in memory, as Kafka's standalone MemoryStatusBackingStore.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from strom.client.types import TopicPartition
from strom.connect.api import SinkConnector
from strom.connect.plugins import PluginType
from strom.connect.rest.entities import (
    ConfigInfos,
    ConnectorInfo,
    ConnectorOffset,
    ConnectorOffsets,
    ConnectorState,
    ConnectorStateInfo,
    ConnectorTaskId,
    ConnectorType,
    PluginInfo,
    State,
    TargetState,
    TaskInfo,
    TaskState,
)
from strom.connect.rest.errors import (
    AlreadyExistsException,
    BadRequestException,
    ConnectRestException,
    ForbiddenException,
    NotFoundException,
)
from strom.connect.runtime import herder as h
from strom.connect.runtime.connector_config import connector_type, plugin_config_keys, raise_if_invalid
from strom.connect.runtime.offset_store import offset_key, offset_value
from strom.connect.runtime.worker import Worker

log = logging.getLogger("org.apache.kafka.connect.runtime.standalone.StandaloneHerder")

T = TypeVar("T")


class StandaloneHerder(h.Herder):
    def __init__(self, worker: Worker, kafka_cluster_id: str = "") -> None:
        self.worker = worker
        self._cluster_id = kafka_cluster_id
        self.configs: dict[str, dict[str, str]] = {}
        self.targets: dict[str, TargetState] = {}
        self.task_config_lists: dict[str, list[dict[str, str]]] = {}
        self.connector_states: dict[str, tuple[State, str | None]] = {}
        self.task_states: dict[ConnectorTaskId, tuple[State, str | None]] = {}
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        worker.connector_listener = self._on_connector_state
        worker.task_listener = self._on_task_state
        worker.on_reconfiguration_request = self._on_reconfiguration_request

    # -- status listeners (called from task and connector threads) ------------------------------------

    def _on_connector_state(self, name: str, state: State, trace: str | None) -> None:
        if name in self.configs or state is not State.UNASSIGNED:
            self.connector_states[name] = (state, trace)

    def _on_task_state(self, task_id: ConnectorTaskId, state: State, trace: str | None) -> None:
        current = self.task_states.get(task_id)
        if state is State.UNASSIGNED and current is not None and current[0] is State.FAILED:
            return  # a failed task keeps its trace until restarted
        self.task_states[task_id] = (state, trace)

    def _on_reconfiguration_request(self, name: str) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._reconfigure(name)))

    async def _reconfigure(self, name: str) -> None:
        async with self._lock:
            if name in self.configs:
                await self._blocking(self._update_tasks, name)

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._blocking(self.worker.start)
        log.info("Herder started")

    async def stop(self) -> None:
        async with self._lock:
            log.info("Herder stopping")
            for name in list(self.configs):
                await self._blocking(self._stop_all, name)
            await self._blocking(self.worker.stop)
            log.info("Herder stopped")

    def worker_id(self) -> str:
        return self.worker.worker_id

    async def kafka_cluster_id(self) -> str:
        return self._cluster_id

    @staticmethod
    async def _blocking(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    # -- connectors -----------------------------------------------------------------------------------

    def _require(self, name: str, message: str | None = None) -> dict[str, str]:
        config = self.configs.get(name)
        if config is None:
            raise NotFoundException(message or f"Connector {name} not found")
        return config

    async def connectors(self) -> list[str]:
        return sorted(self.configs)

    def _info(self, name: str) -> ConnectorInfo:
        config = self._require(name)
        tasks = [ConnectorTaskId(name, i) for i in range(len(self.task_config_lists.get(name, [])))]
        return ConnectorInfo(name, dict(config), tasks, self._type(config))

    def _type(self, config: dict[str, str]) -> ConnectorType:
        try:
            return connector_type(self.worker.plugins.connector_class(config.get("connector.class", "")))
        except Exception:
            return ConnectorType.UNKNOWN

    async def connector_info(self, name: str) -> ConnectorInfo:
        return self._info(name)

    async def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._require(name))

    async def put_connector_config(
        self, name: str, config: dict[str, str], allow_replace: bool, initial_state: TargetState | None = None
    ) -> tuple[bool, ConnectorInfo]:
        async with self._lock:
            infos, _ = await self._blocking(self.worker.validate_connector_config, config)
            raise_if_invalid(infos)
            exists = name in self.configs
            if exists and not allow_replace:
                raise AlreadyExistsException(f"Connector {name} already exists")
            if exists:
                await self._blocking(self._stop_all, name)
            else:
                self.targets[name] = initial_state or TargetState.STARTED
            self.configs[name] = dict(config)
            await self._blocking(self._start_connector, name)
            log.info("%s connector %s", "Updated" if exists else "Created", name)
            return not exists, self._info(name)

    def _start_connector(self, name: str) -> None:
        self.worker.start_connector(name, self.configs[name], self.targets[name])
        self._update_tasks(name)

    def _update_tasks(self, name: str) -> None:
        """Regenerates task configs; when they changed, replaces the running tasks (Java's updateConnectorTasks)."""
        target = self.targets.get(name, TargetState.STARTED)
        if target is TargetState.STOPPED or not self.worker.is_running(name):
            new: list[dict[str, str]] = [] if target is TargetState.STOPPED else self.task_config_lists.get(name, [])
        else:
            try:
                new = self.worker.connector_task_configs(name)
            except Exception as exc:
                self.worker.connector_failed(name, exc)
                return
        old = self.task_config_lists.get(name)
        running = self.worker.task_ids(name)
        if old == new and (running or not new):
            return
        self._stop_tasks(name)
        self.task_config_lists[name] = new
        for task_id in [t for t in self.task_states if t.connector == name and t.task >= len(new)]:
            self.task_states.pop(task_id, None)
        self._start_tasks(name)

    def _start_tasks(self, name: str) -> None:
        target = self.targets.get(name, TargetState.STARTED)
        for i, task_config in enumerate(self.task_config_lists.get(name, [])):
            task_id = ConnectorTaskId(name, i)
            self.task_states[task_id] = (State.UNASSIGNED, None)
            self.worker.start_task(task_id, self.configs[name], task_config, target)

    def _stop_tasks(self, name: str) -> None:
        self.worker.stop_and_await_tasks(self.worker.task_ids(name))

    def _stop_all(self, name: str) -> None:
        self._stop_tasks(name)
        self.worker.stop_connector(name)

    async def delete_connector(self, name: str) -> ConnectorInfo:
        async with self._lock:
            info = self._info(name)
            await self._blocking(self._stop_all, name)
            self.configs.pop(name, None)
            self.targets.pop(name, None)
            self.task_config_lists.pop(name, None)
            self.connector_states.pop(name, None)
            for task_id in [t for t in self.task_states if t.connector == name]:
                self.task_states.pop(task_id, None)
            self.worker.active_topics.pop(name, None)
            log.info("Deleted connector %s", name)
            return info

    async def task_configs(self, name: str) -> list[TaskInfo]:
        self._require(name)
        return [TaskInfo(ConnectorTaskId(name, i), dict(c)) for i, c in enumerate(self.task_config_lists.get(name, []))]

    # -- status and life cycle ------------------------------------------------------------------------

    def _status(self, name: str) -> ConnectorStateInfo:
        config = self._require(name, f"No status found for connector {name}")
        state, trace = self.connector_states.get(name, (State.UNASSIGNED, None))
        tasks = []
        for i in range(len(self.task_config_lists.get(name, []))):
            task_state, task_trace = self.task_states.get(ConnectorTaskId(name, i), (State.UNASSIGNED, None))
            tasks.append(TaskState(i, task_state.value, self.worker_id(), task_trace))
        return ConnectorStateInfo(name, ConnectorState(state.value, self.worker_id(), trace), tasks, self._type(config))

    async def connector_status(self, name: str) -> ConnectorStateInfo:
        return self._status(name)

    async def task_status(self, task_id: ConnectorTaskId) -> TaskState:
        if task_id.connector not in self.configs or task_id.task >= len(self.task_config_lists.get(task_id.connector, [])):
            raise NotFoundException(f"No status found for task {task_id}")
        state, trace = self.task_states.get(task_id, (State.UNASSIGNED, None))
        return TaskState(task_id.task, state.value, self.worker_id(), trace)

    async def restart_connector(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> ConnectorStateInfo:
        async with self._lock:
            status = self._status(name)
            restart_connector = not only_failed or status.connector.state == State.FAILED.value
            restart_tasks = [
                ConnectorTaskId(name, t.id) for t in status.tasks if include_tasks and (not only_failed or t.state == State.FAILED.value)
            ]
            marked = ConnectorStateInfo(
                name,
                ConnectorState(State.RESTARTING.value if restart_connector else status.connector.state, self.worker_id())
                if restart_connector
                else status.connector,
                [
                    TaskState(t.id, State.RESTARTING.value, self.worker_id()) if ConnectorTaskId(name, t.id) in restart_tasks else t
                    for t in status.tasks
                ],
                status.type,
            )
            if restart_connector:
                self.connector_states[name] = (State.RESTARTING, None)
            for task_id in restart_tasks:
                self.task_states[task_id] = (State.RESTARTING, None)
            await self._blocking(self._restart, name, restart_connector, restart_tasks)
            return marked

    def _restart(self, name: str, connector: bool, tasks: list[ConnectorTaskId]) -> None:
        if tasks:
            self.worker.stop_and_await_tasks(tasks)
        if connector:
            self.worker.stop_connector(name)
            self.worker.start_connector(name, self.configs[name], self.targets[name])
        task_configs = self.task_config_lists.get(name, [])
        for task_id in tasks:
            if task_id.task < len(task_configs):
                self.task_states.pop(task_id, None)
                self.worker.start_task(task_id, self.configs[name], task_configs[task_id.task], self.targets[name])
        if connector:
            self._update_tasks(name)

    async def restart_task(self, task_id: ConnectorTaskId) -> None:
        async with self._lock:
            self._require(task_id.connector)
            task_configs = self.task_config_lists.get(task_id.connector, [])
            if task_id.task >= len(task_configs):
                raise NotFoundException(f"Task {task_id} not found")
            await self._blocking(self._restart, task_id.connector, False, [task_id])

    async def pause_connector(self, name: str) -> None:
        await self._set_target(name, TargetState.PAUSED)

    async def resume_connector(self, name: str) -> None:
        await self._set_target(name, TargetState.STARTED)

    async def stop_connector(self, name: str) -> None:
        await self._set_target(name, TargetState.STOPPED)

    async def _set_target(self, name: str, state: TargetState) -> None:
        async with self._lock:
            self._require(name, f"Unknown connector {name}")
            previous = self.targets.get(name)
            if previous is state:
                return
            self.targets[name] = state
            await self._blocking(self._apply_target, name, previous, state)

    def _apply_target(self, name: str, previous: TargetState | None, state: TargetState) -> None:
        if state is TargetState.STOPPED:
            self._stop_tasks(name)
            self.task_config_lists[name] = []
            for task_id in [t for t in self.task_states if t.connector == name]:
                self.task_states.pop(task_id, None)
            self.worker.set_target_state(name, state)
        elif previous is TargetState.STOPPED:
            self.worker.set_target_state(name, state)
            self._update_tasks(name)
        else:
            self.worker.set_target_state(name, state)

    # -- offsets (KIP-875) ----------------------------------------------------------------------------

    def _connector_cls(self, name: str) -> Any:
        return self.worker.plugins.connector_class(self._require(name)["connector.class"])

    async def connector_offsets(self, name: str) -> ConnectorOffsets:
        cls = self._connector_cls(name)
        if issubclass(cls, SinkConnector):
            committed = await self._sink_offsets(name)
            return ConnectorOffsets(
                [
                    ConnectorOffset({"kafka_topic": tp.topic, "kafka_partition": tp.partition}, {"kafka_offset": tp.offset})
                    for tp in committed
                    if tp.offset >= 0
                ]
            )
        stored = await self._blocking(self.worker.offset_store.connector_offsets, name)
        return ConnectorOffsets([ConnectorOffset(p, o) for p, o in stored.values()])

    async def _sink_offsets(self, name: str) -> list[TopicPartition]:
        from strom.aio import AIOAdminClient

        admin = AIOAdminClient(self.worker.admin_config(self.configs.get(name)))
        try:
            return await admin.list_consumer_group_offsets(f"connect-{name}")
        finally:
            await admin.close()

    def _require_stopped(self, name: str) -> None:
        self._require(name)
        if self.targets.get(name) is not TargetState.STOPPED:
            raise BadRequestException(h.not_stopped_message(name))

    async def alter_connector_offsets(self, name: str, offsets: list[ConnectorOffset]) -> str:
        async with self._lock:
            self._require_stopped(name)
            cls = self._connector_cls(name)
            config = self.configs[name]
            if issubclass(cls, SinkConnector):
                return await self._alter_sink_offsets(name, cls, config, offsets)
            pairs = [(o.partition, o.offset) for o in offsets]
            confirmed = await self._blocking(lambda: cls().alter_offsets(config, pairs))
            values = {offset_key(name, p): offset_value(o) for p, o in pairs}
            await self._blocking(self.worker.offset_store.set, values)
            return h.OFFSETS_ALTERED if confirmed else h.OFFSETS_ALTERED_FRAMEWORK_ONLY

    async def _alter_sink_offsets(self, name: str, cls: type, config: dict[str, str], offsets: list[ConnectorOffset]) -> str:
        from strom.aio import AIOAdminClient

        parsed: dict[TopicPartition, int | None] = {}
        for o in offsets:
            topic, partition = o.partition.get("kafka_topic"), o.partition.get("kafka_partition")
            if not isinstance(topic, str) or not isinstance(partition, int) or isinstance(partition, bool):
                raise BadRequestException(
                    "Kafka partitions must be provided as 'kafka_topic' (string) and 'kafka_partition' (integer) "
                    "in the partition of each offset"
                )
            value = None if o.offset is None else o.offset.get("kafka_offset")
            if o.offset is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise BadRequestException("Kafka offsets must be provided as a non-negative integer 'kafka_offset' in each offset")
            parsed[TopicPartition(topic, partition)] = value
        confirmed = await self._blocking(lambda: cls().alter_offsets(config, parsed))
        to_set = [TopicPartition(tp.topic, tp.partition, off) for tp, off in parsed.items() if off is not None]
        admin = AIOAdminClient(self.worker.admin_config(config))
        try:
            if to_set:
                await admin.alter_consumer_group_offsets(f"connect-{name}", to_set)
            to_delete = [(tp.topic, tp.partition) for tp, off in parsed.items() if off is None]
            if to_delete:
                from strom.client.admin import delete_committed_offsets

                code, per_partition = await delete_committed_offsets(admin, f"connect-{name}", to_delete)
                failed = {tp: c for tp, c in per_partition.items() if c} or ({("*", -1): code} if code else {})
                if failed:
                    raise ConnectRestException(500, f"Failed to delete consumer group offsets of connector {name}: error codes {failed}")
        finally:
            await admin.close()
        return h.OFFSETS_ALTERED if confirmed else h.OFFSETS_ALTERED_FRAMEWORK_ONLY

    async def reset_connector_offsets(self, name: str) -> str:
        async with self._lock:
            self._require_stopped(name)
            cls = self._connector_cls(name)
            config = self.configs[name]
            if issubclass(cls, SinkConnector):
                from strom.aio import AIOAdminClient

                current = await self._sink_offsets(name)
                confirmed = await self._blocking(
                    lambda: cls().alter_offsets(config, {TopicPartition(t.topic, t.partition): None for t in current})
                )
                admin = AIOAdminClient(self.worker.admin_config(config))
                try:
                    result = await admin.delete_consumer_groups([f"connect-{name}"])
                finally:
                    await admin.close()
                error = result.get(f"connect-{name}")
                if error is not None and "GROUP_ID_NOT_FOUND" not in str(error):
                    raise ConnectRestException(500, f"Failed to reset offsets for connector {name}: {error}")
            else:
                stored = await self._blocking(self.worker.offset_store.connector_offsets, name)
                pairs = [(p, None) for p, _ in stored.values()]
                confirmed = await self._blocking(lambda: cls().alter_offsets(config, pairs))
                await self._blocking(self.worker.offset_store.set, dict.fromkeys(stored))
            return h.OFFSETS_RESET if confirmed else h.OFFSETS_RESET_FRAMEWORK_ONLY

    # -- topics, plugins, validation ------------------------------------------------------------------

    async def connector_active_topics(self, name: str) -> list[str]:
        if not self.worker.config.get_bool("topic.tracking.enable"):
            raise ForbiddenException("Topic tracking is disabled.")
        return sorted(self.worker.active_topics.get(name, set()))

    async def reset_connector_active_topics(self, name: str) -> None:
        if not self.worker.config.get_bool("topic.tracking.enable"):
            raise ForbiddenException("Topic tracking is disabled.")
        if not self.worker.config.get_bool("topic.tracking.allow.reset"):
            raise ForbiddenException("Topic tracking reset is disabled.")
        self._require(name)
        self.worker.active_topics.pop(name, None)

    def plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        plugins = self.worker.plugins.connector_plugins() if connectors_only else self.worker.plugins.all_plugins()
        return [PluginInfo(p.class_name, p.type.value, p.version) for p in plugins]

    async def validate_config(self, config: dict[str, str], plugin: str | None = None) -> ConfigInfos:
        infos, _ = await self._blocking(self.worker.validate_connector_config, config)
        return infos

    def plugin_config(self, plugin: str) -> list[dict[str, object]]:
        plugins = self.worker.plugins
        try:
            cls = plugins.plugin_class(plugin)
        except Exception:
            raise NotFoundException(f"Unknown plugin {plugin}.") from None
        from strom.connect.plugins import plugin_type

        kind = plugin_type(cls)
        if kind is PluginType.UNKNOWN:
            raise NotFoundException(f"Unknown plugin {plugin}.")
        return plugin_config_keys(cls)
