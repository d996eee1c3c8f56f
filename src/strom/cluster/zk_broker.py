"""A broker's membership in a ZooKeeper cluster (Kafka 2.8's KafkaServer start-up + controller election).

Start-up: connect, create the top-level paths, agree on /cluster/id, register the ephemeral
/brokers/ids/<id> (its czxid is the broker epoch), then compete for /controller. A watch on /controller
re-runs the election whenever it disappears; the winner bumps /controller_epoch and runs the Controller.
After a session expiry the ephemeral znodes are gone: the broker re-registers (a new epoch) and competes
again. On a clean stop the broker asks the controller for a controlled shutdown first.

The member knows the broker only through what it is given: its id and configuration, the ports its
listeners bound (for the registration) and a callback for dynamic config changes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from strom.cluster import zk_data as zd
from strom.cluster.controller import Controller
from strom.cluster.zk_entity_configs import ZkEntityConfigs
from strom.cluster.zk_store import ZkMetadataStore
from strom.cluster.zookeeper import ZkBadVersion, ZkClient, ZkError, ZkNodeExists, ZkStat
from strom.protocol.errors import KafkaError
from strom.protocol.schema import controlled_shutdown
from strom.security.principal import SecurityProtocol
from strom.storage.clock import Clock, SystemClock
from strom.transport.connection import PLAINTEXT_CHANNEL, BrokerConnection, ChannelSecurity

log = logging.getLogger("kafka.server.KafkaServer")

CONTROLLED_SHUTDOWN_RETRIES = 3
CONTROLLED_SHUTDOWN_BACKOFF_S = 0.5
LOG_DIR_EVENT_ATTEMPTS = 60


class Endpoint(Protocol):
    """One advertised listener (BrokerConfig's Listener)."""

    @property
    def name(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def security_protocol(self) -> SecurityProtocol: ...


class MemberConfig(Protocol):
    """The broker configuration a member reads (BrokerConfig): values by Kafka key, advertised listeners."""

    def __getitem__(self, key: str) -> Any: ...

    def get(self, key: str, default: Any = None) -> Any: ...

    @property
    def advertised_listeners(self) -> Sequence[Endpoint]: ...

    @property
    def inter_broker_listener_name(self) -> str: ...


class ClusterMember:
    def __init__(
        self,
        broker_id: int,
        config: MemberConfig,
        bound_ports: Callable[[], list[int]],
        on_config_change: Callable[[], None],
        clock: Clock | None = None,
        inter_broker_security: ChannelSecurity = PLAINTEXT_CHANNEL,
    ) -> None:
        """bound_ports: the ports the listeners bound (a listener on port 0 registers its real port);
        on_config_change: called on the loop after a topic's or this broker's dynamic configs changed."""
        self.config = config
        self.inter_broker_security = inter_broker_security  # controller channel and controlled shutdown
        self.broker_id = broker_id
        self.bound_ports = bound_ports
        self.on_config_change = on_config_change
        self.clock = clock or SystemClock()
        self.zk = ZkClient(
            config["zookeeper.connect"],
            int(config["zookeeper.session.timeout.ms"]),
            config.get("zookeeper.connection.timeout.ms"),
        )
        self.store = ZkMetadataStore(self.zk, self.broker_id, config.get("cluster.id"))
        self.entity_configs = ZkEntityConfigs(self.zk)  # users' and clients' configs: quotas, SCRAM
        self.broker_epoch = -1
        self.registered = asyncio.Event()  # set once /brokers/ids/<id> is ours and broker_epoch is its czxid
        self.controller: Controller | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._electing = False
        self._stopping = False
        self._session_generation = 0  # ZooKeeper sessions re-established so far
        self._rebalance_task: asyncio.Task[None] | None = None
        self._last_config_change = -1

    # ---- start-up: blocking part (runs in the executor before the broker listens) ---------------------------

    def connect(self) -> None:
        log.info("Connecting to zookeeper on %s", self.zk.connect_string)
        self.zk.start()
        for path in zd.PERSISTENT_PATHS:
            self.zk.ensure_path(path)
        self.store.load_cluster_id()
        log.info("Cluster ID = %s", self.store.cluster_id)
        self.store.load_broker_configs()
        self.entity_configs.load()

    def _register(self) -> None:
        info = self._broker_info()
        path = zd.broker_path(self.broker_id)
        existing = self.zk.get(path)
        if existing is not None and existing[1].ephemeral_owner == self.zk.session_id:
            self.broker_epoch = existing[1].czxid
            return
        # After a kill -9 and a quick restart the previous session's znode lives until that session expires:
        # wait for it (up to one session timeout) rather than fail; a second live broker with our id keeps it.
        deadline_ms = self.clock.monotonic_ms() + int((self.zk.session_timeout_s + 2) * 1000)
        while True:
            try:
                stat = self.zk.create_ephemeral(path, info.encode())
                break
            except ZkNodeExists:
                if self.clock.monotonic_ms() > deadline_ms:
                    raise ZkError(
                        f"Error while creating ephemeral at {path}, node already exists and owner does not match current session"
                    ) from None
                time.sleep(0.2)
        self.broker_epoch = stat.czxid
        log.info(
            "Registered broker %d at path %s with addresses: %s:%d, czxid (broker epoch): %d",
            self.broker_id,
            path,
            info.host,
            info.port,
            self.broker_epoch,
        )

    def _broker_info(self) -> zd.BrokerInfo:
        """Every advertised listener (a wildcard or empty host registered as 127.0.0.1, port 0 as the bound
        one); host/port are the inter-broker listener's."""
        config = self.config
        bound = self.bound_ports()
        endpoints = []
        for i, listener in enumerate(config.advertised_listeners):
            host = listener.host or "127.0.0.1"
            if host in ("0.0.0.0", "::"):
                host = "127.0.0.1"
            port = listener.port or (bound[i] if i < len(bound) else 0)
            endpoints.append(zd.ListenerEndpoint(listener.name, host, port, listener.security_protocol.name))
        inter = next((e for e in endpoints if e.listener == config.inter_broker_listener_name), endpoints[0])
        return zd.BrokerInfo(self.broker_id, inter.host, inter.port, inter.listener, config.get("broker.rack"), endpoints=tuple(endpoints))

    # ---- start-up: async part (after the listeners are bound) -------------------------------------------------

    async def wait_registered(self, timeout_s: float) -> bool:
        """Wait until this process has registered (Kafka handles no request before its registration: the
        controller can see the new znode, and send requests naming its epoch, before create() has returned)."""
        try:
            await asyncio.wait_for(self.registered.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._loop.run_in_executor(None, self._register)
        self.registered.set()
        self.zk.add_session_listener(self._on_session_state)
        await self._loop.run_in_executor(None, self._watch)
        if self.config["auto.leader.rebalance.enable"]:
            self._rebalance_task = asyncio.ensure_future(self._auto_rebalance_loop())

    def _watch(self) -> None:
        self.zk.watch_data(zd.CONTROLLER, self._on_controller_change)
        self._last_config_change = self._latest_config_change()
        self.zk.watch_children(zd.CONFIG_CHANGES, self._on_config_changes)

    def _latest_config_change(self) -> int:
        names = self.zk.children(zd.CONFIG_CHANGES)
        return max((int(n.rsplit("_", 1)[1]) for n in names if n.startswith("config_change_")), default=-1)

    def _on_config_changes(self, children: list[str]) -> bool:
        """kazoo thread: a topic's, broker's, user's or client's config changed somewhere (kafka-configs on any
        broker): reload it here."""
        if self._stopping or self._loop is None:
            return False
        for name in children:
            if not name.startswith("config_change_") or int(name.rsplit("_", 1)[1]) <= self._last_config_change:
                continue
            self._last_config_change = int(name.rsplit("_", 1)[1])
            got = self.zk.get(f"{zd.CONFIG_CHANGES}/{name}")
            entity = zd.decode_config_change(got[0]) if got else None
            if entity and entity.startswith("topics/"):
                topic = entity.split("/", 1)[1]
                configs = self.store.topic_configs_from_zk(topic)
                self._loop.call_soon_threadsafe(self._apply_topic_configs, topic, configs)
            elif entity and entity.startswith("brokers/"):
                target = entity.split("/", 1)[1]
                if target in (zd.DEFAULT_BROKER_ENTITY, str(self.broker_id)):
                    configs = self.store.read_broker_configs(target)
                    self._loop.call_soon_threadsafe(self._apply_broker_configs, target, configs)
            elif entity and entity.startswith(("users/", "clients/")):
                self.entity_configs.reload(entity, self._loop)
        return True

    def _apply_broker_configs(self, entity: str, configs: dict[str, str]) -> None:
        self.store.set_dynamic_configs(entity, configs)
        self.on_config_change()
        log.info("Processed config change for broker %s: %s", entity, configs)

    def _apply_topic_configs(self, topic: str, configs: dict[str, str]) -> None:
        state = self.store.topics.get(topic)
        if state is None:
            return
        state.configs = dict(configs)
        self.on_config_change()
        log.info("Processed config change for topic %s: %s", topic, configs)

    def _on_session_state(self, state: str) -> None:
        if state == "reconnected-new-session" and self._loop is not None and not self._stopping:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._on_new_session()))
        elif state == "expired" and self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._resign()))

    async def _on_new_session(self) -> None:
        """Re-registers until it succeeds, as Kafka's registerBroker retries until connected: a broker missing
        from /brokers/ids is invisible to the controller, for good if one failed attempt were the last. A newer
        session (or a shutdown) ends the retries; that session re-registers itself."""
        log.info("ZooKeeper session expired and was re-established: re-registering broker %d", self.broker_id)
        self._session_generation += 1
        generation = self._session_generation
        await self._resign()
        assert self._loop is not None
        delay = 0.2
        while True:
            if self._stopping or generation != self._session_generation:
                return
            try:
                await self._loop.run_in_executor(None, self._register)
                break
            except ZkError as exc:
                log.warning("Re-registration of broker %d failed, retrying in %.1f s: %s", self.broker_id, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await self._elect()

    def _on_controller_change(self, data: bytes | None, stat: ZkStat | None) -> bool:
        """kazoo thread: /controller changed or vanished."""
        if self._stopping or self._loop is None:
            return False
        controller_id = zd.decode_controller(data) if data else -1
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._controller_changed(controller_id)))
        return True

    async def _controller_changed(self, controller_id: int) -> None:
        if controller_id == -1:
            await self._elect()
        elif controller_id != self.broker_id and self.controller is not None:
            await self._resign()
        if controller_id >= 0:
            self.store.controller_id = controller_id

    async def _elect(self) -> None:
        if self._electing or self._stopping or (self.controller is not None and self.controller.active):
            return
        self._electing = True
        try:
            assert self._loop is not None
            won = await self._loop.run_in_executor(None, self._try_become_controller)
            if won is None:
                return
            epoch, epoch_version = won
            self.controller = Controller(self.zk, self.broker_id, epoch, epoch_version, self.config, self.clock, self.inter_broker_security)
            await self.controller.start()
        except Exception as exc:
            # as Kafka's triggerControllerMove: give up /controller so that someone (maybe us) starts over
            log.warning("Controller election or failover failed (%s); retrying", exc)
            assert self._loop is not None
            if self.controller is not None:
                await self._resign()
                await self._loop.run_in_executor(None, self._delete_own_controller_znode)
            self._loop.call_later(1.0, lambda: asyncio.ensure_future(self._elect()))
        finally:
            self._electing = False

    def _try_become_controller(self) -> tuple[int, int] | None:
        """Create /controller; the winner increments /controller_epoch (a conditional set, as Kafka does)."""
        while True:
            got = self.zk.get(zd.CONTROLLER_EPOCH)
            if got is None:
                try:
                    self.zk.create(zd.CONTROLLER_EPOCH, b"0")
                except ZkNodeExists:
                    pass
                continue
            epoch = int(got[0].decode() or 0) + 1
            try:
                stat = self.zk.create_and_set(
                    zd.CONTROLLER, zd.encode_controller(self.broker_id), True, zd.CONTROLLER_EPOCH, str(epoch).encode(), got[1].version
                )
                version = stat.version
                break
            except ZkNodeExists:
                owner = self.zk.get(zd.CONTROLLER)
                if owner is not None:
                    self.store.controller_id = zd.decode_controller(owner[0])
                return None
            except ZkBadVersion:
                continue
        self.store.controller_id = self.broker_id
        log.info(
            "%d successfully elected as the controller. Epoch incremented to %d and epoch zk version is now %d",
            self.broker_id,
            epoch,
            version,
        )
        return epoch, version

    def _delete_own_controller_znode(self) -> None:
        try:
            got = self.zk.get(zd.CONTROLLER)
            if got is not None and zd.decode_controller(got[0]) == self.broker_id:
                self.zk.delete(zd.CONTROLLER, version=got[1].version)
        except ZkError:
            pass

    async def _resign(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            await controller.resign()

    async def _auto_rebalance_loop(self) -> None:
        interval = float(self.config["leader.imbalance.check.interval.seconds"])
        while not self._stopping:
            await asyncio.sleep(interval)
            controller = self.controller
            if controller is not None and controller.active:
                try:
                    await controller.submit(controller.auto_rebalance)
                except Exception:
                    log.exception("automatic preferred leader election failed")

    # ---- log dir failures ---------------------------------------------------------------------------------------

    def on_log_dir_failure(self, log_dir: Path) -> None:
        """ReplicaManager's listener, on the loop, after it stopped serving the replicas of a failed log dir:
        tell the controller (Kafka's propagateLogDirEvent), which asks this broker which replicas are offline
        and elects their partitions' leaders elsewhere."""
        if self._loop is not None and not self._stopping:
            self._loop.run_in_executor(None, self._propagate_log_dir_event, log_dir)

    def _propagate_log_dir_event(self, log_dir: Path) -> None:
        path = f"{zd.LOG_DIR_EVENT_NOTIFICATION}/{zd.LOG_DIR_EVENT_PREFIX}"
        for _ in range(LOG_DIR_EVENT_ATTEMPTS):  # ZooKeeper may be away a while (a restart): as Kafka, keep trying
            try:
                created = self.zk.create(path, zd.encode_log_dir_event(self.broker_id), sequence=True)
            except ZkError as exc:
                log.warning("Could not write the log dir event for %s to ZooKeeper (%s); retrying", log_dir, exc)
                time.sleep(1.0)
                continue
            log.info("Log dir %s failed: notified the controller at %s", log_dir, created)
            return
        log.error("Gave up writing the log dir event for %s to ZooKeeper", log_dir)

    # ---- shutdown ---------------------------------------------------------------------------------------------

    async def controlled_shutdown(self) -> None:
        """Ask the controller to move leadership away before this broker stops (controlled.shutdown.enable)."""
        for attempt in range(CONTROLLED_SHUTDOWN_RETRIES):
            controller = self.controller
            if controller is not None and controller.active:
                try:
                    code, remaining = await controller.submit(partial(controller.controlled_shutdown, self.broker_id, self.broker_epoch))
                except Exception:
                    code, remaining = -1, []
            else:
                target = self.store.live_brokers.get(self.store.controller_id)
                if target is None:
                    await asyncio.sleep(CONTROLLED_SHUTDOWN_BACKOFF_S)
                    continue
                conn = BrokerConnection(
                    target.host, target.port, client_id=f"broker-{self.broker_id}-controlled-shutdown", security=self.inter_broker_security
                )
                try:
                    await conn.connect(timeout=3.0)
                    response = await conn.send(
                        controlled_shutdown.ControlledShutdownRequest(broker_id=self.broker_id, broker_epoch=self.broker_epoch),
                        version=min(3, conn.version_for(controlled_shutdown.API_KEY)),
                    )
                    code, remaining = response.error_code, response.remaining_partitions
                except KafkaError as exc:
                    log.info("Controlled shutdown request to the controller failed: %s", exc)
                    code, remaining = -1, []
                finally:
                    conn.close()
            if code == 0 and not remaining:
                log.info("Controlled shutdown succeeded")
                return
            log.info("Controlled shutdown attempt %d: error %s, %d partition(s) remaining", attempt + 1, code, len(remaining))
            await asyncio.sleep(CONTROLLED_SHUTDOWN_BACKOFF_S)
        log.warning("Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed")

    async def stop(self) -> None:
        self._stopping = True
        if self._rebalance_task is not None:
            self._rebalance_task.cancel()
        await self._resign()
        assert self._loop is not None
        await self._loop.run_in_executor(None, self.zk.close)

    # ---- what topic administration waits for -------------------------------------------------------------------

    def wait_for_partitions(self, name: str, count: int) -> bool:
        """True once this broker's metadata cache has leaders for partitions 0..count-1 of the topic."""
        state = self.store.topics.get(name)
        return state is not None and all(p in state.partitions and state.partitions[p].leader >= 0 for p in range(count))
