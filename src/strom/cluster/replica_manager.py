"""The broker's replica manager (Kafka's ReplicaManager): owns the partitions this broker holds a replica of and
the data path through them.

- Produce: `append_records` checks leadership and min.insync.replicas, converts batches where the topic demands
  it, appends, writes the appends of one event-loop tick together (group commit) before anything is answered,
  flushes by policy, and for acks=all waits in purgatory until the high watermark passes the append.
- Fetch: `fetch_messages` reads file slices up to the high watermark (or the last stable offset for
  read_committed consumers, or the log end offset for followers) and long-polls in purgatory, woken by appends.
- Replication: applies the controller's LeaderAndIsr / StopReplica, runs the follower fetchers, tracks followers
  on the leader, moves the high watermark, and proposes ISR changes to the controller with AlterIsr.

Without a controller (embedded single-broker mode) the replication half does nothing: every partition is led
locally with an ISR of one, and the high watermark follows the log end offset on each append.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from strom.cluster.broker_topic_stats import BrokerTopicStats
from strom.cluster.group_commit import GroupCommit
from strom.cluster.log_validator import PRODUCER_CODEC, validate_and_convert
from strom.cluster.metadata import PartitionLeadershipView, TopicState
from strom.cluster.partition_state import NO_LEADER, Partition
from strom.cluster.purgatory import Purgatory
from strom.cluster.replica_fetcher import ReplicaFetcher
from strom.protocol.errors import CorruptMessage, ErrorCode, KafkaError, RecordValidationError
from strom.protocol.records import is_legacy_message_set
from strom.protocol.schema import alter_partition
from strom.protocol.schema.fetch import AbortedTransaction
from strom.protocol.types import TP
from strom.storage.clock import Clock
from strom.storage.config import LogConfig
from strom.storage.log import AppendResult, PartitionLog
from strom.storage.log_manager import HW_CHECKPOINT, LogManager, read_checkpoint
from strom.storage.segment import Buffer, FileSlice
from strom.transport.connection import PLAINTEXT_CHANNEL, BrokerConnection, ChannelSecurity

log = logging.getLogger("kafka.server.ReplicaManager")

# (topic, partition, is_leader, leader_epoch): e.g. the group coordinator loads/unloads __consumer_offsets partitions.
LeadershipListener = Callable[[str, int, bool, int], None]
# (topic, partition, records) -> error code: Kafka 3.6's transaction verification of a transactional produce.
TransactionVerifier = Callable[[str, int, Buffer], int]

ACKS_ALL = -1
# Produce errors Kafka does not count as failed produce requests (they say nothing about the broker's health)
# and those whose records it counts as rejected bytes.
_NOT_PRODUCE_FAILURES = frozenset(
    {
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.MESSAGE_TOO_LARGE,
        ErrorCode.RECORD_LIST_TOO_LARGE,
        ErrorCode.CORRUPT_MESSAGE,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.INVALID_REQUIRED_ACKS,
    }
)
_REJECTED_RECORDS = frozenset(
    {
        ErrorCode.MESSAGE_TOO_LARGE,
        ErrorCode.RECORD_LIST_TOO_LARGE,
        ErrorCode.CORRUPT_MESSAGE,
        ErrorCode.INVALID_RECORD,
        ErrorCode.INVALID_TIMESTAMP,
    }
)
# Fetch errors Kafka does not count as failed fetch requests: what a client's stale view or position explains.
_NOT_FETCH_FAILURES = frozenset(
    {
        ErrorCode.NONE,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.UNKNOWN_TOPIC_ID,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.REPLICA_NOT_AVAILABLE,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.OFFSET_OUT_OF_RANGE,
    }
)
LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, MAX_TIMESTAMP = -1, -2, -3  # ListOffsets' special timestamps


class Properties(Protocol):
    """Broker configuration values by Kafka key (BrokerConfig)."""

    def __getitem__(self, key: str) -> Any: ...


class MetadataView(Protocol):
    """The cluster's topics as this broker knows them (the local store, or the ZooKeeper-fed cache)."""

    @property
    def topics(self) -> Mapping[str, TopicState]: ...


class PartitionStateView(PartitionLeadershipView, Protocol):
    """One partition of a LeaderAndIsr request, whatever its version's class."""

    @property
    def partition_epoch(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ReplicaManagerConfig:
    """The broker settings the replica manager and its fetchers read."""

    log_dirs: tuple[Path, ...]
    lag_time_max_ms: int = 30_000
    high_watermark_checkpoint_interval_ms: int = 5_000
    fetch_wait_max_ms: int = 500
    fetch_min_bytes: int = 1
    fetch_max_bytes: int = 1_048_576
    fetch_response_max_bytes: int = 10_485_760
    consumer_fetch_max_bytes: int = 57_671_680  # fetch.max.bytes: a consumer's whole Fetch response at most
    fetch_backoff_ms: int = 1_000
    socket_timeout_ms: int = 30_000
    inter_broker_security: ChannelSecurity = PLAINTEXT_CHANNEL  # fetchers and AlterIsr use the inter-broker listener's

    @classmethod
    def from_properties(cls, props: Properties, log_dirs: Iterable[Path]) -> ReplicaManagerConfig:
        return cls(
            log_dirs=tuple(Path(d) for d in log_dirs),
            lag_time_max_ms=int(props["replica.lag.time.max.ms"]),
            high_watermark_checkpoint_interval_ms=int(props["replica.high.watermark.checkpoint.interval.ms"]),
            fetch_wait_max_ms=int(props["replica.fetch.wait.max.ms"]),
            fetch_min_bytes=int(props["replica.fetch.min.bytes"]),
            fetch_max_bytes=int(props["replica.fetch.max.bytes"]),
            fetch_response_max_bytes=int(props["replica.fetch.response.max.bytes"]),
            consumer_fetch_max_bytes=int(props["fetch.max.bytes"]),
            fetch_backoff_ms=int(props["replica.fetch.backoff.ms"]),
            socket_timeout_ms=int(props["replica.socket.timeout.ms"]),
        )


class ProducePartitionResult(NamedTuple):
    """One partition's answer to an append (Kafka's PartitionResponse)."""

    error_code: int
    base_offset: int = -1
    log_append_time_ms: int = -1
    log_start_offset: int = -1
    error_message: str | None = None
    record_errors: tuple[tuple[int, str | None], ...] = ()  # KIP-467: (index in batch, message) of rejected records


class FetchParams(NamedTuple):
    """What a Fetch asks for as a whole (Kafka's FetchParams). replica_id >= 0 is a follower."""

    replica_id: int
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    read_committed: bool


class PartitionFetchInfo(NamedTuple):
    """One partition of a Fetch. topic None: a topic id this broker does not know."""

    topic: str | None
    partition: int
    fetch_offset: int
    current_leader_epoch: int
    max_bytes: int


class FetchPartitionResult(NamedTuple):
    """One partition's read (Kafka's FetchPartitionData): records are a file slice for sendfile, never copied."""

    error_code: int
    high_watermark: int
    last_stable_offset: int = -1
    log_start_offset: int = -1
    aborted_transactions: list[AbortedTransaction] | None = None
    records: FileSlice | None = None


_new_tuple = tuple.__new__  # a NamedTuple without its keyword handling: these are built once per partition


def _fetch_error(code: int, high_watermark: int = -1) -> FetchPartitionResult:
    return FetchPartitionResult(code, high_watermark, aborted_transactions=[])


class _Append(NamedTuple):
    """A leader append whose answer waits for the group commit (and, with acks=all, for the high watermark)."""

    slot: int
    partition: Partition
    required_offset: int  # the high watermark that commits it
    await_replication: bool


class ReplicaManager:
    def __init__(
        self,
        local_id: int,
        config: ReplicaManagerConfig,
        log_manager: LogManager,
        clock: Clock,
        metadata: MetadataView,
        log_config_for: Callable[[str], LogConfig],
        broker_epoch: Callable[[], int] = lambda: -1,
        halt: Callable[[int], object] = os._exit,
    ) -> None:
        self.local_id = local_id
        self.config = config
        self.log_manager = log_manager
        self.clock = clock
        self.metadata = metadata
        self.log_config_for = log_config_for
        self.broker_epoch = broker_epoch
        self.partitions: dict[TP, Partition] = {}
        self.purgatory = Purgatory()
        self.group_commit = GroupCommit()  # produce appends of one event-loop tick, written together
        self.controller_id = -1
        self.controller_epoch = -1
        self.broker_endpoints: dict[int, tuple[str, int]] = {}
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.listeners: list[LeadershipListener] = []
        self.lag_max_ms = config.lag_time_max_ms
        self.topic_stats = BrokerTopicStats()  # MessagesIn, BytesIn/Out, failed requests: read by the metrics endpoint
        self.isr_shrinks = 0  # IsrShrinksPerSec / IsrExpandsPerSec: ISR changes the controller accepted
        self.isr_expands = 0
        self._checkpointed_hw: dict[TP, int] = {}
        for d in log_manager.live_log_dirs:  # a dir offline from the start has no partitions here
            self._checkpointed_hw.update(read_checkpoint(d / HW_CHECKPOINT))
        self._controller_conn: BrokerConnection | None = None
        self._isr_task: asyncio.Task[None] | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        # log dirs that failed: their partitions answer KAFKA_STORAGE_ERROR until a restart
        self.offline_partitions: set[TP] = set()
        self.log_dir_failure_listeners: list[Callable[[Path], object]] = []  # ZooKeeper mode: tell the controller
        self.halt = halt  # Kafka halts the broker when its last log dir fails
        self._loop: asyncio.AbstractEventLoop | None = None
        log_manager.failure_channel.listeners.append(self._on_log_dir_failure)

    def load_logs(self) -> None:
        """Opens every log under log.dirs. Until a partition is claimed (LeaderAndIsr, or opened as led locally),
        only the checkpointed high watermark is known committed."""
        self.log_manager.load_all(self.log_config_for)
        for key, plog in self.log_manager.logs.items():
            if key not in self.partitions:
                plog.high_watermark = min(self._checkpointed_hw.get(key, 0), plog.log_end_offset)

    def partition(self, topic: str, index: int) -> Partition | None:
        """The local replica of a partition, leader or follower; None if this broker holds none."""
        return self.partitions.get((topic, index))

    def missing_partition_error(self, topic: str, index: int) -> int:
        """Kafka's getPartitionOrError: a partition in a failed log dir is KAFKA_STORAGE_ERROR, one the cluster
        has but this broker holds no replica of is NOT_LEADER_OR_FOLLOWER (the client's metadata is stale),
        anything else UNKNOWN_TOPIC_OR_PARTITION."""
        if (topic, index) in self.offline_partitions:
            return ErrorCode.KAFKA_STORAGE_ERROR
        state = self.metadata.topics.get(topic)
        if state is not None and index in state.partitions:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION

    # ---- produce ------------------------------------------------------------------------------------------

    async def append_records(
        self,
        entries: Sequence[tuple[str, int, Buffer | None]],
        acks: int,
        timeout_ms: int,
        legacy_allowed: bool = False,
        verify: TransactionVerifier | None = None,
    ) -> list[ProducePartitionResult]:
        """Appends each (topic, partition, records) as leader; one result per entry, in order.

        Answers come after this tick's group commit has written every append (nothing is acknowledged while it
        lives only in a Python buffer), after a due flush, and with acks=all after the high watermark passed
        each append or `timeout_ms` ran out (REQUEST_TIMED_OUT)."""
        results: list[ProducePartitionResult] = []
        appended: list[_Append] = []
        to_flush: list[PartitionLog] = []
        stats = self.topic_stats
        for topic, index, records in entries:
            found = self._append_to_leader(topic, index, records, acks, legacy_allowed, verify)
            if isinstance(found, ProducePartitionResult):
                code = found.error_code
                stats.append_failed(topic, code not in _NOT_PRODUCE_FAILURES, len(records) if records and code in _REJECTED_RECORDS else 0)
                results.append(found)
                continue
            part, append = found
            stats.appended(topic, len(records) if records else 0, append.last_offset - append.first_offset + 1)
            plog = part.log
            self.after_leader_append(part)
            replicate = acks == ACKS_ALL and plog.high_watermark <= append.last_offset
            if plog.needs_flush(self.clock.monotonic_ms()):
                to_flush.append(plog)
            appended.append(_new_tuple(_Append, (len(results), part, append.last_offset + 1, replicate)))
            results.append(
                _new_tuple(ProducePartitionResult, (0, append.first_offset, append.log_append_time, append.log_start_offset, None, ()))
            )
        if appended:
            failed = await self.group_commit.written()
            if failed:
                appended = _answer_failed_writes(appended, results, failed)
        if to_flush:
            failed = await asyncio.get_running_loop().run_in_executor(None, _flush_all, to_flush)
            if failed:
                appended = _answer_failed_writes(appended, results, failed)
        if acks == ACKS_ALL:
            await self._await_replication([a for a in appended if a.await_replication], results, timeout_ms)
        return results

    async def _await_replication(self, waiting: list[_Append], results: list[ProducePartitionResult], timeout_ms: int) -> None:
        """acks=all: an append the high watermark has not passed yet answers once it has (or with the error
        that ended the wait: REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS_AFTER_APPEND)."""
        if not waiting:
            return
        codes = await self.wait_for_acks([(a.partition, a.required_offset) for a in waiting], timeout_ms / 1000)
        for a, code in zip(waiting, codes, strict=True):
            if code:
                results[a.slot] = results[a.slot]._replace(error_code=code)

    def _append_to_leader(
        self, topic: str, index: int, records: Buffer | None, acks: int, legacy_allowed: bool, verify: TransactionVerifier | None
    ) -> tuple[Partition, AppendResult] | ProducePartitionResult:
        """The checks Kafka makes before a leader append, in its order, then the append itself (its write deferred
        to the group commit); a result is the partition's error."""
        if acks not in (-1, 0, 1):
            return ProducePartitionResult(ErrorCode.INVALID_REQUIRED_ACKS)
        part = self.partitions.get((topic, index))
        if part is None:
            return ProducePartitionResult(self.missing_partition_error(topic, index))
        if not part.is_leader:
            return ProducePartitionResult(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        if records is None or len(records) == 0:
            return ProducePartitionResult(ErrorCode.CORRUPT_MESSAGE, error_message="no records")
        if verify is not None:
            code = verify(topic, index, records)
            if code:
                return ProducePartitionResult(code)
        plog = part.log
        if plog.offline:
            return ProducePartitionResult(ErrorCode.KAFKA_STORAGE_ERROR)
        if acks == ACKS_ALL and len(part.isr) < plog.config.min_insync_replicas:
            return ProducePartitionResult(ErrorCode.NOT_ENOUGH_REPLICAS)
        try:
            codec = plog.config.compression_type
            data = records
            if codec != PRODUCER_CODEC or is_legacy_message_set(records):  # else appended as the producer sent it
                data = validate_and_convert(records, codec, legacy_allowed)
            result = plog.append_as_leader(data, part.leader_epoch, defer_write=True)
            self.group_commit.add(plog)  # written at the end of this event-loop tick, before any answer
        except RecordValidationError as exc:
            log.debug("produce to %s-%d failed: %s", topic, index, exc)
            return ProducePartitionResult(
                exc.code(), log_start_offset=plog.log_start_offset, error_message=exc.message, record_errors=tuple(exc.record_errors)
            )
        except KafkaError as exc:
            log.debug("produce to %s-%d failed: %s", topic, index, exc)
            return ProducePartitionResult(exc.code(), error_message=exc.message)
        except CorruptMessage as exc:
            return ProducePartitionResult(ErrorCode.CORRUPT_MESSAGE, error_message=str(exc))
        except OSError as exc:  # a roll, or a write of 512 KiB of deferred appends, that the disk refused
            error = plog.io_failed(exc, "appending records")
            return ProducePartitionResult(error.code(), error_message=error.message)
        return part, result

    # ---- fetch --------------------------------------------------------------------------------------------

    async def fetch_messages(
        self, params: FetchParams, fetches: Sequence[PartitionFetchInfo], abandoned: Callable[[], bool] = lambda: False
    ) -> list[FetchPartitionResult]:
        """Reads every partition; one result per entry, in order. Waits in purgatory (woken by appends to the
        partitions read) until min_bytes are there, max_wait_ms passed, a partition has an error, or
        `abandoned()` says nobody is listening any more."""
        deadline = self.clock.monotonic_ms() + max(params.max_wait_ms, 0)
        while True:
            results, total, keys = self._read_all(params, fetches)
            remaining = deadline - self.clock.monotonic_ms()
            if total >= max(params.min_bytes, 1) or remaining <= 0 or not keys or abandoned() or any(r.error_code for r in results):
                self._count_fetch(params, fetches, results)
                return results
            await self.purgatory.wait(keys, remaining / 1000)

    def _count_fetch(self, params: FetchParams, fetches: Sequence[PartitionFetchInfo], results: list[FetchPartitionResult]) -> None:
        """BytesOut / ReplicationBytesOut and the fetch request counts of the answer that goes out."""
        stats = self.topic_stats
        follower = params.replica_id >= 0
        for info, result in zip(fetches, results, strict=True):
            if info.topic is not None:
                records = result.records
                stats.fetched(
                    info.topic, records.size if records is not None else 0, follower, result.error_code not in _NOT_FETCH_FAILURES
                )

    def _read_all(self, params: FetchParams, fetches: Sequence[PartitionFetchInfo]) -> tuple[list[FetchPartitionResult], int, list[TP]]:
        """(results, bytes read, partitions read): the response-wide max_bytes (for a consumer also the broker's
        fetch.max.bytes) is shared in order, each partition reading at most the smaller of its own max_bytes and
        what is left; the first partition with data returns at least one whole batch so a large batch cannot
        stall a consumer (KIP-74)."""
        limit = params.max_bytes if params.replica_id >= 0 else min(params.max_bytes, self.config.consumer_fetch_max_bytes)
        total = 0
        keys: list[TP] = []
        results = []
        for info in fetches:
            part_or_error = self._fetch_partition(params, info)
            if isinstance(part_or_error, FetchPartitionResult):
                results.append(part_or_error)
                continue
            keys.append((part_or_error.topic, part_or_error.index))
            result = self._read_partition(params, info, part_or_error, limit - total, total == 0)
            if result.records is not None:
                total += result.records.size
            results.append(result)
        return results, total, keys

    def _fetch_partition(self, params: FetchParams, info: PartitionFetchInfo) -> Partition | FetchPartitionResult:
        """The leader replica to read, or the partition's error; a follower's fetch moves its state first."""
        if info.topic is None:
            return _fetch_error(ErrorCode.UNKNOWN_TOPIC_ID)
        part = self.partitions.get((info.topic, info.partition))
        if part is None:
            return _fetch_error(self.missing_partition_error(info.topic, info.partition))
        if info.current_leader_epoch >= 0 and info.current_leader_epoch != part.leader_epoch:
            code = ErrorCode.FENCED_LEADER_EPOCH if info.current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
            return _fetch_error(code, part.log.high_watermark)
        if not part.is_leader:
            return _fetch_error(ErrorCode.NOT_LEADER_OR_FOLLOWER, part.log.high_watermark)
        if params.replica_id >= 0:
            self.on_replica_fetch(part, params.replica_id, info.fetch_offset)
        return part

    def _read_partition(
        self, params: FetchParams, info: PartitionFetchInfo, part: Partition, budget: int, first: bool
    ) -> FetchPartitionResult:
        plog = part.log
        hw = plog.high_watermark
        lso = plog.last_stable_offset
        records = None
        code = 0
        try:
            if budget > 0 or first:
                max_bytes = min(info.max_bytes, max(budget, 0))
                if max_bytes > 0 or first:
                    if params.replica_id >= 0:
                        bound = plog.log_end_offset
                    else:
                        bound = lso if params.read_committed else hw
                    records = plog.read(info.fetch_offset, max(max_bytes, 1), bound, min_one_batch=first)
            elif not 0 <= info.fetch_offset <= plog.log_end_offset:
                raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE)
        except KafkaError as exc:
            code = exc.code()
        except OSError as exc:
            code = plog.io_failed(exc, "reading").code()
        except CorruptMessage:  # a damaged batch header in a segment trusted at start-up: Kafka's CorruptRecordException
            code = ErrorCode.CORRUPT_MESSAGE
        aborted = _aborted(plog, info.fetch_offset, lso, records) if params.read_committed else None
        return FetchPartitionResult(code, hw, lso, plog.log_start_offset, aborted, records)

    # ---- offsets ------------------------------------------------------------------------------------------

    def leader_partition(self, topic: str, index: int, current_leader_epoch: int) -> Partition | int:
        """The local leader replica, or the error a request for it gets (Kafka's getPartitionOrError and
        leader-epoch check, in ListOffsets' order: leadership first)."""
        part = self.partitions.get((topic, index))
        if part is None:
            return self.missing_partition_error(topic, index)
        if not part.is_leader:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        if current_leader_epoch >= 0 and current_leader_epoch != part.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH if current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
        return part

    def last_offset_for_leader_epoch(self, topic: str, index: int, current_leader_epoch: int, leader_epoch: int) -> tuple[int, int, int]:
        """OffsetForLeaderEpoch: (error code, epoch, end offset) of `leader_epoch` in the leader's log; the
        leader-epoch check comes before leadership here, as in Kafka."""
        part = self.partitions.get((topic, index))
        if part is None:
            return self.missing_partition_error(topic, index), -1, -1
        if current_leader_epoch >= 0 and current_leader_epoch != part.leader_epoch:
            code = ErrorCode.FENCED_LEADER_EPOCH if current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
            return code, -1, -1
        if not part.is_leader:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1
        epoch, end = part.log.leader_epoch_cache.end_offset_for(leader_epoch, part.log.log_end_offset)
        return ErrorCode.NONE, epoch, end

    @staticmethod
    def fetch_offset_for_timestamp(part: Partition, timestamp: int, read_committed: bool, from_replica: bool) -> tuple[int, int] | None:
        """ListOffsets on the leader: (timestamp, offset) for latest (-1), earliest (-2), max timestamp (-3) or the
        first offset at a time; (-1, -1) when none; None for another negative timestamp (INVALID_REQUEST).
        Consumers see up to the high watermark, read_committed ones up to the last stable offset."""
        plog = part.log
        visible = plog.last_stable_offset if read_committed else plog.high_watermark
        if timestamp == LATEST_TIMESTAMP:
            return -1, plog.log_end_offset if from_replica else visible
        if timestamp == EARLIEST_TIMESTAMP:
            return -1, plog.log_start_offset
        if timestamp == MAX_TIMESTAMP:  # a record consumers cannot read yet is not answered, as in Kafka
            ts, offset = plog.max_timestamp_and_offset()
            return (ts, offset) if from_replica or offset < visible else (-1, -1)
        if timestamp < 0:
            return None
        found = plog.offset_for_timestamp(timestamp)
        if found is not None and found[0] < visible:
            offset, ts = found
            return ts, offset
        return -1, -1

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

    def _local_partition(self, topic: str, index: int, is_new: bool) -> Partition:
        part = self.partitions.get((topic, index))
        if part is None:
            plog = self.log_manager.get_or_create(topic, index, self.log_config_for(topic), is_new)
            hw = self._checkpointed_hw.get((topic, index), 0)
            plog.high_watermark = min(hw, plog.log_end_offset)
            part = Partition(topic, index, plog, -1, [], [], NO_LEADER, self.local_id)
            self.partitions[(topic, index)] = part
        elif not part.controlled:
            # Opened at start-up as if it were led locally: only the checkpointed high watermark is known committed.
            checkpointed = self._checkpointed_hw.get((topic, index))
            if checkpointed is not None:
                part.log.high_watermark = min(checkpointed, part.log.log_end_offset)
        return part

    def open_local_leader(self, topic: TopicState, index: int, is_new: bool = True) -> Partition:
        """Embedded mode: a partition led by this broker with an ISR of one, so everything on disk is committed.
        One that is not new and whose log is not in a live dir while a dir is offline is offline here
        (KAFKA_STORAGE_ERROR): its log may be in the offline dir."""
        pstate = topic.partitions[index]
        try:
            plog = self.log_manager.get_or_create(topic.name, index, self.log_config_for(topic.name), is_new)
        except KafkaError as exc:
            if exc.code() == ErrorCode.KAFKA_STORAGE_ERROR:
                self.offline_partitions.add((topic.name, index))
            raise
        plog.high_watermark = plog.log_end_offset
        part = Partition(
            topic.name, index, plog, pstate.leader_epoch, list(pstate.replicas), list(pstate.isr), pstate.leader, self.local_id
        )
        self.partitions[(topic.name, index)] = part
        return part

    def remove_partition(self, topic: str, index: int) -> None:
        """Embedded mode: a deleted topic's partition goes with its log; waiting requests re-check."""
        self.partitions.pop((topic, index), None)
        self.log_manager.delete(topic, index)
        self.purgatory.notify((topic, index))
        self._forget_deleted_topic(topic)

    def _forget_deleted_topic(self, topic: str) -> None:
        """The last local partition of a deleted topic is gone: so are its metrics, as in Kafka."""
        if not any(t == topic for t, _ in self.partitions):
            self.topic_stats.remove_topic(topic)

    def apply_partition_state(self, topic: str, state: PartitionStateView, is_new: bool = False) -> int:
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
        if (topic, state.partition_index) in self.offline_partitions:
            return ErrorCode.KAFKA_STORAGE_ERROR  # its log dir failed: the controller marks the replica offline
        existing = self.partitions.get((topic, state.partition_index))
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
        part = self._local_partition(topic, state.partition_index, is_new)
        was_leader = part.is_leader and part.controlled
        if state.leader == self.local_id:
            self._make_leader(part, state)
        else:
            self._make_follower(part, state)
        self.purgatory.notify((topic, part.index))  # waiting produces re-check leadership
        if part.is_leader or was_leader:
            for listener in self.listeners:
                listener(topic, part.index, part.is_leader, part.leader_epoch)
        self._ensure_isr_task()
        return ErrorCode.NONE

    def _make_leader(self, part: Partition, state: PartitionStateView) -> None:
        self._remove_from_fetcher(part)
        part.become_leader(state.leader_epoch, list(state.isr), list(state.replicas), state.partition_epoch, self.clock.monotonic_ms())
        log.info(
            "[Broker id=%d] Leader %s-%d starts at leader epoch %d from offset %d with high watermark %d, ISR %s",
            self.local_id,
            part.topic,
            part.index,
            part.leader_epoch,
            part.log.log_end_offset,
            part.log.high_watermark,
            part.isr,
        )

    def _make_follower(self, part: Partition, state: PartitionStateView) -> None:
        part.become_follower(state.leader, state.leader_epoch, list(state.isr), list(state.replicas), state.partition_epoch)
        self._remove_from_fetcher(part)
        if state.leader != NO_LEADER:
            self._add_to_fetcher(part)
        log.info(
            "[Broker id=%d] Follower %s-%d of leader %d at epoch %d",
            self.local_id,
            part.topic,
            part.index,
            state.leader,
            state.leader_epoch,
        )

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

    # ---- StopReplica -----------------------------------------------------------------------------------

    def stop_replica(self, topic: str, index: int, leader_epoch: int, delete: bool) -> int:
        part = self.partitions.get((topic, index))
        if part is None:
            if delete and (topic, index) in self.log_manager.logs:
                self.log_manager.delete(topic, index)
            return ErrorCode.NONE
        # -2 is the controller's "topic is being deleted" epoch; -1 means "no epoch" (older request versions).
        if leader_epoch >= 0 and part.controlled and leader_epoch < part.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        self._remove_from_fetcher(part)
        was_leader = part.is_leader
        part.leader = NO_LEADER
        part.pending_isr = None
        if delete:
            self.partitions.pop((topic, index), None)
            self.log_manager.delete(topic, index)
            self._forget_deleted_topic(topic)
        self.purgatory.notify((topic, index))
        if was_leader:
            for listener in self.listeners:
                listener(topic, index, False, part.leader_epoch)
        log.info("[Broker id=%d] Stopped replica %s-%d%s", self.local_id, topic, index, " and deleted its log" if delete else "")
        return ErrorCode.NONE

    # ---- leader side: follower fetches, high watermark, acks=all -----------------------------------------

    def on_replica_fetch(self, part: Partition, replica_id: int, fetch_offset: int) -> None:
        """A follower fetched from `fetch_offset`: that is its log end offset."""
        state = part.record_follower_fetch(replica_id, fetch_offset, self.clock.monotonic_ms())
        if state is None:
            return
        if part.maybe_advance_high_watermark():
            self.purgatory.notify((part.topic, part.index))
        proposal = part.isr_expansion(replica_id)
        if proposal is not None and self.has_controller:
            log.info("[Partition %s-%d broker=%d] Expanding ISR from %s to %s", part.topic, part.index, self.local_id, part.isr, proposal)
            self._propose_isr(part, proposal)

    def after_leader_append(self, part: Partition) -> None:
        """After an append as leader: an ISR of one commits at once; otherwise followers must fetch."""
        part.maybe_advance_high_watermark()
        self.purgatory.notify((part.topic, part.index))

    def after_follower_append(self, part: Partition) -> None:
        self.purgatory.notify((part.topic, part.index))

    def replication_status(self, part: Partition, required_offset: int) -> int | None:
        """Kafka's DelayedProduce check: None while waiting, else the partition's final error code."""
        current = self.partitions.get((part.topic, part.index))
        if current is None and (part.topic, part.index) in self.offline_partitions:
            return ErrorCode.KAFKA_STORAGE_ERROR
        if current is not part or not part.is_leader:
            return ErrorCode.NOT_LEADER_OR_FOLLOWER
        if part.log.high_watermark >= required_offset:
            if len(part.isr) < part.log.config.min_insync_replicas:
                return ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
            return ErrorCode.NONE
        return None

    async def wait_for_acks(self, waiting: list[tuple[Partition, int]], timeout_s: float) -> list[int]:
        """acks=all: waits in purgatory until each partition's high watermark passes its append (or an error)."""
        deadline = self.clock.monotonic_ms() + timeout_s * 1000
        while True:
            codes = [self.replication_status(part, required) for part, required in waiting]
            if all(c is not None for c in codes):
                return [int(c) for c in codes if c is not None]
            remaining = deadline - self.clock.monotonic_ms()
            if remaining <= 0:
                return [int(c) if c is not None else int(ErrorCode.REQUEST_TIMED_OUT) for c in codes]
            keys = [(p.topic, p.index) for (p, _), c in zip(waiting, codes, strict=True) if c is None]
            await self.purgatory.wait(keys, remaining / 1000)

    # ---- log dir failure -----------------------------------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the partitions live on: a log dir failure seen on a worker thread is handled there."""
        self._loop = loop

    def _on_log_dir_failure(self, log_dir: Path) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self.handle_log_dir_failure, log_dir)
                return
        self.handle_log_dir_failure(log_dir)

    def handle_log_dir_failure(self, log_dir: Path) -> None:
        """Kafka's ReplicaManager.handleLogDirFailure: stop serving every replica in the failed dir (no more
        appends, fetches or replica fetching; waiting produces and fetches answer KAFKA_STORAGE_ERROR), close
        their logs, tell the controller, and halt when no log dir is left."""
        log.warning("[ReplicaManager broker=%d] Stopping serving replicas in dir %s", self.local_id, log_dir)
        for key in [k for k, p in self.partitions.items() if p.log.directory.parent == log_dir]:
            part = self.partitions.pop(key)
            self.offline_partitions.add(key)
            self._remove_from_fetcher(part)
            if part.is_leader:
                for listener in self.listeners:
                    listener(part.topic, part.index, False, part.leader_epoch)
            self.purgatory.notify(key)
        self.offline_partitions.update(self.log_manager.handle_log_dir_failure(log_dir))
        if not self.log_manager.live_log_dirs:
            log.critical(
                "[ReplicaManager broker=%d] Shutdown broker because all log dirs in %s have failed",
                self.local_id,
                ", ".join(map(str, self.log_manager.log_dirs)),
            )
            self.halt(1)
            return
        for notify in self.log_dir_failure_listeners:
            notify(log_dir)
        log.warning("[ReplicaManager broker=%d] Stopped serving replicas in dir %s", self.local_id, log_dir)

    # ---- ISR changes -------------------------------------------------------------------------------------

    def _ensure_isr_task(self) -> None:
        if self._isr_task is None and self.has_controller:
            self._isr_task = asyncio.ensure_future(self._isr_expiration_loop())
            self._checkpoint_task = asyncio.ensure_future(self._high_watermark_checkpoint_loop())

    async def _high_watermark_checkpoint_loop(self) -> None:
        """replica.high.watermark.checkpoint.interval.ms: a restarted broker trusts no more than this file says."""
        interval = self.config.high_watermark_checkpoint_interval_ms / 1000
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            values = {k: p.log.high_watermark for k, p in self.partitions.items()}
            dirs = {k: p.log.directory.parent for k, p in self.partitions.items()}
            await loop.run_in_executor(None, _write_high_watermarks, self.log_manager, values, dirs, list(self.log_manager.live_log_dirs))

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
        now = self.clock.monotonic_ms()
        for part in list(self.partitions.values()):
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
        def request() -> alter_partition.AlterPartitionRequest:
            return alter_partition.AlterPartitionRequest(
                broker_id=self.local_id,
                broker_epoch=self.broker_epoch(),  # read per attempt: a re-registration changes it
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

        while True:
            code, result = await self._alter_isr_once(part, request())
            if part.pending_isr != new_isr or part.leader_epoch != leader_epoch:
                return  # a LeaderAndIsr overtook this proposal
            if code == ErrorCode.NONE and result is not None:
                break
            log.info("AlterIsr for %s-%d to %s failed with error %d; will retry", part.topic, part.index, new_isr, code)
            if code in _ALTER_ISR_GIVE_UP:
                part.pending_isr = None  # stale: wait for the controller's LeaderAndIsr
                return
            # Unknown outcome (a timeout, NOT_CONTROLLER while the controller retried its ZooKeeper write): the
            # change may be in ZooKeeper. The same proposal again until a definite answer, as Kafka's
            # AlterIsrManager; the controller answers one it already applied with the current state. Giving up
            # here left the leader believing the old ISR while ZooKeeper held the new one, for good.
            await asyncio.sleep(self.config.fetch_backoff_ms / 1000)
            if part.pending_isr != new_isr or part.leader_epoch != leader_epoch or not part.is_leader:
                return
        if result.leader_epoch != part.leader_epoch:
            part.pending_isr = None
            return
        if len(result.isr) < len(part.isr):
            self.isr_shrinks += 1
        elif len(result.isr) > len(part.isr):
            self.isr_expands += 1
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
        self.purgatory.notify((part.topic, part.index))

    async def _alter_isr_once(
        self, part: Partition, request: alter_partition.AlterPartitionRequest
    ) -> tuple[int, alter_partition.AlterPartitionResponsePartitionData | None]:
        code: int = ErrorCode.NONE
        result: alter_partition.AlterPartitionResponsePartitionData | None = None
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
            code = exc.code()
            self._drop_controller_connection()
        return code, result

    async def _controller(self) -> BrokerConnection:
        if self._controller_conn is not None and not self._controller_conn.closed:
            return self._controller_conn
        endpoint = self.broker_endpoints.get(self.controller_id)
        if endpoint is None:
            raise KafkaError(ErrorCode.NOT_CONTROLLER, f"no endpoint known for controller {self.controller_id}")
        conn = BrokerConnection(
            *endpoint, client_id=f"broker-{self.local_id}-alter-isr", request_timeout_ms=30000, security=self.config.inter_broker_security
        )
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


_ALTER_ISR_GIVE_UP = frozenset(
    {
        ErrorCode.INVALID_UPDATE_VERSION,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.INVALID_REQUEST,
    }
)  # definite answers: the proposal is stale and will not be applied


def _write_high_watermarks(log_manager: LogManager, values: dict[TP, int], dirs: dict[TP, Path], log_dirs: list[Path]) -> None:
    """A dir that cannot take its checkpoint goes offline, as in Kafka (a full disk holding only idle
    replicas is found this way); the other dirs still get theirs."""
    for d in log_dirs:
        log_manager.write_dir_checkpoint(Path(d), HW_CHECKPOINT, {k: v for k, v in values.items() if dirs[k] == Path(d)})


def _answer_failed_writes(appended: list[_Append], results: list[ProducePartitionResult], failed: dict[int, KafkaError]) -> list[_Append]:
    """An append whose group-commit write failed answers with that error, and is not awaited for replication."""
    kept = []
    for a in appended:
        error = failed.get(id(a.partition.log))
        if error is None:
            kept.append(a)
        else:
            results[a.slot] = ProducePartitionResult(error.code(), error_message=error.message)
    return kept


def _flush_all(logs: list[PartitionLog]) -> dict[int, KafkaError]:
    """Flushes on a worker thread; {id(log): error} for logs whose fsync failed (they are offline now)."""
    failed = {}
    for plog in logs:
        try:
            plog.flush()
        except KafkaError as exc:
            failed[id(plog)] = exc
    return failed


def _aborted(plog: PartitionLog, fetch_offset: int, lso: int, records: FileSlice | None) -> list[AbortedTransaction]:
    """Aborted transactions overlapping what a read_committed consumer reads (up to the LSO): it drops
    their batches. Most logs have none, and then this costs one dict check."""
    if records is None or not plog.txn_index.by_segment:
        return []
    return [AbortedTransaction(producer_id=pid, first_offset=first) for pid, first in plog.aborted_transactions(fetch_offset, lso)]
