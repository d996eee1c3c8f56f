"""The broker's replica manager: applies the controller's LeaderAndIsr / StopReplica, runs the follower fetchers,
tracks followers on the leader, moves the high watermark, completes acks=all produce requests, and proposes ISR
changes to the controller with AlterIsr.

Without a controller (embedded single-broker mode) nothing here runs: every partition is led locally with an ISR
of one, and the high watermark follows the log end offset on each append.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strom.client.connection import BrokerConnection
from strom.cluster.partition_state import NO_LEADER, Partition
from strom.cluster.replica_fetcher import ReplicaFetcher
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import alter_partition
from strom.storage.log_manager import HW_CHECKPOINT, read_checkpoint, write_checkpoint

if TYPE_CHECKING:
    from strom.broker.broker import Broker

log = logging.getLogger("kafka.server.ReplicaManager")

# (topic, partition, is_leader, leader_epoch): e.g. the group coordinator loads/unloads __consumer_offsets partitions.
LeadershipListener = Callable[[str, int, bool, int], None]


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


class ReplicaManager:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.local_id = broker.broker_id
        self.controller_id = -1
        self.controller_epoch = -1
        self.broker_endpoints: dict[int, tuple[str, int]] = {}
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.listeners: list[LeadershipListener] = []
        self.lag_max_ms = int(broker.config["replica.lag.time.max.ms"])
        self._checkpointed_hw: dict[tuple[str, int], int] = {}
        for d in broker.config.log_dirs:
            self._checkpointed_hw.update(read_checkpoint(d / HW_CHECKPOINT))
        for key, plog in broker.log_manager.logs.items():
            if key not in broker.partitions:  # cluster mode: unclaimed until LeaderAndIsr; only the checkpoint is committed
                plog.high_watermark = min(self._checkpointed_hw.get(key, 0), plog.log_end_offset)
        self._controller_conn: BrokerConnection | None = None
        self._isr_task: asyncio.Task[None] | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None

    # ---- controller and broker addresses -------------------------------------------------------------------

    @property
    def has_controller(self) -> bool:
        return self.controller_id >= 0

    def update_brokers(self, controller_id: int, endpoints: dict[int, tuple[str, int]], replace: bool = True) -> None:
        """From UpdateMetadata (all live brokers) or LeaderAndIsr (live leaders, replace=False)."""
        if controller_id >= 0 and controller_id != self.controller_id:
            self.controller_id = controller_id
            self._drop_controller_connection()
        if replace:
            self.broker_endpoints = dict(endpoints)
        else:
            self.broker_endpoints.update(endpoints)
        for broker_id, fetcher in self.fetchers.items():
            if broker_id in self.broker_endpoints:
                fetcher.retarget(*self.broker_endpoints[broker_id])
        if controller_id in endpoints and self._controller_conn is not None:
            if (self._controller_conn.host, self._controller_conn.port) != endpoints[controller_id]:
                self._drop_controller_connection()

    def check_controller_epoch(self, controller_id: int, controller_epoch: int) -> None:
        if controller_epoch < self.controller_epoch:
            raise KafkaError(
                ErrorCode.STALE_CONTROLLER_EPOCH,
                f"controller {controller_id} epoch {controller_epoch} is older than {self.controller_epoch}",
            )
        self.controller_epoch = controller_epoch
        if controller_id != self.controller_id:
            self.controller_id = controller_id
            self._drop_controller_connection()

    # ---- LeaderAndIsr ------------------------------------------------------------------------------------

    def _local_partition(self, topic: str, index: int) -> Partition:
        broker = self.broker
        part = broker.partitions.get((topic, index))
        if part is None:
            plog = broker.log_manager.get_or_create(topic, index, broker.topic_log_config(topic))
            hw = self._checkpointed_hw.get((topic, index), 0)
            plog.high_watermark = min(hw, plog.log_end_offset)
            part = Partition(topic, index, plog, -1, [], [], NO_LEADER, self.local_id)
            broker.partitions[(topic, index)] = part
        elif not part.controlled:
            # Opened at start-up as if it were led locally: only the checkpointed high watermark is known committed.
            checkpointed = self._checkpointed_hw.get((topic, index))
            if checkpointed is not None:
                part.log.high_watermark = min(checkpointed, part.log.log_end_offset)
        return part

    def apply_partition_state(self, topic: str, state: Any, is_new: bool = False) -> int:
        """One partition of a LeaderAndIsr request; returns its error code."""
        if self.local_id not in state.replicas:
            log.warning(
                "Ignoring LeaderAndIsr for %s-%d: broker %d is not among replicas %s",
                topic,
                state.partition_index,
                self.local_id,
                state.replicas,
            )
            return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        existing = self.broker.partitions.get((topic, state.partition_index))
        if existing is not None and existing.controlled and state.leader_epoch < existing.leader_epoch:
            log.info(
                "Ignoring LeaderAndIsr for %s-%d: leader epoch %d is older than %d",
                topic,
                state.partition_index,
                state.leader_epoch,
                existing.leader_epoch,
            )
            return ErrorCode.STALE_CONTROLLER_EPOCH
        if (
            existing is not None
            and existing.controlled
            and state.leader_epoch == existing.leader_epoch
            and state.partition_epoch <= existing.partition_epoch
        ):
            return ErrorCode.STALE_CONTROLLER_EPOCH
        part = self._local_partition(topic, state.partition_index)
        was_leader = part.is_leader and part.controlled
        if state.leader == self.local_id:
            self._remove_from_fetcher(part)
            part.become_leader(state.leader_epoch, list(state.isr), list(state.replicas), state.partition_epoch, _now_ms())
            log.info(
                "[Broker id=%d] Leader %s-%d starts at leader epoch %d from offset %d with high watermark %d, ISR %s",
                self.local_id,
                topic,
                part.index,
                part.leader_epoch,
                part.log.log_end_offset,
                part.log.high_watermark,
                part.isr,
            )
        else:
            part.become_follower(state.leader, state.leader_epoch, list(state.isr), list(state.replicas), state.partition_epoch)
            self._remove_from_fetcher(part)
            if state.leader != NO_LEADER:
                self._add_to_fetcher(part)
            log.info(
                "[Broker id=%d] Follower %s-%d of leader %d at epoch %d", self.local_id, topic, part.index, state.leader, state.leader_epoch
            )
        self.broker.purgatory.notify((topic, part.index))  # waiting produces re-check leadership
        if part.is_leader or was_leader:
            for listener in self.listeners:
                listener(topic, part.index, part.is_leader, part.leader_epoch)
        self._ensure_isr_task()
        return ErrorCode.NONE

    def _add_to_fetcher(self, part: Partition) -> None:
        endpoint = self.broker_endpoints.get(part.leader)
        if endpoint is None:
            log.warning("No endpoint known for leader %d of %s-%d; not fetching yet", part.leader, part.topic, part.index)
            return
        fetcher = self.fetchers.get(part.leader)
        if fetcher is None:
            fetcher = ReplicaFetcher(self, part.leader, *endpoint)
            self.fetchers[part.leader] = fetcher
        fetcher.add(part)

    def _remove_from_fetcher(self, part: Partition) -> None:
        for fetcher in self.fetchers.values():
            fetcher.remove((part.topic, part.index))

    def missing_partition_error(self, topic: str, index: int) -> int:
        """Kafka's getPartitionOrError: a partition the cluster has but this broker holds no replica of is
        NOT_LEADER_OR_FOLLOWER (the client's metadata is stale), anything else UNKNOWN_TOPIC_OR_PARTITION."""
        state = self.broker.metadata.topics.get(topic)
        if state is not None and index in state.partitions:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION

    # ---- StopReplica -----------------------------------------------------------------------------------

    def stop_replica(self, topic: str, index: int, leader_epoch: int, delete: bool) -> int:
        part = self.broker.partitions.get((topic, index))
        if part is None:
            if delete and (topic, index) in self.broker.log_manager.logs:
                self.broker.log_manager.delete(topic, index)
            return ErrorCode.NONE
        # -2 is the controller's "topic is being deleted" epoch; -1 means "no epoch" (older request versions).
        if leader_epoch >= 0 and part.controlled and leader_epoch < part.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        self._remove_from_fetcher(part)
        was_leader = part.is_leader
        part.leader = NO_LEADER
        part.pending_isr = None
        if delete:
            self.broker.partitions.pop((topic, index), None)
            self.broker.log_manager.delete(topic, index)
        self.broker.purgatory.notify((topic, index))
        if was_leader:
            for listener in self.listeners:
                listener(topic, index, False, part.leader_epoch)
        log.info("[Broker id=%d] Stopped replica %s-%d%s", self.local_id, topic, index, " and deleted its log" if delete else "")
        return ErrorCode.NONE

    # ---- leader side: follower fetches, high watermark, acks=all -----------------------------------------

    def on_replica_fetch(self, part: Partition, replica_id: int, fetch_offset: int) -> None:
        """A follower fetched from `fetch_offset`: that is its log end offset."""
        state = part.record_follower_fetch(replica_id, fetch_offset, _now_ms())
        if state is None:
            return
        if part.maybe_advance_high_watermark():
            self.broker.purgatory.notify((part.topic, part.index))
        proposal = part.isr_expansion(replica_id)
        if proposal is not None and self.has_controller:
            log.info("[Partition %s-%d broker=%d] Expanding ISR from %s to %s", part.topic, part.index, self.local_id, part.isr, proposal)
            self._propose_isr(part, proposal)

    def after_leader_append(self, part: Partition) -> None:
        """Called by Produce after an append: an ISR of one commits at once; otherwise followers must fetch."""
        part.maybe_advance_high_watermark()
        self.broker.purgatory.notify((part.topic, part.index))

    def after_follower_append(self, part: Partition) -> None:
        self.broker.purgatory.notify((part.topic, part.index))

    def replication_status(self, part: Partition, required_offset: int) -> int | None:
        """Kafka's DelayedProduce check: None while waiting, else the partition's final error code."""
        current = self.broker.partitions.get((part.topic, part.index))
        if current is not part or not part.is_leader:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        if part.log.high_watermark >= required_offset:
            if len(part.isr) < part.log.config.min_insync_replicas:
                return ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
            return ErrorCode.NONE
        return None

    async def wait_for_acks(self, waiting: list[tuple[Partition, int]], timeout_s: float) -> list[int]:
        """acks=all: waits in purgatory until each partition's high watermark passes its append (or an error)."""
        deadline = time.monotonic() + timeout_s
        while True:
            codes = [self.replication_status(part, required) for part, required in waiting]
            if all(c is not None for c in codes):
                return [int(c) for c in codes if c is not None]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return [int(c) if c is not None else int(ErrorCode.REQUEST_TIMED_OUT) for c in codes]
            keys = [(p.topic, p.index) for (p, _), c in zip(waiting, codes, strict=True) if c is None]
            await self.broker.purgatory.wait(keys, remaining)

    # ---- ISR changes -------------------------------------------------------------------------------------

    def _ensure_isr_task(self) -> None:
        if self._isr_task is None and self.has_controller:
            self._isr_task = asyncio.ensure_future(self._isr_expiration_loop())
            self._checkpoint_task = asyncio.ensure_future(self._high_watermark_checkpoint_loop())

    async def _high_watermark_checkpoint_loop(self) -> None:
        """replica.high.watermark.checkpoint.interval.ms: a restarted broker trusts no more than this file says."""
        interval = int(self.broker.config["replica.high.watermark.checkpoint.interval.ms"]) / 1000
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            values = {k: p.log.high_watermark for k, p in self.broker.partitions.items()}
            dirs = {k: p.log.directory.parent for k, p in self.broker.partitions.items()}
            try:
                await loop.run_in_executor(None, _write_high_watermarks, values, dirs, self.broker.config.log_dirs)
            except OSError:
                log.exception("Cannot write %s", HW_CHECKPOINT)

    async def _isr_expiration_loop(self) -> None:
        """Kafka's isr-expiration task: every replica.lag.time.max.ms / 2, drop followers that fell behind."""
        interval = max(self.lag_max_ms / 2 / 1000, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                self.shrink_isrs()
            except Exception:
                log.exception("ISR expiration check failed")

    def shrink_isrs(self) -> None:
        now = _now_ms()
        for part in list(self.broker.partitions.values()):
            if not part.controlled or not part.is_leader:
                continue
            proposal = part.isr_shrink(now, self.lag_max_ms)
            if proposal is not None:
                lagging = [r for r in part.isr if r not in proposal]
                log.info(
                    "[Partition %s-%d broker=%d] Shrinking ISR from %s to %s; out of sync replicas: %s",
                    part.topic,
                    part.index,
                    self.local_id,
                    part.isr,
                    proposal,
                    lagging,
                )
                self._propose_isr(part, proposal)

    def _propose_isr(self, part: Partition, new_isr: list[int]) -> None:
        part.pending_isr = list(new_isr)
        asyncio.ensure_future(self._send_alter_isr(part, list(new_isr), part.leader_epoch, part.partition_epoch))

    async def _send_alter_isr(self, part: Partition, new_isr: list[int], leader_epoch: int, partition_epoch: int) -> None:
        request = alter_partition.AlterPartitionRequest(
            broker_id=self.local_id,
            broker_epoch=int(getattr(self.broker, "broker_epoch", -1)),
            topics=[
                alter_partition.TopicData(
                    topic_name=part.topic,
                    partitions=[
                        alter_partition.PartitionData(
                            partition_index=part.index,
                            leader_epoch=leader_epoch,
                            new_isr=new_isr,
                            partition_epoch=partition_epoch,
                        )
                    ],
                )
            ],
        )
        code: int = ErrorCode.NONE
        result: Any = None
        try:
            conn = await self._controller()
            response = await conn.send(request, version=0)
            code = response.error_code
            if code == ErrorCode.NONE:
                for topic in response.topics:
                    for p in topic.partitions:
                        if topic.topic_name == part.topic and p.partition_index == part.index:
                            result = p
                            code = p.error_code
        except KafkaError as exc:
            code = exc.code
            self._drop_controller_connection()
        if part.pending_isr != new_isr or part.leader_epoch != leader_epoch:
            return  # a LeaderAndIsr overtook this proposal
        if code != ErrorCode.NONE or result is None:
            log.info("AlterIsr for %s-%d to %s failed with error %d; will retry", part.topic, part.index, new_isr, code)
            if code in (ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.FENCED_LEADER_EPOCH):
                part.pending_isr = None  # stale: wait for the controller's LeaderAndIsr
                return
            await asyncio.sleep(int(self.broker.config["replica.fetch.backoff.ms"]) / 1000)
            if part.pending_isr == new_isr and part.leader_epoch == leader_epoch:
                part.pending_isr = None
            return
        if result.leader_epoch != part.leader_epoch:
            part.pending_isr = None
            return
        part.isr = list(result.isr)
        part.partition_epoch = result.partition_epoch
        part.pending_isr = None
        log.info(
            "[Partition %s-%d broker=%d] ISR updated to %s and version updated to %d",
            part.topic,
            part.index,
            self.local_id,
            part.isr,
            part.partition_epoch,
        )
        part.maybe_advance_high_watermark()
        self.broker.purgatory.notify((part.topic, part.index))

    async def _controller(self) -> BrokerConnection:
        if self._controller_conn is not None and not self._controller_conn.closed:
            return self._controller_conn
        endpoint = self.broker_endpoints.get(self.controller_id)
        if endpoint is None:
            raise KafkaError(ErrorCode.NOT_CONTROLLER, f"no endpoint known for controller {self.controller_id}")
        conn = BrokerConnection(*endpoint, client_id=f"broker-{self.local_id}-alter-isr", request_timeout_ms=30000)
        await conn.connect()
        self._controller_conn = conn
        return conn

    def _drop_controller_connection(self) -> None:
        if self._controller_conn is not None:
            self._controller_conn.close()
            self._controller_conn = None

    # ---- lifecycle ----------------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        for task in (self._isr_task, self._checkpoint_task):
            if task is not None:
                task.cancel()
        for fetcher in list(self.fetchers.values()):
            await fetcher.stop()
        self.fetchers.clear()
        self._drop_controller_connection()


def _write_high_watermarks(values: dict[tuple[str, int], int], dirs: dict[tuple[str, int], Path], log_dirs: list[Path]) -> None:
    for d in log_dirs:
        write_checkpoint(Path(d) / HW_CHECKPOINT, {k: v for k, v in values.items() if dirs[k] == Path(d)})
