"""The distributed herder: workers sharing connectors and tasks through Kafka (Java's DistributedHerder).

State lives in three compacted topics every worker reads: configs (config.storage.topic, one partition, written by
the group leader for REST writes), statuses (status.storage.topic, each worker writes what it runs) and source
offsets (offset.storage.topic). Workers form the group `group.id` with the `connect` protocol; after each
rebalance a worker reads the config topic up to the offset the leader assigned from, stops what was revoked and
starts what was assigned (KIP-415: only moved work stops). A REST write that only the leader may do raises
NotLeaderException on the others; the REST layer forwards it to the leader's URL.

One asyncio task runs the herder loop (Kafka's tick): rebalance when asked to, apply config-topic changes, and
regenerate the task configs of connectors this worker runs when they ask for it. Blocking worker calls (starting
a connector, stopping task threads) run in threads. A connector's task configs are written by the worker that
runs the connector, once it has read the config topic to its end; the single-partition topic orders them with
the leader's writes.

With exactly.once.source.support=enabled only the leader writes the config topic, as Kafka's workers do: another
worker sends the task configs of the connectors it runs to the leader, and the leader runs the rounds of zombie
fencing (KIP-618) that exactly-once source tasks ask for before they produce. Nothing that waits for another worker
runs on the herder loop: the task configs are sent from a background task, and a fencing request is waited for by
the task's own thread, so a rebalance never waits for a worker that waits for the leader."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from strom.aio import AIOAdminClient
from strom.client.types import TopicPartition
from strom.connect.api import SinkConnector
from strom.connect.errors import ConnectException
from strom.connect.plugins import PluginType, plugin_type
from strom.connect.rest.client import rest_client, signature_headers
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
    NotLeaderException,
)
from strom.connect.runtime import herder as h
from strom.connect.runtime.config_store import (
    ClusterConfigState,
    ConfigUpdateListener,
    KafkaConfigBackingStore,
    RestartRequest,
    SessionKey,
)
from strom.connect.runtime.connect_protocol import (
    ConnectProtocolCompatibility,
    ExtendedAssignment,
    WorkerState,
)
from strom.connect.runtime.connector_config import config_key_infos, connector_type, raise_if_invalid
from strom.connect.runtime.incremental_cooperative_assignor import IncrementalCooperativeAssignor, eager_assignment
from strom.connect.runtime.kafka_based_log import client_config
from strom.connect.runtime.kafka_offset_store import KafkaOffsetBackingStore
from strom.connect.runtime.offset_store import offset_key, offset_value
from strom.connect.runtime.status_store import KafkaStatusBackingStore, Status, TopicStatus
from strom.connect.runtime.worker import Worker
from strom.connect.runtime.worker_coordinator import WorkerCoordinator
from strom.connect.runtime.zombie_fencing import ZombieFencing, fence_producers

log = logging.getLogger("org.apache.kafka.connect.runtime.distributed.DistributedHerder")

T = TypeVar("T")

# DistributedConfig's keys and Kafka's defaults
DISTRIBUTED_DEFAULTS: dict[str, str] = {
    "session.timeout.ms": "10000",
    "heartbeat.interval.ms": "3000",
    "rebalance.timeout.ms": "60000",
    "retry.backoff.ms": "100",
    "worker.sync.timeout.ms": "3000",
    "worker.unsync.backoff.ms": "300000",
    "connect.protocol": "sessioned",
    "inter.worker.key.ttl.ms": "3600000",
    "scheduled.rebalance.max.delay.ms": "300000",
    "config.storage.replication.factor": "3",
    "offset.storage.replication.factor": "3",
    "offset.storage.partitions": "25",
    "status.storage.replication.factor": "3",
    "status.storage.partitions": "5",
}
SIGNATURE_ALGORITHM = "HmacSHA256"  # inter.worker.signature.algorithm / key.generation.algorithm defaults
REQUIRED = ("group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic")


class DistributedConfig:
    """The distributed worker's keys over the worker config (Kafka's DistributedConfig)."""

    def __init__(self, props: Mapping[str, str]) -> None:
        missing = [k for k in REQUIRED if not props.get(k)]
        if missing:
            raise ValueError(f'Missing required configuration "{missing[0]}" which has no default value.')
        self.props = {**DISTRIBUTED_DEFAULTS, **props}
        self.compatibility = ConnectProtocolCompatibility.from_name(self.props["connect.protocol"])

    def int(self, key: str) -> int:
        return int(self.props[key])

    def __getitem__(self, key: str) -> str:
        return self.props[key]


@dataclass
class _Pending:
    """Config-topic changes heard since the loop last looked (Kafka's connectorConfigUpdates & co)."""

    connectors: set[str]
    task_connectors: set[str]
    targets: set[str]
    restarts: dict[str, RestartRequest]


class DistributedHerder(h.Herder):
    def __init__(self, worker: Worker, config: DistributedConfig, url: str, kafka_cluster_id: str = "") -> None:
        if not isinstance(worker.offset_store, KafkaOffsetBackingStore):
            raise TypeError("a distributed worker keeps its offsets in a KafkaOffsetBackingStore")
        self.worker = worker
        self.config = config
        self.url = url
        self._cluster_id = kafka_cluster_id
        conf = client_config(worker.config.props)
        conf.setdefault("client.id", f"connect-{config['group.id']}")
        self.offset_store: KafkaOffsetBackingStore = worker.offset_store
        self.pending = _Pending(set(), set(), set(), {})
        listener = ConfigUpdateListener(
            on_connector_config_update=self._heard_connector,
            on_connector_config_remove=self._heard_connector,
            on_task_config_update=self._heard_tasks,
            on_connector_target_state_change=self._heard_target,
            on_restart_request=self._heard_restart,
        )
        self.config_store = KafkaConfigBackingStore.for_topic(
            config["config.storage.topic"], conf, config.int("config.storage.replication.factor"), listener
        )
        self.status_store = KafkaStatusBackingStore.for_topic(
            config["status.storage.topic"], conf, config.int("status.storage.partitions"), config.int("status.storage.replication.factor")
        )
        self.status_store.applier.on_topic_reset = self._topic_reset
        self.assignor = IncrementalCooperativeAssignor(config.int("scheduled.rebalance.max.delay.ms"))
        # the membership's connections, with the worker's security settings
        self._membership_admin = AIOAdminClient({**conf, "client.id": f"{conf['client.id']}-coordinator"})
        self.coordinator = WorkerCoordinator(
            self._membership_admin.cluster,
            config["group.id"],
            config.compatibility,
            config.int("session.timeout.ms"),
            config.int("rebalance.timeout.ms"),
            config.int("heartbeat.interval.ms"),
            config.int("retry.backoff.ms"),
            self._metadata,
            self._assign,
        )
        self.snapshot: ClusterConfigState = self.config_store.snapshot()
        self._seen: ClusterConfigState = self.snapshot  # the state config-topic changes are compared with
        self.connectors_running: set[str] = set()
        self.tasks_running: set[ConnectorTaskId] = set()
        self.generation = -1
        self.leader = False
        self.leader_url: str | None = None
        self.leader_id: str | None = None
        self.owners: dict[ConnectorTaskId | str, str] = {}  # the leader's view: work -> member URL
        self.compatibility = config.compatibility
        self._needs_reconfig: set[str] = set()
        self._running_configs: dict[str | ConnectorTaskId, dict[str, str]] = {}  # the config each started with
        self._rejoin_at: float | None = None
        self._wakeup = asyncio.Event()
        self._joined = asyncio.Event()  # set while this worker holds a completed assignment
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._status_queue: asyncio.Queue[Status] = asyncio.Queue()
        self._status_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one membership change or config write at a time
        self._stopping = False
        self.exactly_once = (worker.config.get("exactly.once.source.support") or "disabled").strip().lower() == "enabled"
        self._fencings: dict[str, ZombieFencing] = {}  # the leader's rounds under way, by connector
        self._forwards: set[asyncio.Task[None]] = set()  # task configs on their way to the leader
        self.rest_props: Mapping[str, str] = worker.config.props  # the REST client's TLS keys (the worker's file)
        worker.connector_listener = self._on_connector_state
        worker.task_listener = self._on_task_state
        worker.on_reconfiguration_request = self._on_reconfiguration_request

    # -- listeners: config topic (on the loop), worker (from threads) ----------------------------------------

    def _heard_connector(self, name: str) -> None:
        self.pending.connectors.add(name)
        self._wakeup.set()

    def _heard_tasks(self, name: str, tasks: list[ConnectorTaskId]) -> None:
        self.pending.task_connectors.add(name)
        self._wakeup.set()

    def _heard_target(self, name: str) -> None:
        self.pending.targets.add(name)
        self._wakeup.set()

    def _heard_restart(self, request: RestartRequest) -> None:
        self.pending.restarts[request.connector] = request
        self._wakeup.set()

    def _from_thread(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            if asyncio.get_running_loop() is loop:
                fn()
                return
        except RuntimeError:
            pass
        loop.call_soon_threadsafe(fn)

    def _on_connector_state(self, name: str, state: State, trace: str | None) -> None:
        if state is State.UNASSIGNED and not self.snapshot.contains(name):
            return  # a deleted connector stopping: its status was removed
        status = Status(name, None, state.value, self.worker.worker_id, self.generation, trace)
        self._from_thread(lambda: self._status_queue.put_nowait(status))

    def _on_task_state(self, task_id: ConnectorTaskId, state: State, trace: str | None) -> None:
        if state is State.UNASSIGNED and not self.snapshot.contains(task_id.connector):
            return
        status = Status(task_id.connector, task_id.task, state.value, self.worker.worker_id, self.generation, trace)
        self._from_thread(lambda: self._status_queue.put_nowait(status))

    def _on_reconfiguration_request(self, name: str) -> None:
        def mark() -> None:
            self._needs_reconfig.add(name)
            self._wakeup.set()

        self._from_thread(mark)

    async def _write_statuses(self) -> None:
        while True:
            status = await self._status_queue.get()
            try:
                if status.state == State.UNASSIGNED.value:
                    await self.status_store.put_safe(status)
                else:
                    await self.status_store.put(status)
            except Exception:
                log.exception("Failed to write status %s", status)

    # -- life cycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.offset_store.start_async()
        await self.status_store.start()
        await self.config_store.start()
        self.snapshot = self._seen = self.config_store.snapshot()
        await asyncio.to_thread(self.worker.start)
        self._status_task = asyncio.ensure_future(self._write_statuses())
        self._task = asyncio.ensure_future(self._run())
        log.info("Herder started: worker %s in group %s", self.worker.worker_id, self.config["group.id"])

    async def stop(self) -> None:
        log.info("Herder stopping")
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for fencing in list(self._fencings.values()):
            fencing.cancel()
        for forward in list(self._forwards):
            forward.cancel()
        await asyncio.gather(*self._forwards, return_exceptions=True)
        async with self._lock:
            await self._stop_work(set(self.connectors_running), set(self.tasks_running))
            await self.coordinator.close()
            await asyncio.to_thread(self.worker.stop)
        await self._drain_statuses()
        if self._status_task is not None:
            self._status_task.cancel()
            await asyncio.gather(self._status_task, return_exceptions=True)
        await self.config_store.stop()
        await self.status_store.stop()
        await self.offset_store.stop_async()
        log.info("Herder stopped")

    async def _drain_statuses(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._status_queue.empty() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def worker_id(self) -> str:
        return self.worker.worker_id

    async def kafka_cluster_id(self) -> str:
        return self._cluster_id

    # -- the herder loop ----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if self._rejoin_at is not None and time.monotonic() >= self._rejoin_at:
                    self._rejoin_at = None
                    self.coordinator.request_rejoin("the scheduled rebalance delay expired")
                if self.coordinator.rejoin_requested.is_set():
                    async with self._lock:
                        await self._rebalance()
                    continue
                async with self._lock:
                    await self._apply_config_changes()
                    await self._reconfigure_connectors()
                    await self._maybe_write_session_key()
                await self._publish_active_topics()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Unexpected exception in the herder loop")
                await asyncio.sleep(self.config.int("retry.backoff.ms") / 1000)
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), 0.25)
            except TimeoutError:
                pass

    def _metadata(self) -> WorkerState:
        """What this worker runs now, for the leader's view (null when nothing, as Kafka sends it)."""
        offset = self.config_store.snapshot().offset
        if not self.connectors_running and not self.tasks_running:
            return WorkerState(self.url, offset)
        current = ExtendedAssignment(
            max(self.compatibility.protocol_version, 1),
            0,
            self.leader_id or "",
            self.leader_url or "",
            self.snapshot.offset,
            tuple(sorted(self.connectors_running)),
            tuple(sorted(self.tasks_running)),
        )
        return WorkerState(self.url, offset, current)

    async def _assign(
        self, leader: str, compatibility: ConnectProtocolCompatibility, members: dict[str, WorkerState], generation: int
    ) -> dict[str, ExtendedAssignment]:
        """The leader's job: read the config topic to its end, then assign (Kafka's performAssignment)."""
        await self.config_store.refresh()
        snapshot = self.config_store.snapshot()
        if compatibility is ConnectProtocolCompatibility.EAGER:
            result = eager_assignment(leader, self.url, snapshot.offset, snapshot, members)
        else:
            result = self.assignor.perform_assignment(
                leader,
                self.url,
                snapshot.offset,
                snapshot,
                members,
                generation,
                self.coordinator.last_completed_generation,
                compatibility.protocol_version,
                int(time.time() * 1000),
            )
        owners: dict[ConnectorTaskId | str, str] = {}
        for member, assignment in result.items():
            state = members[member].assignment
            url = members[member].url
            for c in (*state.connectors, *assignment.connectors):
                if c not in assignment.revoked_connectors:
                    owners[c] = url
            for t in (*state.tasks, *assignment.tasks):
                if t not in assignment.revoked_tasks:
                    owners[t] = url
        self.owners = owners
        return result

    async def _rebalance(self) -> None:
        if self.compatibility is ConnectProtocolCompatibility.EAGER:
            await self._stop_work(set(self.connectors_running), set(self.tasks_running))  # eager: revoke all first
        self._joined.clear()
        result = await self.coordinator.join()
        a = result.assignment
        self.compatibility = result.compatibility
        self.generation = result.generation
        self.leader = result.leader
        self.leader_url = a.leader_url
        self.leader_id = a.leader
        if a.failed:
            log.info("Rebalance failed: the leader is behind in the config topic; reading it and rejoining")
            await self.config_store.refresh()
            self.coordinator.request_rejoin("config offset mismatch")
            return
        if not await self._read_config_to(a.offset):
            self.coordinator.request_rejoin("behind in the config topic")
            return
        if result.compatibility is ConnectProtocolCompatibility.EAGER:
            revoked_c, revoked_t = self.connectors_running - set(a.connectors), self.tasks_running - set(a.tasks)
        else:
            revoked_c, revoked_t = set(a.revoked_connectors), set(a.revoked_tasks)
        await self._stop_work(revoked_c & self.connectors_running, revoked_t & self.tasks_running)
        log.info(
            "Joined generation %d (leader %s): assigned connectors %s tasks %s, revoked connectors %s tasks %s, delay %d ms",
            self.generation,
            a.leader_url,
            list(a.connectors),
            [str(t) for t in a.tasks],
            sorted(revoked_c),
            sorted(str(t) for t in revoked_t),
            a.delay,
        )
        if self.snapshot.offset <= a.offset:
            # the assignment reflects everything read so far; what arrived after the leader's offset stays pending,
            # so the next look at the changes asks for another rebalance
            self.pending.connectors.clear()
            self.pending.task_connectors.clear()
            self._seen = self.snapshot
        for name in a.connectors:
            if name not in self.connectors_running:
                await self._start_connector(name)
        for task in a.tasks:
            if task not in self.tasks_running:
                await self._start_task(task)
        await self._restart_changed()  # kept work whose config changed while the group rebalanced
        if (revoked_c or revoked_t) and result.compatibility is not ConnectProtocolCompatibility.EAGER:
            self.coordinator.request_rejoin("work was revoked: the follow-up rebalance assigns it")
        self._rejoin_at = time.monotonic() + a.delay / 1000 if a.delay > 0 else None
        self._joined.set()

    async def _read_config_to(self, offset: int) -> bool:
        """Reads the config topic up to the offset the leader assigned from, for worker.sync.timeout.ms."""
        deadline = time.monotonic() + self.config.int("worker.sync.timeout.ms") / 1000
        while True:
            await self.config_store.refresh()
            self.snapshot = self.config_store.snapshot()
            if self.snapshot.offset >= offset:
                return True
            if time.monotonic() > deadline:
                log.warning("Could not read the config topic to offset %d (at %d): rejoining", offset, self.snapshot.offset)
                return False
            await asyncio.sleep(0.1)

    # -- running work ---------------------------------------------------------------------------------------

    def _target(self, name: str) -> TargetState:
        return TargetState(self.snapshot.target_state(name))

    async def _start_connector(self, name: str) -> None:
        config = self.snapshot.connector_configs.get(name)
        if config is None:
            log.warning("Not starting connector %s: it has no config", name)
            return
        self.connectors_running.add(name)
        self._running_configs[name] = dict(config)
        await asyncio.to_thread(self.worker.start_connector, name, dict(config), self._target(name))
        self._needs_reconfig.add(name)

    async def _start_task(self, task: ConnectorTaskId) -> None:
        cconf = self.snapshot.connector_configs.get(task.connector)
        tconf = self.snapshot.task_config(task)
        if cconf is None or tconf is None:
            log.warning("Not starting task %s: its config is gone", task)
            return
        self.tasks_running.add(task)
        self._running_configs[task] = dict(tconf)
        preflight = None
        if self.exactly_once and self._type(cconf) is ConnectorType.SOURCE:
            generation = self.snapshot.task_config_generation(task.connector)
            preflight = (
                lambda: self._wait_from_task(task, lambda: self._fence_for_task(task)),
                lambda: self._wait_from_task(task, lambda: self._verify_task_generation_and_ownership(task, generation)),
            )
        await asyncio.to_thread(self.worker.start_task, task, dict(cconf), dict(tconf), self._target(task.connector), preflight)

    async def _stop_work(self, connectors: set[str], tasks: set[ConnectorTaskId]) -> None:
        if tasks:
            await asyncio.to_thread(self.worker.stop_and_await_tasks, sorted(tasks))
            self.tasks_running -= tasks
            for task in tasks:
                self._running_configs.pop(task, None)
        for name in sorted(connectors):
            await asyncio.to_thread(self.worker.stop_connector, name)
            self.connectors_running.discard(name)
            self._running_configs.pop(name, None)
            self._needs_reconfig.discard(name)

    async def _restart_changed(self) -> None:
        """Restarts what runs here with a config older than the config topic's: a changed connector config
        restarts the connector, changed task configs the tasks (whether the change was read before or during a
        rebalance)."""
        snap = self.snapshot
        for name in sorted(self.connectors_running):
            config = snap.connector_configs.get(name)
            if config is not None and dict(config) != self._running_configs.get(name):
                log.info("Restarting connector %s with its new config", name)
                await self._stop_work({name}, set())
                await self._start_connector(name)
        changed = sorted(
            t for t in self.tasks_running if (c := snap.task_config(t)) is not None and dict(c) != self._running_configs.get(t)
        )
        if changed:
            log.info("Restarting tasks %s with their new configs", [str(t) for t in changed])
            await self._stop_work(set(), set(changed))
            for task in changed:
                await self._start_task(task)

    async def _apply_config_changes(self) -> None:
        """Config-topic changes since the last look: new or deleted connectors and changed task sets need a
        rebalance; a changed connector config restarts the connector here; changed task configs restart the
        tasks here; target states and restart requests apply to what this worker runs."""
        p = self.pending
        if not (p.connectors or p.task_connectors or p.targets or p.restarts):
            return
        previous = self._seen
        snap = self.snapshot = self._seen = self.config_store.snapshot()
        connectors, changed_tasks, targets, restarts = set(p.connectors), set(p.task_connectors), set(p.targets), dict(p.restarts)
        p.connectors.clear()
        p.task_connectors.clear()
        p.targets.clear()
        p.restarts.clear()
        rebalance = False
        for name in sorted(connectors):
            if not snap.contains(name):
                if previous.contains(name) or name in self.connectors_running:
                    rebalance = True
                    await self._connector_deleted(name, previous)
            elif not previous.contains(name):
                rebalance = True
        for name in sorted(changed_tasks):
            if set(snap.tasks(name)) != set(previous.tasks(name)):
                rebalance = True
        await self._restart_changed()
        for name in sorted(targets):
            if name in self.connectors_running or any(t.connector == name for t in self.tasks_running):
                state = self._target(name)
                await asyncio.to_thread(self.worker.set_target_state, name, state)
                if state is not TargetState.STOPPED:
                    self._needs_reconfig.add(name)
        for request in restarts.values():
            await self._restart_local(request)
        if rebalance:
            self.coordinator.request_rejoin("connectors or tasks were added or removed")

    async def _connector_deleted(self, name: str, previous: ClusterConfigState) -> None:
        """Stops the connector's work here and removes its statuses (DESTROYED: tombstones)."""
        await self._stop_work({name} & self.connectors_running, {t for t in self.tasks_running if t.connector == name})
        if self.leader or name in self.connectors_running:
            for task in previous.tasks(name):
                await self.status_store.put(Status(name, task.task, "DESTROYED", self.worker.worker_id, self.generation))
            await self.status_store.put(Status(name, None, "DESTROYED", self.worker.worker_id, self.generation))
            await self.status_store.delete_topics(name)

    async def _restart_local(self, request: RestartRequest) -> None:
        """Restarts this worker's share of a restart request (KIP-745: includeTasks / onlyFailed)."""
        name = request.connector
        if not self.snapshot.contains(name):
            return

        def failed(status: Status | None) -> bool:
            return status is not None and status.state == State.FAILED.value

        if name in self.connectors_running and (not request.only_failed or failed(self.status_store.get(name))):
            await self._stop_work({name}, set())
            await self._start_connector(name)
        if request.include_tasks:
            tasks = [t for t in sorted(self.tasks_running) if t.connector == name]
            tasks = [t for t in tasks if not request.only_failed or failed(self.status_store.get(t))]
            if tasks:
                await self._stop_work(set(), set(tasks))
                for t in tasks:
                    await self._start_task(t)

    async def _reconfigure_connectors(self) -> None:
        """Regenerates the task configs of connectors running here; writes them when they changed."""
        for name in sorted(self._needs_reconfig):
            self._needs_reconfig.discard(name)
            if name not in self.connectors_running or not self.snapshot.contains(name):
                continue
            if self._target(name) is TargetState.STOPPED:
                continue
            if not self.worker.is_running(name):
                continue
            try:
                configs = await asyncio.to_thread(self.worker.connector_task_configs, name)
            except Exception as exc:
                self.worker.connector_failed(name, exc)
                continue
            await self.config_store.refresh()
            snap = self.snapshot = self.config_store.snapshot()
            current = [dict(snap.task_config(t) or {}) for t in snap.tasks(name)]
            if configs != current or name in snap.inconsistent:
                if self.exactly_once and not self.leader:
                    self._forward_task_configs(name, configs)
                    continue
                log.info("Writing %d task configs for connector %s", len(configs), name)
                await self.config_store.put_task_configs(name, configs)

    async def _maybe_write_session_key(self) -> None:
        """The leader of a `sessioned` group keeps a session key in the config topic (KIP-507), rotated every
        inter.worker.key.ttl.ms; Kafka's workers sign the task configs they send the leader with it."""
        if not self.leader or self.compatibility is not ConnectProtocolCompatibility.SESSIONED:
            return
        key = self.config_store.snapshot().session_key
        now = int(time.time() * 1000)
        if key is None or now >= key.creation_timestamp + self.config.int("inter.worker.key.ttl.ms"):
            log.info("Writing a new session key")
            await self.config_store.put_session_key(SessionKey(os.urandom(32), SIGNATURE_ALGORITHM, now))

    def _verify_signature(self, body: bytes, signature: str | None, algorithm: str | None) -> None:
        """Checks an internal request's HMAC of its body against the session key (Kafka's InternalRequestSignature)."""
        if self.compatibility is not ConnectProtocolCompatibility.SESSIONED:
            return
        if signature is None or algorithm is None:
            raise BadRequestException("Internal request missing required signature")
        if algorithm != SIGNATURE_ALGORITHM:
            raise BadRequestException(f"This worker does not support the '{algorithm}' key signing algorithm")
        key = self.config_store.snapshot().session_key
        if key is None:
            raise ConnectRestException(409, "Request cannot be verified: no session key is available yet")
        try:
            provided = base64.b64decode(signature, validate=True)
        except ValueError:
            raise BadRequestException("Internal request signature is not valid base64") from None
        if not hmac.compare_digest(hmac.new(key.key, body, hashlib.sha256).digest(), provided):
            raise ConnectRestException(403, "Internal request contained invalid signature.")

    async def put_task_configs(
        self, name: str, configs: list[dict[str, str]], body: bytes, signature: str | None, algorithm: str | None
    ) -> None:
        """Task configs a Kafka worker running the connector sends the leader (Strom's workers write their own)."""
        await self._require_leader()
        self._verify_signature(body, signature, algorithm)
        self._config(name)
        async with self._lock:
            await self.config_store.put_task_configs(name, configs)

    # -- REST: reads --------------------------------------------------------------------------------------------

    def _config(self, name: str, message: str | None = None) -> Mapping[str, str]:
        config = self.config_store.snapshot().connector_configs.get(name)
        if config is None:
            raise NotFoundException(message or f"Connector {name} not found")
        return config

    def _type(self, config: Mapping[str, str]) -> ConnectorType:
        try:
            return connector_type(self.worker.plugins.connector_class(config.get("connector.class", "")))
        except Exception:
            return ConnectorType.UNKNOWN

    def _info(self, name: str) -> ConnectorInfo:
        snap = self.config_store.snapshot()
        config = self._config(name)
        return ConnectorInfo(name, dict(config), snap.tasks(name), self._type(config))

    async def connectors(self) -> list[str]:
        return self.config_store.snapshot().connectors()

    async def connector_info(self, name: str) -> ConnectorInfo:
        return self._info(name)

    async def connector_config(self, name: str) -> dict[str, str]:
        return dict(self._config(name))

    async def task_configs(self, name: str) -> list[TaskInfo]:
        self._config(name)
        snap = self.config_store.snapshot()
        return [TaskInfo(t, dict(snap.task_config(t) or {})) for t in snap.tasks(name)]

    def _status(self, name: str) -> ConnectorStateInfo:
        status = self.status_store.get(name)
        config = self.config_store.snapshot().connector_configs.get(name)
        if status is None or config is None:
            raise NotFoundException(f"No status found for connector {name}")
        count = self.config_store.snapshot().task_count(name)
        tasks = [TaskState(s.task or 0, s.state, s.worker_id, s.trace) for s in self.status_store.get_all(name) if (s.task or 0) < count]
        return ConnectorStateInfo(name, ConnectorState(status.state, status.worker_id, status.trace), tasks, self._type(config))

    async def connector_status(self, name: str) -> ConnectorStateInfo:
        return self._status(name)

    async def task_status(self, task_id: ConnectorTaskId) -> TaskState:
        status = self.status_store.get(task_id)
        if status is None:
            raise NotFoundException(f"No status found for task {task_id}")
        return TaskState(task_id.task, status.state, status.worker_id, status.trace)

    # -- REST: writes (the leader's) ------------------------------------------------------------------------

    async def _require_leader(self) -> None:
        """Writes wait for a rebalance under way to end (Kafka queues them until the worker is in the group)."""
        try:
            await asyncio.wait_for(self._joined.wait(), self.config.int("rebalance.timeout.ms") / 1000)
        except TimeoutError:
            pass
        if not self.leader:
            raise NotLeaderException("Cannot complete request because this worker is not the leader", self.leader_url)

    async def put_connector_config(
        self, name: str, config: dict[str, str], allow_replace: bool, initial_state: TargetState | None = None
    ) -> tuple[bool, ConnectorInfo]:
        await self._require_leader()
        infos, _ = await asyncio.to_thread(self.worker.validate_connector_config, config)
        raise_if_invalid(infos)
        async with self._lock:
            await self.config_store.refresh()
            exists = self.config_store.snapshot().contains(name)
            if exists and not allow_replace:
                raise AlreadyExistsException(f"Connector {name} already exists")
            # KIP-980: a new connector's requested initial state is written before its config
            target = initial_state.value if initial_state is not None and not exists else None
            await self.config_store.put_connector_config(name, config, target)
            log.info("%s connector %s", "Updated" if exists else "Created", name)
            return not exists, self._info(name)

    async def delete_connector(self, name: str) -> ConnectorInfo:
        await self._require_leader()
        async with self._lock:
            await self.config_store.refresh()
            info = self._info(name)
            await self.config_store.remove_connector_config(name)
            log.info("Deleted connector %s", name)
            return info

    async def restart_connector(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> ConnectorStateInfo:
        await self._require_leader()
        self._config(name)
        status = self._status(name)
        restart_connector = not only_failed or status.connector.state == State.FAILED.value
        restart_tasks = {t.id for t in status.tasks if include_tasks and (not only_failed or t.state == State.FAILED.value)}
        await self.config_store.put_restart_request(RestartRequest(name, only_failed, include_tasks))
        return ConnectorStateInfo(
            name,
            ConnectorState(State.RESTARTING.value, status.connector.worker_id) if restart_connector else status.connector,
            [TaskState(t.id, State.RESTARTING.value, t.worker_id) if t.id in restart_tasks else t for t in status.tasks],
            status.type,
        )

    async def restart_task(self, task_id: ConnectorTaskId) -> None:
        self._config(task_id.connector)
        if task_id not in self.config_store.snapshot().tasks(task_id.connector):
            raise NotFoundException(f"Task {task_id} not found")
        if task_id in self.tasks_running:
            async with self._lock:
                await self._stop_work(set(), {task_id})
                await self._start_task(task_id)
            return
        if not self.leader:
            await self._require_leader()
        owner = self.owners.get(task_id)
        if owner is None or owner == self.url:
            raise ConnectRestException(409, f"Task {task_id} is not assigned to any worker at the moment (a rebalance is under way)")
        raise NotLeaderException(f"Task {task_id} runs on {owner}", owner)

    async def pause_connector(self, name: str) -> None:
        await self._put_target(name, TargetState.PAUSED)

    async def resume_connector(self, name: str) -> None:
        await self._put_target(name, TargetState.STARTED)

    async def stop_connector(self, name: str) -> None:
        """KIP-875: empty task configs, then STOPPED, written by the leader."""
        await self._require_leader()
        self._config(name, f"Unknown connector {name}")
        async with self._lock:
            await self.config_store.put_task_configs(name, [])
            await self.config_store.put_target_state(name, TargetState.STOPPED.value)

    async def _put_target(self, name: str, state: TargetState) -> None:
        self._config(name, f"Unknown connector {name}")
        await self.config_store.put_target_state(name, state.value)

    # -- offsets (KIP-875; the leader alters them) ----------------------------------------------------------

    def _connector_cls(self, name: str) -> Any:
        return self.worker.plugins.connector_class(self._config(name)["connector.class"])

    async def _sink_offsets(self, name: str) -> list[TopicPartition]:
        from strom.aio import AIOAdminClient

        admin = AIOAdminClient(self.worker.admin_config(dict(self._config(name))))
        try:
            return await admin.list_consumer_group_offsets(f"connect-{name}")
        finally:
            await admin.close()

    async def connector_offsets(self, name: str) -> ConnectorOffsets:
        cls = self._connector_cls(name)
        if issubclass(cls, SinkConnector):
            return ConnectorOffsets(
                [
                    ConnectorOffset({"kafka_topic": tp.topic, "kafka_partition": tp.partition}, {"kafka_offset": tp.offset})
                    for tp in await self._sink_offsets(name)
                    if tp.offset >= 0
                ]
            )
        await self.offset_store.log.read_to_end()
        stored = self.offset_store.connector_offsets(name)
        return ConnectorOffsets([ConnectorOffset(p, o) for p, o in stored.values()])

    def _require_stopped(self, name: str) -> None:
        self._config(name)
        if self.config_store.snapshot().target_state(name) != TargetState.STOPPED.value:
            raise BadRequestException(h.not_stopped_message(name))

    async def alter_connector_offsets(self, name: str, offsets: list[ConnectorOffset]) -> str:
        await self._require_leader()
        self._require_stopped(name)
        cls = self._connector_cls(name)
        config = dict(self._config(name))
        if issubclass(cls, SinkConnector):
            return await self._alter_sink_offsets(name, cls, config, offsets)
        pairs = [(o.partition, o.offset) for o in offsets]
        confirmed = await asyncio.to_thread(lambda: cls().alter_offsets(config, pairs))
        await self.offset_store.set_async({offset_key(name, p): offset_value(o) for p, o in pairs})
        return h.OFFSETS_ALTERED if confirmed else h.OFFSETS_ALTERED_FRAMEWORK_ONLY

    async def _alter_sink_offsets(self, name: str, cls: Any, config: dict[str, str], offsets: list[ConnectorOffset]) -> str:
        from strom.aio import AIOAdminClient

        parsed: dict[TopicPartition, int | None] = {}
        for o in offsets:
            topic, partition = o.partition.get("kafka_topic"), o.partition.get("kafka_partition")
            if not isinstance(topic, str) or not isinstance(partition, int) or isinstance(partition, bool):
                raise BadRequestException(
                    "Kafka partitions must be provided as 'kafka_topic' (string) and 'kafka_partition' (integer)"
                    " in the partition of each offset"
                )
            value = None if o.offset is None else o.offset.get("kafka_offset")
            if o.offset is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise BadRequestException("Kafka offsets must be provided as a non-negative integer 'kafka_offset' in each offset")
            parsed[TopicPartition(topic, partition)] = value
        if any(off is None for off in parsed.values()):
            raise ConnectRestException(500, "Resetting single sink partitions is not supported; reset all offsets with DELETE")
        confirmed = await asyncio.to_thread(lambda: cls().alter_offsets(config, parsed))
        admin = AIOAdminClient(self.worker.admin_config(config))
        try:
            await admin.alter_consumer_group_offsets(
                f"connect-{name}", [TopicPartition(tp.topic, tp.partition, off) for tp, off in parsed.items() if off is not None]
            )
        finally:
            await admin.close()
        return h.OFFSETS_ALTERED if confirmed else h.OFFSETS_ALTERED_FRAMEWORK_ONLY

    async def reset_connector_offsets(self, name: str) -> str:
        await self._require_leader()
        self._require_stopped(name)
        cls = self._connector_cls(name)
        config = dict(self._config(name))
        if issubclass(cls, SinkConnector):
            from strom.aio import AIOAdminClient

            current = await self._sink_offsets(name)
            confirmed = await asyncio.to_thread(
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
            await self.offset_store.log.read_to_end()
            stored = self.offset_store.connector_offsets(name)
            pairs = [(p, None) for p, _ in stored.values()]
            confirmed = await asyncio.to_thread(lambda: cls().alter_offsets(config, pairs))
            await self.offset_store.set_async(dict.fromkeys(stored))
        return h.OFFSETS_RESET if confirmed else h.OFFSETS_RESET_FRAMEWORK_ONLY

    # -- topics, plugins, validation ------------------------------------------------------------------------

    async def connector_active_topics(self, name: str) -> list[str]:
        if not self.worker.config.get_bool("topic.tracking.enable"):
            raise ForbiddenException("Topic tracking is disabled.")
        self._config(name)
        await self._publish_active_topics()
        return self.status_store.topics(name)

    async def _publish_active_topics(self) -> None:
        """Records the topics this worker's tasks used in the status topic (KIP-558), where every worker sees them."""
        if not self.worker.config.get_bool("topic.tracking.enable"):
            return
        for name, topics in list(self.worker.active_topics.items()):
            if not self.snapshot.contains(name):
                continue
            for topic in sorted(topics):
                await self.status_store.put_topic(TopicStatus(topic, name, 0, int(time.time() * 1000)))

    def _topic_reset(self, connector: str, topic: str) -> None:
        """A reset written by any worker also clears this worker's memory of the topic."""
        self.worker.active_topics.get(connector, set()).discard(topic)

    async def reset_connector_active_topics(self, name: str) -> None:
        if not self.worker.config.get_bool("topic.tracking.enable"):
            raise ForbiddenException("Topic tracking is disabled.")
        if not self.worker.config.get_bool("topic.tracking.allow.reset"):
            raise ForbiddenException("Topic tracking reset is disabled.")
        self._config(name)
        self.worker.active_topics.pop(name, None)
        await self.status_store.delete_topics(name)

    def plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        plugins = self.worker.plugins.connector_plugins() if connectors_only else self.worker.plugins.all_plugins()
        return [PluginInfo(p.class_name, p.type.value, p.version) for p in plugins]

    async def validate_config(self, config: dict[str, str], plugin: str | None = None) -> ConfigInfos:
        infos, _ = await asyncio.to_thread(self.worker.validate_connector_config, config)
        return infos

    def plugin_config(self, plugin: str) -> list[dict[str, object]]:
        try:
            cls = self.worker.plugins.plugin_class(plugin)
        except Exception:
            raise NotFoundException(f"Unknown plugin {plugin}.") from None
        if plugin_type(cls) is PluginType.UNKNOWN:
            raise NotFoundException(f"Unknown plugin {plugin}.")
        return config_key_infos(cls().config())

    # -- exactly-once source support: zombie fencing (KIP-618) -------------------------------------------------

    def _signed(self, body: bytes) -> dict[str, str]:
        """The session-key signature of an internal request, when the group signs them (sessioned protocol)."""
        key = self.config_store.snapshot().session_key
        if self.compatibility is not ConnectProtocolCompatibility.SESSIONED or key is None:
            return {}
        return signature_headers(key.key, key.algorithm, body)

    async def _request_leader(self, method: str, path: str, body: bytes) -> None:
        """One internal request to the leader's REST API (Java's RestClient.httpRequest); an error answer raises."""
        if not self.leader_url:
            raise ConnectException(f"Request to the leader ({method} {path}) failed: the leader's REST URL is unknown")
        url = self.leader_url.rstrip("/") + path
        headers = {"Content-Type": "application/json", **self._signed(body)}
        async with rest_client(self.rest_props, url=url) as client:
            resp = await client.request(method, url, content=body, headers=headers)
        if resp.status_code >= 400:
            raise ConnectRestException(resp.status_code, f"Request {method} {url} failed: {resp.status_code} {resp.text}")

    def _forward_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        """Sends the connector's new task configs to the leader from a background task (never on the herder
        loop: the leader may be rebalancing and waiting for this worker); a failure asks for them again."""
        import json
        from urllib.parse import quote

        body = json.dumps(configs, separators=(",", ":")).encode()

        async def send() -> None:
            try:
                await self._request_leader("POST", f"/connectors/{quote(name, safe='')}/tasks", body)
                log.info("Sent %d task configs for connector %s to the leader", len(configs), name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Request to leader to reconfigure connector tasks failed: %s; retrying", exc)
                await asyncio.sleep(self.config.int("retry.backoff.ms") / 1000 * 5)
                self._needs_reconfig.add(name)
                self._wakeup.set()

        task = asyncio.ensure_future(send())
        self._forwards.add(task)
        task.add_done_callback(self._forwards.discard)

    def _wait_from_task(self, task_id: ConnectorTaskId, make: Callable[[], Any]) -> None:
        """Runs a herder coroutine for a task's thread and waits for it, giving up when the task is stopped (so
        a rebalance stopping the task never waits for a fencing request)."""
        loop = self._loop
        if loop is None:
            raise ConnectException("The herder is not running")
        future = asyncio.run_coroutine_threadsafe(make(), loop)
        while True:
            try:
                future.result(0.1)
                return
            except TimeoutError:
                entry = self.worker.tasks.get(task_id)
                if self._stopping or entry is None or entry.task.stopping:
                    future.cancel()
                    raise ConnectException(f"Task {task_id} was stopped during its exactly-once preflight checks") from None

    async def _fence_for_task(self, task_id: ConnectorTaskId) -> None:
        """A task starting here needs the connector's earlier generations fenced: by this worker if it leads,
        else by the leader, asked over REST (PUT /connectors/{name}/fence, signed)."""
        from urllib.parse import quote

        await self._require_joined()
        if self.leader:
            await self._fence_zombies(task_id.connector)
            return
        log.debug("Forwarding zombie fencing request for connector %s to the leader at %s", task_id.connector, self.leader_url)
        await self._request_leader("PUT", f"/connectors/{quote(task_id.connector, safe='')}/fence", b"")

    async def _require_joined(self) -> None:
        try:
            await asyncio.wait_for(self._joined.wait(), self.config.int("rebalance.timeout.ms") / 1000)
        except TimeoutError:
            raise ConnectException("Timed out waiting for this worker to join the group") from None

    async def fence_zombie_source_tasks(self, name: str, body: bytes, signature: str | None, algorithm: str | None) -> None:
        await self._require_leader()
        self._verify_signature(body, signature, algorithm)
        await self._fence_zombies(name)

    async def _fence_zombies(self, name: str) -> None:
        """The leader's round of zombie fencing (Java's DistributedHerder.fenceZombieSourceTasks): needed when task
        configs were committed after the connector's last tasks-fencing record and the previous generation
        is not a single task replaced by a single task (which fences its predecessor itself)."""
        if not self.leader:
            raise NotLeaderException("Only the leader may perform zombie fencing.", self.leader_url)
        config = self._config(name)
        if self._type(config) is not ConnectorType.SOURCE:
            raise BadRequestException(f"Connector {name} is not a source connector")
        await self.config_store.refresh()
        snap = self.config_store.snapshot()
        count, record, generation = snap.task_count(name), snap.task_count_record(name), snap.task_config_generation(name)
        if snap.is_pending_fencing(name) and record is not None and (record != 1 or count != 1):
            fencing = self._fencings.get(name)
            if fencing is None or fencing.done.done():
                fencing = ZombieFencing(
                    name,
                    record,
                    count,
                    -1 if generation is None else generation,
                    lambda ids: fence_producers(self.worker.admin_config(config), ids),
                    self.config["group.id"],
                    self._record_fenced,
                )
                self._fencings[name] = fencing
                fencing.done.add_done_callback(self._fencing_done(name, fencing))
                fencing.start()
            await asyncio.shield(fencing.done)
            return
        if not snap.is_pending_fencing(name):
            log.debug("Skipping zombie fencing round for connector %s as all old task generations have already been fenced out", name)
            return
        log.debug("Skipping zombie fencing round but writing task count record for connector %s (no older generation to fence)", name)
        await self._record_fenced(name, count, -1 if generation is None else generation)

    def _fencing_done(self, name: str, fencing: ZombieFencing) -> Callable[[asyncio.Future[None]], None]:
        def forget(_: asyncio.Future[None]) -> None:
            if self._fencings.get(name) is fencing:
                del self._fencings[name]

        return forget

    async def _record_fenced(self, name: str, task_count: int, generation: int) -> None:
        """Writes the tasks-fencing record, unless new task configs arrived meanwhile (they need their own round)."""
        async with self._lock:
            if not self.leader:
                raise NotLeaderException("Only the leader may perform zombie fencing.", self.leader_url)
            await self.config_store.refresh()
            snap = self.config_store.snapshot()
            current = snap.task_config_generation(name)
            if (-1 if current is None else current) != generation:
                raise ConnectRestException(409, "Fencing failed because new task configurations were generated for the connector")
            if not snap.is_pending_fencing(name):
                return
            await self.config_store.put_task_count_record(name, task_count)
            log.info("Wrote task count record %d for connector %s", task_count, name)

    async def _verify_task_generation_and_ownership(self, task_id: ConnectorTaskId, generation: int | None) -> None:
        """After a task's producer is initialised: its task configs are still the newest and it still runs here."""
        await self.config_store.refresh()
        current = self.config_store.snapshot().task_config_generation(task_id.connector)
        if current != generation:
            raise ConnectException(
                f"Cannot start source task {task_id} with exactly-once support as the connector has already generated"
                f" a new set of task configs"
            )
        if task_id not in self.tasks_running:
            raise ConnectException(f"Cannot start source task {task_id} as it has already been revoked from this worker")
