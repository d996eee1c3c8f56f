"""The Broker: the composition root. It builds the broker's components in dependency order, hands each the
narrow dependencies it uses, starts them in order (`start`) and stops them step by step, each step logged
with its time (`stop`).

Handlers act on it; it acts on the lower layers (storage, cluster, coordination). Blocking work (fsync,
retention deletes, checkpoints, ZooKeeper writes) runs in the default executor, never on the event loop
directly. The two modes differ in three components, chosen here once: the metadata store and the topic
administration (embedded: LocalMetadataStore + LocalAdminManager; ZooKeeper: ZkMetadataStore +
ZkAdminManager), and the cluster membership (ZooKeeper mode only).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from strom.broker.authenticator import SaslListenerConfig, ScramCredentialCache
from strom.broker.authorizer import Authorizer, LocalAclStore, rules_from_config
from strom.broker.config import BrokerConfig, ConfigError
from strom.broker.entity_configs import EntityConfigStore, LocalEntityConfigs
from strom.broker.fetch_sessions import FetchSessionCache
from strom.broker.group_service import CONSUMER_GROUP_APIS, GroupService, consumer_protocol_enabled
from strom.broker.handlers import HANDLERS
from strom.broker.listener_tls import ListenerTls, build_all_listener_tls, inter_broker_security, is_dynamic_ssl_key, rebuild_listener_tls
from strom.broker.metrics.request_metrics import RequestChannelMetrics
from strom.broker.quota_manager import QuotaManagers
from strom.broker.server import KafkaConnection
from strom.broker.transaction_service import TransactionService
from strom.cluster.metadata import LocalMetadataStore, MetadataStore, TopicState
from strom.cluster.partition_state import Partition
from strom.cluster.replica_manager import ReplicaManager, ReplicaManagerConfig
from strom.cluster.topic_admin import AdminManager, LocalAdminManager, validate_topic_name
from strom.cluster.zk_acl import ZkAclStore
from strom.cluster.zk_admin import ZkAdminManager
from strom.cluster.zk_broker import ClusterMember
from strom.protocol.errors import KafkaError
from strom.protocol.messages import SUPPORTED_VERSIONS
from strom.protocol.schema.api_versions import ApiVersion
from strom.storage.clock import Clock, SystemClock
from strom.storage.config import TOPIC_CONFIGS, LogConfig
from strom.storage.log_manager import LogManager
from strom.version import __version__

if TYPE_CHECKING:
    from strom.broker.metrics.endpoint import MetricsEndpoint

log = logging.getLogger("kafka.server.KafkaServer")
_T = TypeVar("_T")


class Broker:
    def __init__(self, config: BrokerConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.broker_id = config.broker_id
        self.clock: Clock = clock or SystemClock()
        self.log_manager = LogManager(config.log_dirs, self.clock, self.broker_id, config.get("cluster.id"))
        self.connections: set[KafkaConnection] = set()
        self.request_metrics = RequestChannelMetrics()  # per-API counts and times, recorded by the connections
        self.metrics_endpoint: MetricsEndpoint | None = None  # metrics.prometheus.listener, once started
        self.servers: list[asyncio.base_events.Server] = []
        self.disabled_apis: set[int] = set()  # implemented but switched off by configuration
        self.inter_broker_security = inter_broker_security(config)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        # SASL: each SASL listener's mechanisms and JAAS (a bad one fails start-up), the SCRAM credentials
        self.sasl_listeners = {x.name: SaslListenerConfig.build(config, x) for x in config.listeners if x.security_protocol.uses_sasl}
        self.scram_credentials = ScramCredentialCache()
        # ZooKeeper mode (zookeeper.connect set, as Kafka 2.8): a cluster member; embedded: a local store
        self.cluster: ClusterMember | None = None
        self.metadata: MetadataStore
        self.admin_manager: AdminManager
        self.entity_configs: EntityConfigStore  # users' and clients' configs (quotas, SCRAM credentials)
        if config.get("zookeeper.connect"):
            self.cluster = self._join_cluster()
        else:
            self._use_local_metadata()
        self.scram_credentials.follow(self.entity_configs)
        # SSL / SASL_SSL listeners: static ssl.* keys under the dynamic ones already stored
        self.listener_tls: dict[str, ListenerTls] = build_all_listener_tls(config, self.dynamic_config_values())
        self._tls_snapshot: tuple[tuple[str, str], ...] | None = None  # the dynamic ssl.* keys the contexts were last built from
        self.authorizer = self._build_authorizer()
        self.quotas = QuotaManagers(self.entity_configs, self.clock, config["quota.window.num"], config["quota.window.size.seconds"])
        self.replica_manager = ReplicaManager(
            self.broker_id,
            dataclasses.replace(
                ReplicaManagerConfig.from_properties(config, config.log_dirs), inter_broker_security=self.inter_broker_security
            ),
            self.log_manager,
            self.clock,
            self.metadata,
            self.topic_log_config,
            lambda: self.broker_epoch,
        )
        if self.cluster is not None:
            self.replica_manager.log_dir_failure_listeners.append(self.cluster.on_log_dir_failure)
        self._load_partitions()
        self.fetch_sessions = FetchSessionCache(int(config["max.incremental.fetch.session.cache.slots"]))
        clustered = self.cluster is not None
        self.group_service = GroupService(config, self.clock, self.metadata, self.admin_manager, self.replica_manager, clustered)
        if not consumer_protocol_enabled(config):
            self.disabled_apis.update(CONSUMER_GROUP_APIS)  # KIP-848 off: not advertised, not served
        self.transaction_service = TransactionService(
            self.broker_id,
            config,
            self.clock,
            self.metadata,
            self.admin_manager,
            self.replica_manager,
            self.group_service,
            clustered,
        )

    def _join_cluster(self) -> ClusterMember:
        """Connects to ZooKeeper (blocking: the broker is built in the executor) and loads what it holds."""
        member = ClusterMember(
            self.broker_id, self.config, self.bound_ports, self.on_dynamic_config_change, self.clock, self.inter_broker_security
        )
        member.connect()
        self.metadata = member.store
        self.entity_configs = member.entity_configs
        self.admin_manager = ZkAdminManager(member.zk, member.store, self.config, self.default_log_config, lambda: member.broker_epoch)
        return member

    def _use_local_metadata(self) -> None:
        first = self.config.log_dirs[0]
        if self.log_manager.failure_channel.is_offline(Path(first)):
            raise OSError(f"The first log dir {first} holds this broker's metadata (no zookeeper.connect) and cannot be used")
        store = LocalMetadataStore(first, self.broker_id, self.config.get("cluster.id"))
        self.metadata = store
        self.entity_configs = LocalEntityConfigs(store)
        self.admin_manager = LocalAdminManager(
            self.broker_id, self.config, store, self.default_log_config, self._open_partition, self._remove_partition
        )

    def _build_authorizer(self) -> Authorizer | None:
        """`authorizer.class.name` set: ACLs in ZooKeeper (cluster mode) or the metadata file (embedded)."""
        if not self.config["authorizer.class.name"]:
            return None
        if self.cluster is not None:
            return Authorizer(rules_from_config(self.config), ZkAclStore(self.cluster.zk))
        assert isinstance(self.metadata, LocalMetadataStore)
        return Authorizer(rules_from_config(self.config), LocalAclStore(self.metadata))

    # ---- configs --------------------------------------------------------------------------------------

    def default_log_config(self) -> LogConfig:
        base = self.config.default_log_config()
        dynamic = dict(self.metadata.broker_configs)
        return _apply_broker_overrides(base, dynamic)

    def topic_log_config(self, topic: str) -> LogConfig:
        state = self.metadata.topics.get(topic)
        base = self.default_log_config()
        if state is None or not state.configs:
            return base
        return LogConfig.from_topic_configs(state.configs, base)

    # ---- partitions -----------------------------------------------------------------------------------

    @property
    def broker_epoch(self) -> int:
        """czxid of /brokers/ids/<id> in ZooKeeper mode (sent in AlterIsr, checked by the controller), else -1."""
        return self.admin_manager.broker_epoch

    def _load_partitions(self) -> None:
        self.replica_manager.load_logs()
        if self.cluster is not None:
            return  # ZooKeeper mode: the controller's LeaderAndIsr/StopReplica decide which logs this broker serves
        for topic, index in list(self.log_manager.logs):
            state = self.metadata.topics.get(topic)
            if state is None or index not in state.partitions:
                log.info("Deleting log %s-%d of a topic that no longer exists", topic, index)
                self.log_manager.delete(topic, index)
        for state in self.metadata.topics.values():
            for index in state.partitions:
                try:
                    self.replica_manager.open_local_leader(state, index, is_new=False)
                except KafkaError as exc:  # its log may be in a log dir that failed: offline, the rest is served
                    log.warning("Partition %s-%d is offline: %s", state.name, index, exc)

    def _open_partition(self, topic: TopicState, index: int) -> Partition:
        return self.replica_manager.open_local_leader(topic, index)

    def _remove_partition(self, topic: str, index: int) -> None:
        self.replica_manager.remove_partition(topic, index)

    # ---- topic administration: the mode's AdminManager ------------------------------------------------

    async def admin(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Runs a topic-administration call (create/delete/grow a topic, write configs, claim producer ids).
        In ZooKeeper mode these block on ZooKeeper, so they run in the executor: a slow ZooKeeper must not
        stall produce and fetch on this broker. The embedded broker's are local and quick: on the loop."""
        if not self.admin_manager.blocking:
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
        return self.admin_manager.create_topic(name, num_partitions, replication_factor, configs, assignment, validate_only, internal)

    def delete_topic(self, name: str) -> None:
        self.admin_manager.delete_topic(name)

    def add_partitions(self, name: str, count: int, validate_only: bool, assignment: list[list[int]] | None = None) -> None:
        self.admin_manager.add_partitions(name, count, validate_only, assignment)

    async def update_topic_configs(self, name: str, configs: dict[str, str]) -> None:
        await self.admin(self.metadata.set_topic_configs, name, configs)
        cfg = self.topic_log_config(name)
        for (t, _), part in self.replica_manager.partitions.items():
            if t == name:
                part.log.update_config(cfg)

    def dynamic_config_values(self) -> list[dict[str, str]]:
        """The dynamic broker config layers, highest precedence first (this broker's own, the cluster default)."""
        return [layer for layer, _ in self.metadata.dynamic_config_layers(True)]

    def on_dynamic_config_change(self) -> None:
        """A topic's or this broker's dynamic configs changed: logs take their new configs and TLS listeners
        a new context for the connections they accept from now on."""
        self.refresh_all_log_configs()
        self.reload_listener_tls()

    def reload_listener_tls(self) -> None:
        """Rebuilds the TLS listeners' contexts when a dynamic keystore or truststore key changed; a set-up that
        cannot be built is logged and the current one kept."""
        dynamic = self.dynamic_config_values()
        snapshot = tuple(sorted((k, v) for layer in dynamic for k, v in layer.items() if is_dynamic_ssl_key(k)))
        if snapshot == self._tls_snapshot:
            return
        self._tls_snapshot = snapshot
        for listener in self.config.listeners:
            if not listener.security_protocol.uses_tls:
                continue
            try:
                self.listener_tls[listener.name] = rebuild_listener_tls(self.config, listener, dynamic, self.listener_tls[listener.name])
            except ConfigError as exc:
                log.error("Keeping the current TLS set-up of listener %s: %s", listener.name, exc)
                continue
            log.info("Listener %s: new connections use the updated keystore and truststore", listener.name)

    def refresh_all_log_configs(self) -> None:
        for (t, _), part in self.replica_manager.partitions.items():
            part.log.update_config(self.topic_log_config(t))

    # ---- ApiVersions ----------------------------------------------------------------------------------

    def api_version_range(self, api_key: int) -> tuple[int, int]:
        lo, hi = SUPPORTED_VERSIONS.get(api_key, (0, -1))
        if api_key in self.disabled_apis:
            return 0, -1
        return lo, hi

    def api_version_list(self) -> list[ApiVersion]:
        out = []
        for key in sorted(HANDLERS):
            lo, hi = self.api_version_range(key)
            if lo <= hi:
                out.append(ApiVersion(api_key=key, min_version=lo, max_version=hi))
        return out

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listeners first (a ZooKeeper registration advertises their ports), then the cluster membership,
        the group coordinator, the transaction coordinator (its markers complete the group's transactional
        offsets), and the periodic log tasks."""
        loop = asyncio.get_running_loop()
        self.replica_manager.bind_loop(loop)  # log dir failures seen by flush/checkpoint threads are handled on the loop
        for listener in self.config.listeners:
            host = listener.host or None
            # reuse_address None: asyncio's default, SO_REUSEADDR on POSIX (a restart rebinds past TIME_WAIT) and
            # not on Windows, where it would let a second broker bind the same port
            server = await loop.create_server(
                functools.partial(KafkaConnection, self, listener), host=host, port=listener.port, reuse_address=None, backlog=1024
            )
            self.servers.append(server)
        if self.config["metrics.prometheus.listener"]:
            await self._start_metrics_endpoint()
        if self.cluster is not None:
            await self.cluster.start()
        if self.authorizer is not None:
            await self.authorizer.start()
        await self.group_service.start()
        await self.transaction_service.start()
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

    async def _start_metrics_endpoint(self) -> None:
        """Imported here: the endpoint needs the `metrics` extra (prometheus-client), a broker without it does not."""
        try:
            from strom.broker.metrics.endpoint import MetricsEndpoint
        except ImportError as exc:
            raise ConfigError(f"metrics.prometheus.listener needs the metrics extra (pip install 'strom[metrics]'): {exc}") from exc
        endpoint = MetricsEndpoint(self, self.config["metrics.prometheus.listener"])
        await endpoint.start()
        self.metrics_endpoint = endpoint

    def bound_ports(self) -> list[int]:
        ports = []
        for server in self.servers:
            for sock in server.sockets:
                ports.append(sock.getsockname()[1])
        return ports

    async def _periodic(self, fn: Callable[[], None], interval_s: float) -> None:
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
        started = self.clock.monotonic_ms()

        def elapsed_s() -> float:
            return (self.clock.monotonic_ms() - started) / 1000

        def step(what: str) -> None:
            """Each shutdown step is logged with its time, so a slow or stuck shutdown names its step."""
            log.info("[KafkaServer id=%d] %s (%.2fs into shutdown)", self.broker_id, what, elapsed_s())

        if self.cluster is not None and self.config["controlled.shutdown.enable"]:
            await self.cluster.controlled_shutdown()
            step("controlled shutdown done")
        self._stopping.set()
        for server in self.servers:
            server.close()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.stop()
        for conn in list(self.connections):
            conn.close()
        for task in self._tasks:
            task.cancel()
        step("listeners and connections closed")
        await self.replica_manager.shutdown()
        step("replica fetchers stopped")
        self.group_service.stop()
        self.transaction_service.stop()
        if self.cluster is not None:
            await self.cluster.stop()
            step("ZooKeeper session closed")
        await asyncio.get_running_loop().run_in_executor(None, self.log_manager.close)
        log.info("[KafkaServer id=%d] shut down completed in %.2fs", self.broker_id, elapsed_s())


def _apply_broker_overrides(base: LogConfig, dynamic: dict[str, str]) -> LogConfig:
    """Dynamic broker configs (IncrementalAlterConfigs on the broker) that map to topic defaults."""
    if not dynamic:
        return base
    mapped = {}
    for topic_key, (_, _, broker_key) in TOPIC_CONFIGS.items():
        if broker_key and broker_key in dynamic:
            mapped[topic_key] = dynamic[broker_key]
    return LogConfig.from_topic_configs(mapped, base) if mapped else base
