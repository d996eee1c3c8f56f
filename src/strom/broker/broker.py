"""The Broker: owns the event loop's view of everything -- config, metadata, logs, partitions, coordinators.

Handlers act on it; it acts on the lower layers (storage, cluster, coordination). Blocking work (fsync,
retention deletes, checkpoints) runs in the default executor, never on the event loop directly.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from strom.broker.config import BrokerConfig
from strom.broker.handlers import HANDLERS
from strom.cluster.group_commit import GroupCommit
from strom.cluster.metadata import LocalMetadataStore, TopicState
from strom.cluster.partition_state import Partition
from strom.cluster.purgatory import Purgatory
from strom.cluster.replica_manager import ReplicaManager, ReplicaManagerConfig
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.messages import SUPPORTED_VERSIONS
from strom.protocol.schema.api_versions import ApiVersion
from strom.storage.clock import SystemClock
from strom.storage.config import TOPIC_CONFIGS, LogConfig
from strom.storage.log_manager import LogManager
from strom.version import __version__

log = logging.getLogger("kafka.server.KafkaServer")
_T = TypeVar("_T")

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_LENGTH = 249
OFFSETS_TOPIC = "__consumer_offsets"

# Highest versions we answer (Kafka 3.9's for what we implement); lowest from the protocol tables.
MAX_VERSIONS: dict[int, int] = {}


def validate_topic_name(name: str) -> None:
    if not name or name in (".", ".."):
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"Topic name '{name}' is illegal")
    if len(name) > MAX_TOPIC_LENGTH:
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"Topic name is longer than {MAX_TOPIC_LENGTH} characters")
    if not LEGAL_TOPIC.match(name):
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"Topic name '{name}' is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
        )


class Broker:
    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.broker_id = config.broker_id
        self.clock = SystemClock()
        self.log_manager = LogManager(config.log_dirs, self.clock, self.broker_id, config.get("cluster.id"))
        self.cluster: Any = None  # ClusterMember when zookeeper.connect is set (ZooKeeper mode, as Kafka 2.8)
        self.metadata: Any
        if config.get("zookeeper.connect"):
            from strom.cluster.zk_broker import ClusterMember

            self.cluster = ClusterMember(self)
            self.cluster.connect()
            self.metadata = self.cluster.store
        else:
            self.metadata = LocalMetadataStore(config.log_dirs[0], self.broker_id, config.get("cluster.id"))
        self.replica_manager = ReplicaManager(
            self.broker_id,
            ReplicaManagerConfig.from_properties(config, config.log_dirs),
            self.log_manager,
            self.clock,
            self.metadata,
            self.topic_log_config,
            lambda: self.broker_epoch,
        )
        self.connections: set[Any] = set()
        self.servers: list[asyncio.base_events.Server] = []
        self.services: dict[str, Any] = {}
        self.disabled_apis: set[int] = set()  # implemented but switched off by configuration
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._load_partitions()

    # ---- configs --------------------------------------------------------------------------------------

    def default_log_config(self) -> LogConfig:
        base = self.config.default_log_config()
        dynamic = {k: v for k, v in self.metadata.broker_configs.items()}
        return _apply_broker_overrides(base, dynamic)

    def topic_log_config(self, topic: str) -> LogConfig:
        state = self.metadata.topics.get(topic)
        base = self.default_log_config()
        if state is None or not state.configs:
            return base
        return LogConfig.from_topic_configs(state.configs, base)

    # ---- partitions -----------------------------------------------------------------------------------

    @property
    def partitions(self) -> dict[tuple[str, int], Partition]:
        """The replica manager's partitions (until the callers use broker.replica_manager directly)."""
        return self.replica_manager.partitions

    @property
    def purgatory(self) -> Purgatory:
        return self.replica_manager.purgatory

    @property
    def group_commit(self) -> GroupCommit:
        return self.replica_manager.group_commit

    @property
    def broker_epoch(self) -> int:
        """czxid of /brokers/ids/<id> in ZooKeeper mode (sent in AlterIsr, checked by the controller), else -1."""
        return int(self.cluster.broker_epoch) if self.cluster is not None else -1

    def _load_partitions(self) -> None:
        self.replica_manager.load_logs()
        if self.cluster is not None:
            return  # ZooKeeper mode: the controller's LeaderAndIsr/StopReplica decide which logs this broker serves
        for topic, index in list(self.log_manager.logs):
            state = self.metadata.topics.get(topic)
            if state is None or index not in state.partitions:
                log.info("Deleting log %s-%d of a topic that no longer exists", topic, index)
                self.log_manager.delete(topic, index)
        for topic in self.metadata.topics.values():
            for index in topic.partitions:
                self._open_partition(topic, index)

    def _open_partition(self, topic: TopicState, index: int) -> Partition:
        return self.replica_manager.open_local_leader(topic, index)

    def partition(self, topic: str, index: int) -> Partition:
        part = self.partitions.get((topic, index))
        if part is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        return part

    async def admin(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Runs a topic-administration call (create/delete/grow a topic, write configs, claim producer ids).
        In ZooKeeper mode these block on ZooKeeper, so they run in the executor: a slow ZooKeeper must not
        stall produce and fetch on this broker. The embedded broker's are local and quick: on the loop."""
        if self.cluster is None:
            return fn(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: dict[str, str],
        assignment: dict[int, list[int]] | None = None,
        validate_only: bool = False,
        internal: bool = False,
    ) -> TopicState | None:
        validate_topic_name(name)
        if self.cluster is not None:
            return self.cluster.create_topic(name, num_partitions, replication_factor, configs, assignment, validate_only, internal)  # type: ignore[no-any-return]
        if name in self.metadata.topics:
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if assignment:
            parts = sorted(assignment)
            if parts != list(range(len(parts))):
                raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "partitions must be numbered from 0 without gaps")
            for replicas in assignment.values():
                if not replicas or any(r != self.broker_id for r in replicas) or len(set(replicas)) != len(replicas):
                    raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Unknown broker(s) in replica assignment {replicas}.")
        else:
            if num_partitions == -1:
                num_partitions = int(self.config["num.partitions"])
            if replication_factor == -1:
                replication_factor = int(self.config["default.replication.factor"])
            if num_partitions <= 0:
                raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
            if num_partitions > 100_000:
                raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
            if replication_factor <= 0:
                raise KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.")
            if replication_factor > 1:
                raise KafkaError(
                    ErrorCode.INVALID_REPLICATION_FACTOR,
                    f"Replication factor: {replication_factor} larger than available brokers: 1.",
                )
            assignment = {p: [self.broker_id] for p in range(num_partitions)}
        clean = {k: v for k, v in configs.items() if v is not None}
        LogConfig.from_topic_configs(clean, self.default_log_config())  # validates: INVALID_CONFIG
        if validate_only:
            return None
        topic = self.metadata.create_topic(name, assignment, clean, internal)
        for index in topic.partitions:
            self._open_partition(topic, index)
        log.info("Created topic %s with %d partition(s)", name, len(topic.partitions))
        return topic

    def delete_topic(self, name: str) -> None:
        if self.cluster is not None:
            self.cluster.delete_topic(name)
            return
        topic = self.metadata.topics.get(name)
        if topic is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if not self.config["delete.topic.enable"]:
            raise KafkaError(ErrorCode.TOPIC_DELETION_DISABLED)
        self.metadata.delete_topic(name)
        for index in topic.partitions:
            self.replica_manager.remove_partition(name, index)
        log.info("Deleted topic %s", name)

    def add_partitions(self, name: str, count: int, validate_only: bool, assignment: list[list[int]] | None = None) -> None:
        if self.cluster is not None:
            self.cluster.add_partitions(name, count, assignment, validate_only)
            return
        topic = self.metadata.topics.get(name)
        if topic is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        current = len(topic.partitions)
        if count <= current:
            raise KafkaError(
                ErrorCode.INVALID_PARTITIONS,
                f"Topic currently has {current} partitions, {count} would not be an increase.",
            )
        if validate_only:
            return
        self.metadata.add_partitions(name, {p: [self.broker_id] for p in range(current, count)})
        for index in range(current, count):
            self._open_partition(topic, index)

    async def update_topic_configs(self, name: str, configs: dict[str, str]) -> None:
        await self.admin(self.metadata.set_topic_configs, name, configs)
        cfg = self.topic_log_config(name)
        for (t, _), part in self.partitions.items():
            if t == name:
                part.log.update_config(cfg)

    def refresh_all_log_configs(self) -> None:
        for (t, _), part in self.partitions.items():
            part.log.update_config(self.topic_log_config(t))

    # ---- ApiVersions ----------------------------------------------------------------------------------

    def api_version_range(self, api_key: int) -> tuple[int, int]:
        lo, hi = SUPPORTED_VERSIONS.get(api_key, (0, -1))
        if api_key in self.disabled_apis:
            return 0, -1
        return lo, MAX_VERSIONS.get(api_key, hi)

    def api_version_list(self) -> list[ApiVersion]:
        out = []
        for key in sorted(HANDLERS):
            lo, hi = self.api_version_range(key)
            if lo <= hi:
                out.append(ApiVersion(api_key=key, min_version=lo, max_version=hi))
        return out

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        from strom.broker.server import KafkaConnection

        for listener in self.config.listeners:
            host = listener.host or None
            server = await loop.create_server(
                lambda: KafkaConnection(self), host=host, port=listener.port, reuse_address=True, backlog=1024
            )
            self.servers.append(server)
        if self.cluster is not None:
            await self.cluster.start()
        import strom.broker.group_service  # noqa: F401 - registers the group coordinator's start-up hook
        import strom.broker.transaction_service  # noqa: F401 - after the group's: markers complete txn offsets

        for hook in STARTUP_HOOKS:
            await hook(self)
        self._tasks.append(asyncio.ensure_future(self._periodic(self._flush_tick, 1.0)))
        self._tasks.append(
            asyncio.ensure_future(self._periodic(self._retention_tick, self.config["log.retention.check.interval.ms"] / 1000))
        )
        if self.config["log.cleaner.enable"]:
            backoff_s = max(self.config["log.cleaner.backoff.ms"], 10) / 1000
            self._tasks.append(asyncio.ensure_future(self._periodic(self._cleaner_tick, backoff_s)))
        self._tasks.append(
            asyncio.ensure_future(self._periodic(self._checkpoint_tick, self.config["log.flush.offset.checkpoint.interval.ms"] / 1000))
        )
        log.info(
            "[KafkaServer id=%d] started (Strom %s) listening on %s",
            self.broker_id,
            __version__,
            ", ".join(f"{lst.name}://{lst.host}:{lst.port}" for lst in self.config.listeners),
        )

    def bound_ports(self) -> list[int]:
        ports = []
        for server in self.servers:
            for sock in server.sockets:
                ports.append(sock.getsockname()[1])
        return ports

    async def _periodic(self, fn: Any, interval_s: float) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), interval_s)
                return
            except TimeoutError:
                pass
            try:
                await loop.run_in_executor(None, fn)
            except Exception:
                log.exception("background task %s failed", getattr(fn, "__name__", fn))

    def _flush_tick(self) -> None:
        self.log_manager.flush_dirty()

    def _retention_tick(self) -> None:
        deleted = self.log_manager.run_retention()
        if deleted:
            log.info("Deleted %d log segment(s) past retention", deleted)

    def _cleaner_tick(self) -> None:
        """Log compaction in a worker thread: the cleaner swaps segments under each log's lock."""
        self.log_manager.run_cleaner()

    def _checkpoint_tick(self) -> None:
        self.log_manager.checkpoint()

    async def stop(self) -> None:
        log.info("[KafkaServer id=%d] shutting down", self.broker_id)
        started = time.monotonic()

        def step(what: str) -> None:
            """Each shutdown step is logged with its time, so a slow or stuck shutdown names its step."""
            log.info("[KafkaServer id=%d] %s (%.2fs into shutdown)", self.broker_id, what, time.monotonic() - started)

        if self.cluster is not None and self.config["controlled.shutdown.enable"]:
            await self.cluster.controlled_shutdown()
            step("controlled shutdown done")
        self._stopping.set()
        for server in self.servers:
            server.close()
        for conn in list(self.connections):
            conn.close()
        for task in self._tasks:
            task.cancel()
        step("listeners and connections closed")
        await self.replica_manager.shutdown()
        step("replica fetchers stopped")
        for hook in SHUTDOWN_HOOKS:
            await hook(self)
        if self.cluster is not None:
            await self.cluster.stop()
            step("ZooKeeper session closed")
        await asyncio.get_running_loop().run_in_executor(None, self.log_manager.close)
        log.info("[KafkaServer id=%d] shut down completed in %.2fs", self.broker_id, time.monotonic() - started)


STARTUP_HOOKS: list[Any] = []
SHUTDOWN_HOOKS: list[Any] = []


def _apply_broker_overrides(base: LogConfig, dynamic: dict[str, str]) -> LogConfig:
    """Dynamic broker configs (IncrementalAlterConfigs on the broker) that map to topic defaults."""
    if not dynamic:
        return base
    mapped = {}
    for topic_key, (_, _, broker_key) in TOPIC_CONFIGS.items():
        if broker_key and broker_key in dynamic:
            mapped[topic_key] = dynamic[broker_key]
    return LogConfig.from_topic_configs(mapped, base) if mapped else base
