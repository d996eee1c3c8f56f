"""A follower's fetcher: one asyncio task per leader broker, fetching every partition this broker follows there.

As in Kafka, the follower first truncates each newly followed partition to the point where its log and the
leader's agree (OffsetForLeaderEpoch with its latest epoch), then fetches with replica_id = its own broker id
and appends the batches as they are, keeping the leader's offsets and epochs. The leader's high watermark in
each response becomes the follower's (bounded by its own log end offset).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import iter_batch_headers
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic, PartitionData
from strom.protocol.schema.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)
from strom.transport.connection import BrokerConnection

if TYPE_CHECKING:
    from strom.cluster.partition_state import Partition
    from strom.cluster.replica_manager import ReplicaManager
    from strom.storage.log import PartitionLog
    from strom.storage.segment import Buffer

log = logging.getLogger("kafka.server.ReplicaFetcherThread")

FETCH_VERSION_CAP = 12  # topic names, not ids: what a Kafka 2.8 follower sends
UNDEFINED = -1


@dataclass(slots=True)
class FetchState:
    partition: Partition
    leader_epoch: int
    truncating: bool = True
    delayed_until: float = 0.0


def truncation_offset(
    leader_epoch: int,
    leader_end_offset: int,
    requested_epoch: int,
    local_end_for: Callable[[int], tuple[int, int]],
    log_end_offset: int,
    high_watermark: int,
) -> int:
    """Where a follower cuts its log after asking the leader for the end of `requested_epoch` (Kafka's
    AbstractFetcherThread.getOffsetTruncationState). `local_end_for(epoch)` gives the follower's own
    (epoch, end offset) for an epoch."""
    if leader_epoch == UNDEFINED or leader_end_offset == UNDEFINED:
        return min(high_watermark, log_end_offset)  # the leader knows no epochs: only the high watermark is safe
    if leader_epoch == requested_epoch:
        return min(leader_end_offset, log_end_offset)
    local_epoch, local_end = local_end_for(leader_epoch)
    if local_epoch == leader_epoch:
        return min(leader_end_offset, local_end, log_end_offset)
    return min(local_end if local_end >= 0 else high_watermark, log_end_offset)


class ReplicaFetcher:
    def __init__(self, manager: ReplicaManager, source_id: int, host: str, port: int) -> None:
        self.manager = manager
        self.source_id = source_id
        self.host = host
        self.port = port
        self.partitions: dict[tuple[str, int], FetchState] = {}
        self._wake = asyncio.Event()
        self._conn: BrokerConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        cfg = manager.config
        self.wait_max_ms = cfg.fetch_wait_max_ms
        self.min_bytes = cfg.fetch_min_bytes
        self.partition_max_bytes = cfg.fetch_max_bytes
        self.response_max_bytes = cfg.fetch_response_max_bytes
        self.backoff_s = cfg.fetch_backoff_ms / 1000
        self.timeout_ms = cfg.socket_timeout_ms

    # ---- membership ------------------------------------------------------------------------------------

    def add(self, part: Partition) -> None:
        self.partitions[(part.topic, part.index)] = FetchState(part, part.leader_epoch)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def remove(self, key: tuple[str, int]) -> None:
        self.partitions.pop(key, None)

    def retarget(self, host: str, port: int) -> None:
        if (host, port) != (self.host, self.port):
            self.host, self.port = host, port
            self._drop_connection()

    async def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._drop_connection()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ---- the loop ---------------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopped:
            if not self.partitions:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                conn = await self._connection()
                await self._truncate(conn)
                await self._fetch_once(conn)
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                log.info("[ReplicaFetcher broker=%d leader=%d] %s; retrying", self.manager.local_id, self.source_id, exc.message or exc)
                self._drop_connection()
                await asyncio.sleep(self.backoff_s)
            except Exception:
                log.exception("[ReplicaFetcher broker=%d leader=%d] unexpected error", self.manager.local_id, self.source_id)
                self._drop_connection()
                await asyncio.sleep(self.backoff_s)

    async def _connection(self) -> BrokerConnection:
        if self._conn is None or self._conn.closed:
            conn = BrokerConnection(
                self.host,
                self.port,
                client_id=f"broker-{self.manager.local_id}-fetcher-0",
                request_timeout_ms=self.timeout_ms + self.wait_max_ms,
                security=self.manager.config.inter_broker_security,
            )
            await conn.connect(timeout=self.timeout_ms / 1000)
            self._conn = conn
        return self._conn

    async def _truncate(self, conn: BrokerConnection) -> None:
        pending = [s for s in self.partitions.values() if s.truncating]
        if not pending:
            return
        topics: dict[str, list[OffsetForLeaderPartition]] = {}
        asked: dict[tuple[str, int], int] = {}
        for state in pending:
            part = state.partition
            latest = part.log.leader_epoch_cache.latest_epoch
            if latest is None:
                # Nothing to compare by epoch: keep what is below the high watermark (empty logs keep nothing to cut).
                part.log.truncate_to(part.log.high_watermark)
                state.truncating = False
                continue
            asked[(part.topic, part.index)] = latest
            topics.setdefault(part.topic, []).append(
                OffsetForLeaderPartition(partition=part.index, current_leader_epoch=state.leader_epoch, leader_epoch=latest)
            )
        if not topics:
            return
        request = OffsetForLeaderEpochRequest(
            replica_id=self.manager.local_id,
            topics=[OffsetForLeaderTopic(topic=t, partitions=ps) for t, ps in topics.items()],
        )
        response = await conn.send(request)
        for topic in response.topics:
            for result in topic.partitions:
                key = (topic.topic, result.partition)
                found = self.partitions.get(key)
                if found is None or not found.truncating or key not in asked:
                    continue
                if result.error_code != ErrorCode.NONE:
                    log.info("OffsetForLeaderEpoch for %s-%d from broker %d: error %d", *key, self.source_id, result.error_code)
                    continue  # retried on the next round (the leader may not know it leads yet)
                plog = found.partition.log
                cut = truncation_offset(
                    result.leader_epoch,
                    result.end_offset,
                    asked[key],
                    partial(_local_epoch_end, plog),
                    plog.log_end_offset,
                    plog.high_watermark,
                )
                if cut < plog.log_end_offset:
                    log.info(
                        "[ReplicaFetcher broker=%d] Truncating %s-%d from %d to %d", self.manager.local_id, *key, plog.log_end_offset, cut
                    )
                    plog.truncate_to(cut)
                found.truncating = False
        if any(s.truncating for s in self.partitions.values()):
            await asyncio.sleep(self.backoff_s)

    def _now_s(self) -> float:
        """The replica manager's injected clock, in seconds: partition back-offs are testable without sleeping."""
        return self.manager.clock.monotonic_ms() / 1000

    async def _fetch_once(self, conn: BrokerConnection) -> None:
        now = self._now_s()
        ready = [s for s in self.partitions.values() if not s.truncating and s.delayed_until <= now]
        if not ready:
            await asyncio.sleep(min(self.backoff_s, 0.1))
            return
        topics: dict[str, list[FetchPartition]] = {}
        for state in ready:
            part = state.partition
            topics.setdefault(part.topic, []).append(
                FetchPartition(
                    partition=part.index,
                    current_leader_epoch=state.leader_epoch,
                    fetch_offset=part.log.log_end_offset,
                    last_fetched_epoch=part.log.leader_epoch_cache.latest_epoch
                    if part.log.leader_epoch_cache.latest_epoch is not None
                    else -1,
                    log_start_offset=part.log.log_start_offset,
                    partition_max_bytes=self.partition_max_bytes,
                )
            )
        request = FetchRequest(
            replica_id=self.manager.local_id,
            max_wait_ms=self.wait_max_ms,
            min_bytes=self.min_bytes,
            max_bytes=self.response_max_bytes,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=[FetchTopic(topic=t, partitions=ps) for t, ps in topics.items()],
            forgotten_topics_data=[],
            rack_id="",
        )
        version = min(conn.version_for(request.API_KEY), FETCH_VERSION_CAP)
        response = await conn.send(request, version=version)
        if response.error_code:
            raise KafkaError(response.error_code, f"fetch from broker {self.source_id} failed")
        for topic in response.responses:
            for data in topic.partitions:
                fetched = self.partitions.get((topic.topic, data.partition_index))
                if fetched is not None:
                    try:
                        self._process(fetched, data)
                    except KafkaError as exc:
                        if exc.code() != ErrorCode.KAFKA_STORAGE_ERROR:
                            raise
                        # Kafka's markPartitionFailed: its log dir is offline; the other partitions keep fetching
                        log.error(
                            "[ReplicaFetcher broker=%d leader=%d] Error while processing data for partition %s-%d: %s",
                            self.manager.local_id,
                            self.source_id,
                            topic.topic,
                            data.partition_index,
                            exc.message or exc,
                        )
                        self.remove((topic.topic, data.partition_index))

    def _process(self, state: FetchState, data: PartitionData) -> None:
        part = state.partition
        plog = part.log
        key = (part.topic, part.index)
        code = data.error_code
        if code == ErrorCode.NONE:
            if data.records:  # decoded from the leader's response: bytes (a FileRegion only ever goes out)
                records = _whole_batches(cast("Buffer", data.records))
                if records:
                    first = next(iter_batch_headers(records))[1].base_offset
                    if first < plog.log_end_offset:
                        return  # answers a fetch from before a truncation: the next fetch asks again
                    plog.append_as_follower(records)
                    self.manager.topic_stats.replicated(len(records))
            if data.log_start_offset > plog.log_start_offset and data.log_start_offset <= plog.log_end_offset:
                plog.log_start_offset = data.log_start_offset
            plog.high_watermark = min(data.high_watermark, plog.log_end_offset)
            self.manager.after_follower_append(part)
        elif code == ErrorCode.OFFSET_OUT_OF_RANGE:
            self._out_of_range(state, data)
        elif code in (
            ErrorCode.FENCED_LEADER_EPOCH,
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            ErrorCode.UNKNOWN_LEADER_EPOCH,
        ):
            # The controller will tell us who leads now; until then, back off this partition only.
            state.delayed_until = self._now_s() + self.backoff_s
        else:
            log.warning("Error %d fetching %s-%d from broker %d", code, *key, self.source_id)
            state.delayed_until = self._now_s() + self.backoff_s

    def _out_of_range(self, state: FetchState, data: PartitionData) -> None:
        """Our LEO is below the leader's log start (it deleted what we miss) or above its end (a diverged log)."""
        plog = state.partition.log
        if 0 <= data.log_start_offset and plog.log_end_offset < data.log_start_offset:
            log.info("Follower %s-%d restarts at the leader's log start offset %d", plog.topic, plog.partition, data.log_start_offset)
            plog.truncate_fully_and_start_at(data.log_start_offset)
        elif data.high_watermark >= 0 and plog.log_end_offset > data.high_watermark:
            # Ahead of the leader: what is below its high watermark is committed everywhere; re-check by epoch.
            plog.truncate_to(data.high_watermark)
            state.truncating = True
        else:
            state.delayed_until = self._now_s() + self.backoff_s


def _local_epoch_end(plog: PartitionLog, epoch: int) -> tuple[int, int]:
    return plog.leader_epoch_cache.end_offset_for(epoch, plog.log_end_offset)


def _whole_batches(records: Buffer) -> memoryview | None:
    """Drops a trailing partial batch (a leader may cut the last one at the partition byte limit)."""
    view = memoryview(records)
    end = 0
    for pos, header in iter_batch_headers(view):
        if pos + header.size > len(view):
            break
        end = pos + header.size
    return view[:end] if end else None
