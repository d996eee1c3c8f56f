"""A broker's membership in a ZooKeeper cluster (Kafka 2.8's KafkaServer start-up + controller election).

Start-up: connect, create the top-level paths, agree on /cluster/id, register the ephemeral
/brokers/ids/<id> (its czxid is the broker epoch), then compete for /controller. A watch on /controller
re-runs the election whenever it disappears; the winner bumps /controller_epoch and runs the Controller.
After a session expiry the ephemeral znodes are gone: the broker re-registers (a new epoch) and competes
again. On a clean stop the broker asks the controller for a controlled shutdown first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any

from strom.cluster import zk_data as zd
from strom.cluster.controller import Controller
from strom.cluster.zk_store import ZkMetadataStore
from strom.cluster.zookeeper import ZkBadVersion, ZkClient, ZkError, ZkNodeExists, zk_errors_as
from strom.protocol.errors import ErrorCode

log = logging.getLogger("kafka.server.KafkaServer")

CONTROLLED_SHUTDOWN_RETRIES = 3
CONTROLLED_SHUTDOWN_BACKOFF_S = 0.5


class ClusterMember:
    def __init__(self, broker: Any) -> None:
        config = broker.config
        self.broker = broker
        self.broker_id: int = broker.broker_id
        self.zk = ZkClient(
            config["zookeeper.connect"],
            int(config["zookeeper.session.timeout.ms"]),
            config.get("zookeeper.connection.timeout.ms"),
        )
        self.store = ZkMetadataStore(self.zk, self.broker_id, config.get("cluster.id"))
        self.broker_epoch = -1
        self.controller: Controller | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._electing = False
        self._stopping = False
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

    def _register(self) -> None:
        info = self._broker_info()
        path = zd.broker_path(self.broker_id)
        existing = self.zk.get(path)
        if existing is not None and existing[1].ephemeral_owner == self.zk.session_id:
            self.broker_epoch = existing[1].czxid
            return
        # After a kill -9 and a quick restart the previous session's znode lives until that session expires:
        # wait for it (up to one session timeout) rather than fail; a second live broker with our id keeps it.
        deadline = time.monotonic() + self.zk.session_timeout_s + 2
        while True:
            try:
                self.zk.create(path, info.encode(), ephemeral=True)
                break
            except ZkNodeExists:
                if time.monotonic() > deadline:
                    raise ZkError(
                        f"Error while creating ephemeral at {path}, node already exists and owner does not match current session"
                    ) from None
                time.sleep(0.2)
        stat = self.zk.exists(path)
        self.broker_epoch = stat.czxid if stat else -1
        log.info(
            "Registered broker %d at path %s with addresses: %s:%d, czxid (broker epoch): %d",
            self.broker_id,
            path,
            info.host,
            info.port,
            self.broker_epoch,
        )

    def _broker_info(self) -> zd.BrokerInfo:
        config = self.broker.config
        listener = config.advertised_listeners[0]
        host = listener.host or "127.0.0.1"
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        port = listener.port or (self.broker.bound_ports() or [0])[0]
        return zd.BrokerInfo(self.broker_id, host, port, listener.name, config.get("broker.rack"))

    # ---- start-up: async part (after the listeners are bound) -------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._loop.run_in_executor(None, self._register)
        self.zk.add_session_listener(self._on_session_state)
        await self._loop.run_in_executor(None, self._watch)
        if self.broker.config["auto.leader.rebalance.enable"]:
            self._rebalance_task = asyncio.ensure_future(self._auto_rebalance_loop())

    def _watch(self) -> None:
        self.zk.watch_data(zd.CONTROLLER, self._on_controller_change)
        self._last_config_change = self._latest_config_change()
        self.zk.watch_children(zd.CONFIG_CHANGES, self._on_config_changes)

    def _latest_config_change(self) -> int:
        names = self.zk.children(zd.CONFIG_CHANGES)
        return max((int(n.rsplit("_", 1)[1]) for n in names if n.startswith("config_change_")), default=-1)

    def _on_config_changes(self, children: list[str]) -> bool:
        """kazoo thread: a topic's config changed somewhere (kafka-configs on any broker): reload it here."""
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
        return True

    def _apply_broker_configs(self, entity: str, configs: dict[str, str]) -> None:
        self.store.set_dynamic_configs(entity, configs)
        self.broker.refresh_all_log_configs()
        log.info("Processed config change for broker %s: %s", entity, configs)

    def _apply_topic_configs(self, topic: str, configs: dict[str, str]) -> None:
        state = self.store.topics.get(topic)
        if state is None:
            return
        state.configs = dict(configs)
        self.broker.refresh_all_log_configs()
        log.info("Processed config change for topic %s: %s", topic, configs)

    def _on_session_state(self, state: str) -> None:
        if state == "reconnected-new-session" and self._loop is not None and not self._stopping:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._on_new_session()))
        elif state == "expired" and self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._resign()))

    async def _on_new_session(self) -> None:
        log.info("ZooKeeper session expired and was re-established: re-registering broker %d", self.broker_id)
        await self._resign()
        assert self._loop is not None
        try:
            await self._loop.run_in_executor(None, self._register)
        except ZkError:
            log.exception("re-registration failed")
        await self._elect()

    def _on_controller_change(self, data: bytes | None, stat: Any) -> bool:
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
            self.controller = Controller(self.zk, self.broker_id, epoch, epoch_version, self.broker.config)
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
        interval = float(self.broker.config["leader.imbalance.check.interval.seconds"])
        while not self._stopping:
            await asyncio.sleep(interval)
            controller = self.controller
            if controller is not None and controller.active:
                try:
                    await controller.submit(controller.auto_rebalance)
                except Exception:
                    log.exception("automatic preferred leader election failed")

    # ---- shutdown ---------------------------------------------------------------------------------------------

    async def controlled_shutdown(self) -> None:
        """Ask the controller to move leadership away before this broker stops (controlled.shutdown.enable)."""
        from strom.protocol.errors import KafkaError
        from strom.protocol.schema.controlled_shutdown import ControlledShutdownRequest
        from strom.transport.connection import BrokerConnection

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
                conn = BrokerConnection(target.host, target.port, client_id=f"broker-{self.broker_id}-controlled-shutdown")
                try:
                    await conn.connect(timeout=3.0)
                    response = await conn.send(
                        ControlledShutdownRequest(broker_id=self.broker_id, broker_epoch=self.broker_epoch),
                        version=min(3, conn.version_for(7)),
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

    # ---- topic administration in ZooKeeper (what a Kafka 2.8 broker's AdminManager does) -----------------------

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def live_brokers(self) -> dict[int, str | None]:
        """Live broker id -> rack, from the UpdateMetadata cache (ZooKeeper itself before the first one arrives)."""
        if self.store.live_brokers:
            return {b.broker_id: b.rack for b in self.store.live_brokers.values()}
        out: dict[int, str | None] = {}
        for name in self.zk.children(zd.BROKER_IDS):
            got = self.zk.get(zd.broker_path(int(name)))
            if got is not None:
                out[int(name)] = zd.BrokerInfo.decode(int(name), got[0]).rack
        return out

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: dict[str, str],
        assignment: dict[int, list[int]] | None,
        validate_only: bool,
        internal: bool,
    ) -> Any:
        from strom.cluster.controller_assignment import assign_replicas, validate_assignment
        from strom.protocol.errors import ErrorCode, KafkaError
        from strom.storage.config import LogConfig

        if self.store.topic_exists(name):
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        live = self.live_brokers()
        config = self.broker.config
        if assignment:
            validate_assignment(assignment, set(live))
        else:
            if num_partitions == -1:
                num_partitions = int(config["num.partitions"])
            if replication_factor == -1:
                replication_factor = int(config["default.replication.factor"])
            if num_partitions > 100_000:
                raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
            assignment = assign_replicas(live, num_partitions, replication_factor)
        clean = {k: v for k, v in configs.items() if v is not None}
        LogConfig.from_topic_configs(clean, self.broker.default_log_config())  # validates: INVALID_CONFIG
        if validate_only:
            return None
        state = self.store.create_topic(name, assignment, clean, internal)
        log.info("Creating topic %s with configuration %s and initial partition assignment %s", name, clean, assignment)
        return state

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def add_partitions(self, name: str, count: int, assignment: list[list[int]] | None, validate_only: bool) -> None:
        from strom.cluster.controller_assignment import assign_replicas, validate_assignment
        from strom.protocol.errors import ErrorCode, KafkaError

        got = self.zk.get(zd.topic_path(name))
        if got is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        current = zd.TopicAssignment.decode(got[0])
        existing = len(current.partitions)
        if count <= existing:
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, f"Topic currently has {existing} partitions, {count} would not be an increase.")
        live = self.live_brokers()
        if assignment is not None:
            if len(assignment) != count - existing:
                raise KafkaError(
                    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"Increasing the number of partitions by {count - existing} but {len(assignment)} assignments provided.",
                )
            new = {existing + i: list(r) for i, r in enumerate(assignment)}
            validate_assignment(new, set(live), start=existing)
        else:
            rf = len(current.partitions.get(0, [])) or 1
            new = assign_replicas(live, count - existing, rf, start_partition=existing)
        if not validate_only:
            self.store.add_partitions(name, new)

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def delete_topic(self, name: str) -> None:
        from strom.protocol.errors import ErrorCode, KafkaError

        if not self.store.topic_exists(name):
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if not self.broker.config["delete.topic.enable"]:
            raise KafkaError(ErrorCode.TOPIC_DELETION_DISABLED)
        self.store.delete_topic(name)

    def wait_for_partitions(self, name: str, count: int) -> bool:
        """True once this broker's metadata cache has leaders for partitions 0..count-1 of the topic."""
        state = self.store.topics.get(name)
        return state is not None and all(p in state.partitions and state.partitions[p].leader >= 0 for p in range(count))
