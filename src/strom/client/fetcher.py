"""Fetcher: the consumer's fetch path (Java's Fetcher with the positions of its SubscriptionState).

A fetch task keeps one Fetch in flight per leader for the assigned, unpaused partitions that have a
position and no data buffered (prefetch; but never one of only caught-up partitions while others of that
leader are buffered, see send_fetches), through an incremental fetch session per broker (KIP-227,
fetch_session.py). Each partition's answer is decoded into Messages from the fetch position on --
skipping control batches and, for read_committed, the aborted transactions' batches -- and parked as a
CompletedFetch; collect() hands the records out and moves the positions. A partition whose leader
moved is forgotten in the metadata cache so the next fetch asks again; OFFSET_OUT_OF_RANGE resets the
position by auto.offset.reset.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strom.client.fetch_session import FetchPlan, FetchSessionHandler, fetch_request
from strom.client.network import ClusterView
from strom.client.record_codec import batch_payload, decode_into
from strom.client.types import Message
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.primitives import Buffer
from strom.protocol.records import iter_batch_headers, iter_records
from strom.protocol.schema import fetch
from strom.protocol.schema.fetch import AbortedTransaction, FetchRequest, FetchResponse
from strom.protocol.types import TP

log = logging.getLogger("strom.client.fetcher")

EARLIEST, LATEST = -2, -1
READ_COMMITTED = 1
MAX_FETCH_VERSION = 12  # v13+ names topics by id; names are enough
_CONTROL_KEY = struct.Struct(">hh")
Deserializer = Callable[[Any], Any]


class PartitionState:
    """What the consumer knows of one assigned partition."""

    __slots__ = ("position", "paused", "revoking", "high_watermark", "leader_epoch")

    def __init__(self) -> None:
        self.position: int | None = None
        self.paused = False
        self.revoking = False  # on_revoke is running: nothing more of it is handed out, its position stays
        self.high_watermark = -1
        self.leader_epoch = -1


class CompletedFetch:
    """One partition's decoded records from one fetch, handed out from `index` on."""

    __slots__ = ("tp", "messages", "index", "position", "next_offset")

    def __init__(self, tp: TP, messages: list[Message], position: int, next_offset: int) -> None:
        self.tp = tp
        self.messages = messages
        self.index = 0
        self.position = position  # the partition's position these records start at
        self.next_offset = next_offset  # its position once they are all handed out


@dataclass(frozen=True, slots=True)
class FetchConfig:
    max_wait_ms: int
    min_bytes: int
    max_bytes: int
    partition_max_bytes: int
    isolation_level: int  # 0 read_uncommitted, 1 read_committed
    request_timeout_ms: int
    retry_backoff: float  # seconds
    auto_offset_reset: str  # earliest, latest or none


class Fetcher:
    def __init__(
        self,
        cluster: ClusterView,
        config: FetchConfig,
        list_offsets: Callable[[list[TP], int], Awaitable[dict[TP, int]]],
        on_data: Callable[[], None],
        key_deserializer: Deserializer | None = None,
        value_deserializer: Deserializer | None = None,
    ) -> None:
        self.cluster = cluster
        self.config = config
        self.list_offsets = list_offsets  # ListOffsets, for a reset after OFFSET_OUT_OF_RANGE
        self.on_data = on_data  # records are ready to collect
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer
        self.assignment: dict[TP, PartitionState] = {}
        self.sessions: dict[int, FetchSessionHandler] = {}  # leader id -> its fetch session
        self._buffer: deque[CompletedFetch] = deque()
        self._busy_leaders: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def wakeup(self) -> None:
        """Positions, pauses or the assignment changed, or data was consumed: look for fetches to send."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            stale = self.send_fetches()
            if stale:
                try:
                    await self.cluster.refresh(sorted(stale))
                except KafkaError as exc:
                    log.debug("metadata refresh failed: %s", exc)
                await asyncio.sleep(self.config.retry_backoff)
                continue
            await self._wake.wait()

    def send_fetches(self) -> set[str]:
        """Starts a fetch to every leader with fetchable partitions and none in flight; returns the topics
        whose leader is unknown.

        A leader some of whose partitions still have records buffered is not sent a fetch of only caught-up
        partitions (position at the last high watermark seen): that fetch would wait fetch.max.wait.ms in
        the broker's purgatory with nothing to read, and the buffered partitions, drained meanwhile, could
        not be fetched until it returns (one fetch in flight per leader). A busy topic read beside an idle
        one would get one partition_max_bytes per fetch.max.wait.ms. The fetch goes once the buffer drains
        (collect() wakes the fetcher), with every partition in it."""
        buffered = {f.tp for f in self._buffer}
        by_leader: dict[int, list[TP]] = {}
        draining: set[int] = set()  # leaders with records of an unpaused partition still to hand out
        stale: set[str] = set()
        for tp, st in self.assignment.items():
            if st.paused or st.position is None:
                continue
            leader = self.cluster.leader_of(*tp)
            if leader is None:
                stale.add(tp[0])
                continue
            if tp in buffered:
                if not st.revoking:
                    draining.add(leader)
                continue
            if leader not in self._busy_leaders:
                by_leader.setdefault(leader, []).append(tp)
        for leader, tps in by_leader.items():
            if leader in draining and all(self._caught_up(tp) for tp in tps):
                continue
            self._busy_leaders.add(leader)
            task = asyncio.ensure_future(self._fetch(leader, tps))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return stale

    def _caught_up(self, tp: TP) -> bool:
        """The partition had nothing more to read at the last answer (its position is at the high watermark)."""
        st = self.assignment[tp]
        return st.high_watermark >= 0 and st.position is not None and st.position >= st.high_watermark

    async def _fetch(self, leader: int, tps: list[TP]) -> None:
        try:
            await self._fetch_from(leader, tps)
        except KafkaError as exc:
            log.debug("fetch from broker %s failed: %s", leader, exc)
            self.session(leader).handle_failure()
            for tp in tps:
                self.cluster.invalidate(tp[0])
            await asyncio.sleep(self.config.retry_backoff)
        except Exception:
            log.exception("fetch from broker %s failed", leader)
            self.session(leader).handle_failure()
            await asyncio.sleep(self.config.retry_backoff)
        finally:
            self._busy_leaders.discard(leader)
            self.wakeup()

    def session(self, leader: int) -> FetchSessionHandler:
        handler = self.sessions.get(leader)
        if handler is None:
            handler = self.sessions[leader] = FetchSessionHandler()
        return handler

    def fetch_request(self, plan: FetchPlan, max_wait_ms: int) -> FetchRequest:
        c = self.config
        return fetch_request(plan, max_wait_ms, c.min_bytes, c.max_bytes, c.isolation_level)

    async def _fetch_from(self, leader: int, tps: list[TP]) -> None:
        conn = await self.cluster.connection(leader)
        sent: dict[TP, int] = {}
        for tp in tps:
            st = self.assignment.get(tp)
            if st is not None and st.position is not None:
                sent[tp] = st.position
        if not sent:
            return
        version = min(conn.version_for(fetch.API_KEY), MAX_FETCH_VERSION)
        session = self.session(leader)
        session.enabled = version >= 7
        plan = session.plan({tp: (offset, self.config.partition_max_bytes) for tp, offset in sent.items()})
        timeout = self.config.max_wait_ms / 1000 + self.config.request_timeout_ms / 1000
        resp: FetchResponse = await conn.send(self.fetch_request(plan, self.config.max_wait_ms), version, timeout=timeout)
        returned = [(t.topic, p.partition_index) for t in resp.responses for p in t.partitions]
        if not session.handle_response(plan, resp.error_code, resp.session_id, returned):
            log.info(
                "fetch session with broker %s: %s; the next fetch is full",
                leader,
                KafkaError(resp.error_code or ErrorCode.UNKNOWN_SERVER_ERROR),
            )
            return
        if await self._handle_partitions(resp, sent):
            self.on_data()

    async def _handle_partitions(self, resp: FetchResponse, sent: dict[TP, int]) -> bool:
        """Buffers each partition's records; True when any partition has data (or moved on)."""
        got_data = False
        for t in resp.responses:
            for p in t.partitions:
                tp = (t.topic, p.partition_index)
                st = self.assignment.get(tp)
                if st is None or tp not in sent or st.position != sent[tp]:
                    continue  # unassigned or seeked meanwhile
                if p.error_code:
                    await self._partition_error(tp, p.error_code)
                    continue
                st.high_watermark = p.high_watermark
                if not p.records or not isinstance(p.records, (bytes, bytearray, memoryview)):
                    continue  # (a file region only ever goes the other way, from a broker's log)
                messages, next_offset = self.decode(tp, p.records, sent[tp], p.aborted_transactions)
                if messages or next_offset > sent[tp]:
                    self._buffer.append(CompletedFetch(tp, messages, sent[tp], next_offset))
                    got_data = True
        return got_data

    async def _partition_error(self, tp: TP, code: int) -> None:
        if code == ErrorCode.OFFSET_OUT_OF_RANGE:
            policy = self.config.auto_offset_reset
            if policy == "none":
                log.error("offset out of range for %s-%s and auto.offset.reset is none", *tp)
                return
            offsets = await self.list_offsets([tp], EARLIEST if policy == "earliest" else LATEST)
            if tp in self.assignment:
                self.assignment[tp].position = offsets[tp]
            return
        if code in (
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            ErrorCode.LEADER_NOT_AVAILABLE,
            ErrorCode.FENCED_LEADER_EPOCH,
        ):
            self.cluster.invalidate(tp[0])
            return
        log.warning("fetch of %s-%s failed: %s", tp[0], tp[1], KafkaError(code))

    def decode(
        self, tp: TP, records: Buffer, position: int, aborted_list: Sequence[AbortedTransaction] | None
    ) -> tuple[list[Message], int]:
        """Messages at or after `position`, without control batches and (read_committed) aborted data;
        and the offset after the last batch looked at."""
        topic, partition = tp
        kd, vd = self.key_deserializer, self.value_deserializer
        out: list[Message] = []
        next_offset = position
        aborted: dict[int, int] = {}
        pending = sorted((a.first_offset, a.producer_id) for a in aborted_list or []) if self.config.isolation_level else []
        ai = 0
        for bpos, header in iter_batch_headers(records):
            last = header.last_offset
            if last < position:
                continue
            while ai < len(pending) and pending[ai][0] <= last:
                aborted[pending[ai][1]] = pending[ai][0]
                ai += 1
            if header.is_control:
                if header.producer_id in aborted and _is_abort_marker(records, bpos):
                    aborted.pop(header.producer_id, None)
                next_offset = max(next_offset, last + 1)
                continue
            if header.is_transactional and header.producer_id in aborted:
                next_offset = max(next_offset, last + 1)
                continue
            data = batch_payload(records, bpos, header.size, header.compression)
            log_append = header.max_timestamp if header.timestamp_type else None
            decode_into(
                out,
                data,
                header.records_count,
                header.base_offset,
                header.base_timestamp,
                log_append,
                position,
                topic,
                partition,
                header.partition_leader_epoch,
                kd,
                vd,
            )
            next_offset = max(next_offset, last + 1)
        return out, next_offset

    def collect(self, limit: int) -> list[Message]:
        """Up to `limit` buffered messages of assigned, unpaused partitions, moving their positions."""
        out: list[Message] = []
        kept: deque[CompletedFetch] = deque()
        while self._buffer and len(out) < limit:
            fetched = self._buffer.popleft()
            st = self.assignment.get(fetched.tp)
            if st is None or st.revoking or st.position != fetched.position:
                continue  # unassigned, being revoked, or seeked since the fetch
            if st.paused:
                kept.append(fetched)
                continue
            take = fetched.messages[fetched.index : fetched.index + limit - len(out)]
            out.extend(take)
            fetched.index += len(take)
            if fetched.index >= len(fetched.messages):
                st.position = fetched.next_offset
                self.wakeup()
            else:
                st.position = fetched.position = take[-1].offset() + 1  # type: ignore[operator]
                kept.appendleft(fetched)
        kept.extend(self._buffer)
        self._buffer = kept
        return out

    async def close(self) -> None:
        """Stops fetching and tells each broker to drop our fetch session (epoch -1), so its cache slot is
        free at once."""
        tasks = [t for t in [self._task, *self._tasks] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        closing = []
        for leader, handler in self.sessions.items():
            plan = handler.close_plan()
            conn = self.cluster.open_connection(leader)
            if plan is not None and conn is not None:
                version = min(conn.version_for(fetch.API_KEY), MAX_FETCH_VERSION)
                closing.append(conn.send(self.fetch_request(plan, 0), version, timeout=self.config.max_wait_ms / 1000 + 5))
        for outcome in await asyncio.gather(*closing, return_exceptions=True):
            if isinstance(outcome, BaseException):
                log.debug("closing a fetch session failed: %s", outcome)


def _is_abort_marker(records: Buffer, pos: int) -> bool:
    for r in iter_records(records, pos):
        if r.key is not None and len(r.key) >= 4:
            return bool(_CONTROL_KEY.unpack_from(r.key)[1] == 0)
    return False
