"""Glue between the pure transaction coordinator and the broker: `__transaction_state`, markers, timers.

Each change of a transactional id's state is appended to its `__transaction_state` partition (Kafka's
key/value formats) before the client is answered. Markers are control batches appended to the leader of
each partition of the transaction; a marker on a `__consumer_offsets` partition also makes the offsets
the transaction committed (TxnOffsetCommit) visible to their group, or drops them on abort.

At start-up the topic is replayed: a transaction caught between PrepareCommit/PrepareAbort and Complete*
by a kill -9 gets its markers again; an Ongoing one is aborted once its timeout passes
(transaction.abort.timed.out.transaction.cleanup.interval.ms), so read_committed consumers never wait
on a transaction forever.

In ZooKeeper mode the coordinator of a transactional id is the leader of its `__transaction_state`
partition (created on first FindCoordinator with transaction.state.log.replication.factor replicas): a
broker loads the ids of a partition when it becomes its leader (completing interrupted transactions) and
forgets them when it stops leading it; state changes are answered once the ISR has them, and markers for
partitions led elsewhere go to their leaders as WriteTxnMarkers requests.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from strom.broker.config import BrokerConfig
from strom.broker.coordinator_loader import replay
from strom.broker.group_service import OFFSETS_TOPIC, GroupService
from strom.cluster.metadata import MetadataStore
from strom.cluster.partition_state import Partition
from strom.cluster.replica_manager import ReplicaManager
from strom.cluster.topic_admin import AdminManager
from strom.coordination.offsets import CommittedOffset, offset_key, offset_value, parse_key, parse_offset_value, partition_for
from strom.coordination.transaction_offsets import committed_records
from strom.coordination.transaction_records import parse_txn_key, parse_txn_value, txn_key, txn_value
from strom.coordination.transactions import MarkerJob, TransactionCoordinator, TxnConfig, TxnMetadata, group_by_topic
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, Record
from strom.protocol.schema import write_txn_markers as markers_schema
from strom.protocol.types import TP
from strom.storage.clock import Clock, SteadyClock
from strom.storage.log import PartitionLog
from strom.storage.txn_index import marker_record_key, marker_record_value
from strom.transport.connection import BrokerConnection

log = logging.getLogger("kafka.coordinator.transaction.TransactionCoordinator")

TXN_TOPIC = "__transaction_state"
Written = dict[int, tuple[Partition, int]]  # __transaction_state partition -> (partition, end offset after the append)


def build_marker(producer_id: int, epoch: int, commit: bool, coordinator_epoch: int, now_ms: int) -> bytes:
    builder = BatchBuilder(producer_id=producer_id, producer_epoch=epoch, is_transactional=True, is_control=True)
    builder.append(marker_record_value(coordinator_epoch), key=marker_record_key(commit), timestamp=now_ms)
    return builder.build()


def _metadata_of(transactional_id: str, value: Any) -> TxnMetadata:
    parts = {(t.topic, i) for t in value.transaction_partitions or [] for i in t.partition_ids}
    return TxnMetadata(
        transactional_id,
        value.producer_id,
        value.producer_epoch,
        value.transaction_timeout_ms,
        value.transaction_status,
        parts,
        value.transaction_start_timestamp_ms,
        value.transaction_last_update_timestamp_ms,
    )


def _flush_all(logs: list[PartitionLog]) -> None:
    for plog in logs:
        plog.flush()


def fenced_code(code: int, version: int, first_version_knowing_fenced: int) -> int:
    """KIP-588: PRODUCER_FENCED exists only from these versions on; older clients get INVALID_PRODUCER_EPOCH."""
    if code == ErrorCode.PRODUCER_FENCED and version < first_version_knowing_fenced:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return code


class TransactionService:
    """clustered: ZooKeeper mode, where this broker coordinates the transactional ids whose
    `__transaction_state` partition it leads and sends markers for partitions led elsewhere to their leaders."""

    def __init__(
        self,
        broker_id: int,
        config: BrokerConfig,
        clock: Clock,
        metadata: MetadataStore,
        admin: AdminManager,
        replica_manager: ReplicaManager,
        groups: GroupService,
        clustered: bool,
    ) -> None:
        self.broker_id = broker_id
        self.config = config
        self.clock = clock
        # deadlines (sessions, rebalances, transaction timeouts) must not move when the wall clock is stepped
        self.steady_clock = SteadyClock(clock)
        self.metadata = metadata
        self.admin = admin
        self.replica_manager = replica_manager
        self.groups = groups
        self.clustered = clustered
        self.loaded = False  # transactional calls get COORDINATOR_LOAD_IN_PROGRESS until the start-up load is done
        self.coordinator = TransactionCoordinator(TxnConfig(max_timeout_ms=int(config["transaction.max.timeout.ms"])))
        self.num_partitions = int(config["transaction.state.log.num.partitions"])
        self.cleanup_interval_ms = int(config["transaction.abort.timed.out.transaction.cleanup.interval.ms"])
        self.remove_interval_ms = int(config["transaction.remove.expired.transaction.cleanup.interval.ms"])
        self.expiration_ms = int(config["transactional.id.expiration.ms"])
        self._last_expiry_check = self.now_ms()
        # TxnOffsetCommit: producer id -> group id -> offsets waiting for the transaction's marker
        self.pending_offsets: dict[int, dict[str, list[tuple[str, int, CommittedOffset]]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._connections: dict[int, BrokerConnection] = {}  # to other brokers, for WriteTxnMarkers
        self._settling: asyncio.Lock | None = None

    def now_ms(self) -> int:
        return self.steady_clock.now_ms()

    # ---- start-up -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Loads the transactional ids led here and the offsets of open transactions, completes interrupted
        transactions, then follows the leadership of `__transaction_state`'s partitions. __transaction_state
        itself is created on first use, as Kafka does."""
        loop = asyncio.get_running_loop()
        self._refresh_partition_count()
        loaded = await loop.run_in_executor(None, self.load)
        await loop.run_in_executor(None, self.load_open_offsets)
        resumed = self.coordinator.resume(self.now_ms())
        self.loaded = True
        self.replica_manager.listeners.append(self.on_leadership)
        await self.settle()
        log.info(
            "Loaded %d transactional id(s) from %s (%d record(s)); completed %d interrupted transaction(s)",
            len(self.coordinator.txns),
            TXN_TOPIC,
            loaded,
            len(resumed),
        )

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def coordinator_error(self, transactional_id: str) -> int:
        """NONE if this broker coordinates the id; COORDINATOR_LOAD_IN_PROGRESS (retriable) while it is still
        loading; in ZooKeeper mode the leader of the id's __transaction_state partition coordinates it and any
        other broker answers NOT_COORDINATOR (the client looks it up again)."""
        if not self.loaded:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        if not self.is_coordinator(transactional_id):
            return ErrorCode.NOT_COORDINATOR
        return ErrorCode.NONE

    def ensure_topic(self) -> None:
        """Creates __transaction_state on first use (a broker that never sees a transaction has none);
        in ZooKeeper mode FindCoordinator creates it through the controller instead."""
        if self.clustered:
            self._refresh_partition_count()
            return
        topic = self.metadata.topics.get(TXN_TOPIC)
        if topic is None:
            self.admin.create_topic(
                TXN_TOPIC,
                self.num_partitions,
                1,
                {
                    "cleanup.policy": "compact",
                    "compression.type": "uncompressed",
                    "min.insync.replicas": "1",
                    "unclean.leader.election.enable": "false",
                    "segment.bytes": str(self.config["transaction.state.log.segment.bytes"]),
                },
                internal=True,
            )
            topic = self.metadata.topics[TXN_TOPIC]
        self.num_partitions = len(topic.partitions)

    def load(self) -> int:
        """Replays every partition of __transaction_state led here (in an executor: it reads files)."""
        count = 0
        for index in range(self.num_partitions):
            part = self.replica_manager.partition(TXN_TOPIC, index)
            if part is not None and part.is_leader:
                count += replay(part, self._apply, log)
        return count

    def _apply(self, record: Record) -> bool:
        txn_id = parse_txn_key(record.key or b"")
        if txn_id is None:
            return False
        value = None if record.value is None else _metadata_of(txn_id, parse_txn_value(record.value))
        self.coordinator.apply_record(txn_id, value)
        return True

    def load_open_offsets(self) -> int:
        """Offsets of transactions still open in __consumer_offsets (a restart lost them from memory):
        their COMMIT or ABORT marker, written after the restart, settles them."""
        count = 0
        for index in range(self.groups.num_partitions):
            part = self.replica_manager.partition(OFFSETS_TOPIC, index)
            if part is None or not part.log.producer_state.open_txns.first_offsets:
                continue
            open_txns: dict[int, list[Record]] = {}
            for _ in committed_records(part.log.read_bytes(part.log.log_start_offset), open_txns):
                pass
            for pid, records in open_txns.items():
                for record in records:
                    if record.key is None or record.value is None:
                        continue
                    group_id, topic, partition = parse_key(record.key)
                    if topic is not None and partition is not None:
                        entry = (topic, partition, parse_offset_value(record.value))
                        self.pending_offsets.setdefault(pid, {}).setdefault(group_id, []).append(entry)
                        count += 1
        return count

    # ---- cluster mode: the coordinator follows the leaders of __transaction_state ------------------------

    def is_coordinator(self, transactional_id: str) -> bool:
        if not self.clustered:
            return True
        part = self.replica_manager.partition(TXN_TOPIC, self.partition_of(transactional_id))
        return part is not None and part.is_leader

    def _refresh_partition_count(self) -> None:
        topic = self.metadata.topics.get(TXN_TOPIC)
        if topic is not None and topic.partitions:
            self.num_partitions = len(topic.partitions)

    def on_leadership(self, topic: str, index: int, is_leader: bool, leader_epoch: int) -> None:
        """Kafka's onElection / onResignation for a __transaction_state partition."""
        if topic != TXN_TOPIC:
            return
        self._refresh_partition_count()
        self.coordinator.unload(lambda txn_id: self.partition_of(txn_id) != index)
        if not is_leader:
            log.info("Unloaded the transactional ids of %s-%d (no longer its leader)", TXN_TOPIC, index)
            return
        part = self.replica_manager.partition(TXN_TOPIC, index)
        if part is None:
            return
        count = replay(part, self._apply, log)
        resumed = self.coordinator.resume(self.now_ms())
        log.info(
            "Loaded %d record(s) of %s-%d at leader epoch %d; resumed %d transaction(s)",
            count,
            TXN_TOPIC,
            index,
            leader_epoch,
            len(resumed),
        )
        asyncio.ensure_future(self.settle())

    # ---- persistence and markers ----------------------------------------------------------------------

    def partition_of(self, transactional_id: str) -> int:
        return partition_for(transactional_id, self.num_partitions)

    def _persist(self, written: Written) -> int:
        """Appends the record of every id that changed; `written` collects partition -> (part, end offset)
        for the wait on the ISR. Returns an error code for the client."""
        error = ErrorCode.NONE
        now = self.now_ms()
        changes: list[tuple[str, bytes | None]] = [(txn_id, None) for txn_id in self.coordinator.take_expired()]
        for txn_id in self.coordinator.take_changed():
            m = self.coordinator.describe(txn_id)
            if m is not None:
                state = txn_value(
                    m.producer_id, m.producer_epoch, m.timeout_ms, m.state, m.partitions_by_topic(), m.last_update_ms, m.start_ms
                )
                changes.append((txn_id, state))
        for txn_id, value in changes:
            index = self.partition_of(txn_id)
            part = self.replica_manager.partition(TXN_TOPIC, index)
            if part is None or not part.is_leader:
                error = ErrorCode.NOT_COORDINATOR
                continue
            builder = BatchBuilder()
            builder.append(value, key=txn_key(txn_id), timestamp=now)
            try:
                part.log.append_as_leader(builder.build(), part.leader_epoch)
            except KafkaError as exc:
                log.error("Cannot write the state of transactional id %s: %s", txn_id, exc)
                error = ErrorCode.COORDINATOR_NOT_AVAILABLE
                continue
            self.replica_manager.after_leader_append(part)
            written[index] = (part, part.log.log_end_offset)
        return error

    async def _replicated(self, written: Written) -> int:
        """Kafka writes the transaction log with acks=all: the answer waits for the ISR (a new coordinator
        elected after a failure then knows what the client was told)."""
        waiting = [(part, end) for part, end in written.values() if part.log.high_watermark < end]
        if not waiting:
            return ErrorCode.NONE
        timeout_s = int(self.config["offsets.commit.timeout.ms"]) / 1000
        codes = await self.replica_manager.wait_for_acks(waiting, timeout_s)
        for code in codes:
            if code == ErrorCode.NOT_LEADER_OR_FOLLOWER:
                return ErrorCode.NOT_COORDINATOR
            if code:
                return ErrorCode.COORDINATOR_NOT_AVAILABLE
        return ErrorCode.NONE

    async def settle(self) -> int:
        """Persists what the last operation changed (waiting for the ISR in a cluster), writes pending
        markers (then the Complete* records), and flushes __transaction_state by policy. Returns the error
        code of the persistence."""
        written: Written = {}
        error = self._persist(written)  # synchronously after the operation: records keep its order
        jobs = self.coordinator.take_markers()
        try:
            code = await self._write_markers_and_flush(jobs, written)
            return error or code
        finally:
            self._arm_timer()  # whatever failed, timeouts and pending markers are looked at again

    async def _write_markers_and_flush(self, jobs: list[MarkerJob], written: Written) -> int:
        error = await self._replicated(written)
        if self._settling is None:
            self._settling = asyncio.Lock()
        async with self._settling:  # one marker round at a time
            remaining = list(jobs)
            try:
                while remaining:
                    job = remaining[0]
                    if not self.is_coordinator(job.transactional_id):
                        pass  # the new coordinator resumes it
                    elif await self.write_markers(job):
                        self.coordinator.markers_written(self.now_ms(), job)
                    else:
                        self.coordinator.pending_markers.append(job)  # retried by the timer
                    remaining.pop(0)
            finally:
                self.coordinator.pending_markers.extend(remaining)  # an unexpected failure: the timer retries
            written = {}
            self._persist(written)
            await self._replicated(written)
        await self._flush()
        return error

    async def _flush(self) -> None:
        now = self.clock.monotonic_ms()
        logs = [p.log for (t, _), p in self.replica_manager.partitions.items() if t == TXN_TOPIC and p.log.needs_flush(now)]
        if logs:
            await asyncio.get_running_loop().run_in_executor(None, _flush_all, logs)

    async def write_markers(self, job: MarkerJob) -> bool:
        """Appends the job's marker on every partition: directly where this broker leads, through
        WriteTxnMarkers to the leader elsewhere. True once every partition has it (a partition whose topic
        is gone needs none, as in Kafka)."""
        done = True
        coordinator_epoch = self._coordinator_epoch(job.transactional_id)
        remote: dict[int, list[TP]] = {}
        for topic, index in job.partitions:
            part = self.replica_manager.partition(topic, index)
            if self.clustered and (part is None or not part.is_leader):
                state = self.metadata.topics.get(topic)
                leader = state.partitions.get(index) if state is not None else None
                if leader is None:
                    continue  # deleted topic
                remote.setdefault(leader.leader, []).append((topic, index))
                continue
            code = self.write_marker(topic, index, job.producer_id, job.producer_epoch, job.commit, coordinator_epoch)
            if code not in (ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION):
                log.warning("Marker for %s on %s-%d failed: %s", job.transactional_id, topic, index, code)
                done = False
        for broker_id, partitions in remote.items():
            done = await self._send_markers(broker_id, job, partitions, coordinator_epoch) and done
        return done

    def _coordinator_epoch(self, transactional_id: str) -> int:
        part = self.replica_manager.partition(TXN_TOPIC, self.partition_of(transactional_id))
        return max(part.leader_epoch, 0) if part is not None else 0

    async def _send_markers(self, broker_id: int, job: MarkerJob, partitions: list[TP], coordinator_epoch: int) -> bool:
        endpoint = self.metadata.live_brokers.get(broker_id)
        if endpoint is None:
            return False
        by_topic = group_by_topic(partitions)
        request = markers_schema.WriteTxnMarkersRequest(
            markers=[
                markers_schema.WritableTxnMarker(
                    producer_id=job.producer_id,
                    producer_epoch=job.producer_epoch,
                    transaction_result=job.commit,
                    topics=[markers_schema.WritableTxnMarkerTopic(name=t, partition_indexes=ps) for t, ps in by_topic.items()],
                    coordinator_epoch=coordinator_epoch,
                )
            ]
        )
        try:
            conn = self._connections.get(broker_id)
            if conn is None or conn.closed:
                conn = BrokerConnection(
                    endpoint.host,
                    endpoint.port,
                    client_id=f"txn-coordinator-{self.broker_id}",
                    security=self.replica_manager.config.inter_broker_security,
                )
                await conn.connect(timeout=5.0)
                self._connections[broker_id] = conn
            response = await conn.send(request, version=min(1, conn.version_for(markers_schema.API_KEY)), timeout=10.0)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("WriteTxnMarkers to broker %d failed: %s", broker_id, exc)
            conn = self._connections.pop(broker_id, None)
            if conn is not None:
                conn.close()
            return False
        codes = [p.error_code for m in response.markers for t in m.topics for p in t.partitions]
        return all(code in (ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) for code in codes)

    def write_marker(self, topic: str, index: int, producer_id: int, epoch: int, commit: bool, coordinator_epoch: int) -> int:
        """One COMMIT/ABORT control batch at the end of a partition led here (also WriteTxnMarkers)."""
        part = self.replica_manager.partition(topic, index)
        if part is None:
            return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        if not part.is_leader:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        try:
            part.log.append_as_leader(build_marker(producer_id, epoch, commit, coordinator_epoch, self.now_ms()), part.leader_epoch)
        except KafkaError as exc:
            return int(exc.code())
        if topic == OFFSETS_TOPIC:
            self.complete_offsets(producer_id, index, commit)
        self.replica_manager.after_leader_append(part)
        return ErrorCode.NONE

    # ---- TxnOffsetCommit ------------------------------------------------------------------------------

    def commit_offsets(self, group_id: str, producer_id: int, epoch: int, entries: list[tuple[str, int, CommittedOffset]]) -> int:
        """Appends the offsets as a transactional batch of the producer to the group's __consumer_offsets
        partition; the group sees them once the COMMIT marker lands there."""
        index = partition_for(group_id, self.groups.num_partitions)
        part = self.replica_manager.partition(OFFSETS_TOPIC, index)
        if part is None or not part.is_leader:
            return ErrorCode.NOT_COORDINATOR
        builder = BatchBuilder(producer_id=producer_id, producer_epoch=epoch, is_transactional=True)
        now = self.now_ms()
        for topic, partition, committed in entries:
            builder.append(offset_value(committed), key=offset_key(group_id, topic, partition), timestamp=now)
        try:
            part.log.append_as_leader(builder.build(), part.leader_epoch)
        except KafkaError as exc:
            return int(exc.code())
        self.replica_manager.after_leader_append(part)
        self.pending_offsets.setdefault(producer_id, {}).setdefault(group_id, []).extend(entries)
        return ErrorCode.NONE

    def has_pending_offsets(self, group_id: str, topic: str, partition: int) -> bool:
        """KIP-447: an open transaction holds offsets of this group partition (OffsetFetch require_stable)."""
        for by_group in self.pending_offsets.values():
            for t, p, _ in by_group.get(group_id, ()):
                if t == topic and p == partition:
                    return True
        return False

    def complete_offsets(self, producer_id: int, offsets_partition: int, commit: bool) -> None:
        groups = self.groups
        by_group = self.pending_offsets.get(producer_id)
        if not groups.loaded or not by_group:
            return
        for group_id in [g for g in by_group if partition_for(g, groups.num_partitions) == offsets_partition]:
            entries = by_group.pop(group_id)
            if commit:
                for topic, partition, committed in entries:
                    groups.offsets.commit(group_id, topic, partition, committed)
                if groups.consumer_group(group_id) is None:
                    groups.coordinator.ensure_group(group_id, self.now_ms())
        if not by_group:
            self.pending_offsets.pop(producer_id, None)

    # ---- timer ----------------------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        if self._timer is not None:
            return
        delay_ms = self.cleanup_interval_ms
        if self.coordinator.pending_markers:
            delay_ms = min(delay_ms, 500)
        self._timer = asyncio.get_running_loop().call_later(delay_ms / 1000, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = self.now_ms()
        if now - self._last_expiry_check >= self.remove_interval_ms:
            self._last_expiry_check = now
            for txn_id in self.coordinator.expire_ids(now, self.expiration_ms):
                log.info("Transactional id %s expired (transactional.id.expiration.ms)", txn_id)
        aborted = self.coordinator.abort_timed_out(now)
        for txn_id in aborted:
            log.info("Aborting transaction of %s: it exceeded its timeout", txn_id)
        asyncio.ensure_future(self.settle())
