"""strom.Consumer: confluent-kafka's Consumer API over the asyncio consumer.

poll() takes messages from a local batch and crosses to the client thread only to refill it.
Rebalance callbacks run in the application thread inside poll()/consume(), as with librdkafka: the
client thread waits for them, so a callback may call assign(), seek() or commit() on the consumer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from strom.client.cluster import cluster_metadata
from strom.client.config import resolve
from strom.client.consumer import AsyncConsumer
from strom.client.loop_thread import LoopThread
from strom.client.stats import PartitionStats, statistics_for
from strom.client.types import ConsumerGroupMetadata, Message, TopicPartition
from strom.protocol.errors import KafkaError, LocalError
from strom.protocol.types import TP

_SLICE = 0.2  # longest single wait on the client thread, so rebalance callbacks are served promptly


class Consumer:
    def __init__(self, config: Mapping[str, Any] | None = None, **kw: Any) -> None:
        conf = {**(config or {}), **kw}
        resolve("consumer", conf)
        self._runner = LoopThread("strom-consumer")
        self._aio: AsyncConsumer = self._runner.run(_make(conf))
        self._aio.rebalance_hook = _weak_rebalance_hook(self)  # must not keep a dropped consumer alive
        self._aio.error_events = deque()  # poll() hands consumer errors out as messages, as confluent-kafka does
        self._error_cb: Callable[[KafkaError], Any] | None = conf.get("error_cb")
        self._errors: deque[KafkaError] = deque()
        self._aio.cluster.on_error = self._errors.append  # served to error_cb by poll(), in this thread
        self._local: deque[Message] = deque()
        self._local_lock = threading.Lock()  # the client thread fills _local; a take-back here edits it
        self._callbacks: deque[tuple[str, list[TopicPartition], asyncio.Future[Any]]] = deque()
        self._callbacks_lock = threading.Lock()
        self._stats = statistics_for("consumer", self._aio.config)  # librdkafka's stats_cb, served by poll()
        self._partition_eof = self._aio.config["enable.partition.eof"]
        self._eof_at: dict[TP, int] = {}  # offset each partition's last _PARTITION_EOF event was given at
        self._committed: dict[TP, int] = {}  # what this consumer last committed, so commit() sends only moved positions
        self._closed = False
        self._next_poke = 0.0
        self._runner.stop_with(self)
        self._runner.closers.append(self._aio.cluster.close)

    # -- rebalance callbacks: posted by the loop, run here ------------------------------------------
    async def _rebalance_from_loop(self, kind: str, tps: list[TopicPartition]) -> dict[TP, int]:
        fut: asyncio.Future[dict[TP, int]] = asyncio.get_running_loop().create_future()
        with self._callbacks_lock:
            self._callbacks.append((kind, tps, fut))
        return await fut

    def _take_back(self, tps: list[TopicPartition]) -> dict[TP, int]:
        """Drops the local messages of `tps`; returns the offsets of the first ones (their true positions)."""
        keys = {(tp.topic, tp.partition) for tp in tps}
        first: dict[TP, int] = {}
        kept: list[Message] = []
        with self._local_lock:
            for m in self._local:
                key = (m.topic() or "", m.partition() or 0)
                if key in keys and m.error() is None:  # an error event is no position
                    first.setdefault(key, m.offset() or 0)
                else:
                    kept.append(m)
            self._local.clear()  # in place: consume() may hold a reference to it
            self._local.extend(kept)
        return first

    def _serve_callbacks(self) -> None:
        if self._stats is not None and self._stats.due(time.monotonic()):
            self._emit_stats()
        while self._errors:
            error = self._errors.popleft()
            if self._error_cb is not None:
                self._error_cb(error)
        while True:
            with self._callbacks_lock:
                if not self._callbacks:
                    return
                kind, tps, fut = self._callbacks.popleft()
            rewinds = self._take_back(tps) if kind in ("revoke", "lost") else {}
            cb = self._aio._listener.get(kind)
            raised: BaseException | None = None
            try:
                if cb is not None:
                    cb(self, tps)
            except BaseException as exc:  # the application's exception surfaces from poll()
                raised = exc
            self._runner.call_soon(_resolve, fut, rewinds)
            if raised is not None:
                raise raised

    def _call(self, coro: Any, timeout: float | None = None) -> Any:
        """Runs a coroutine on the client thread while serving rebalance callbacks it may wait for."""
        fut = self._runner.submit(coro)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._serve_callbacks()
            left = _SLICE if deadline is None else min(_SLICE, max(deadline - time.monotonic(), 0))
            try:
                return fut.result(left)
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    fut.cancel()
                    raise

    # -- consuming -----------------------------------------------------------------------------------
    def subscribe(
        self,
        topics: list[str],
        on_assign: Callable[..., Any] | None = None,
        on_revoke: Callable[..., Any] | None = None,
        on_lost: Callable[..., Any] | None = None,
    ) -> None:
        self._local.clear()
        self._call(self._aio.subscribe(topics, on_assign, on_revoke, on_lost))

    def unsubscribe(self) -> None:
        self._local.clear()
        self._call(self._aio.unsubscribe())

    def poll(self, timeout: float | None = None) -> Message | None:
        """One message, or None after `timeout` seconds (forever when None or negative)."""
        if self._local and not self._closed:  # the common case: hand out the next prefetched message
            if self._errors or self._callbacks or time.monotonic() >= self._next_poke:
                self._upkeep()  # may serve a revocation that takes the local messages back
            if self._local:
                return self._local.popleft()
        try:
            msgs = self.consume(1, timeout)
        except KeyboardInterrupt:  # Ctrl-C: from the caller's line, not from the client's internals
            raise KeyboardInterrupt from None
        return msgs[0] if msgs else None

    def consume(self, num_messages: int = 1, timeout: float | None = None) -> list[Message]:
        if self._closed:
            raise RuntimeError("consumer is closed")
        local = self._local
        if not local:
            try:
                self._fill(-1 if timeout is None else timeout, num_messages)
            except KeyboardInterrupt:
                raise KeyboardInterrupt from None
        else:
            self._upkeep()
        if len(local) <= num_messages:  # hand over everything at once: no per-message Python work
            out = list(local)
            local.clear()
            return out
        return [local.popleft() for _ in range(num_messages)]

    def _upkeep(self) -> None:
        """While handing out a local batch: serve callbacks, and let the group rejoin or stay alive."""
        if self._errors or self._callbacks:  # unlocked peek: a callback posted meanwhile is served next call
            self._serve_callbacks()
        now = time.monotonic()
        if self._stats is not None and self._stats.due(now):
            self._emit_stats()
        if now < self._next_poke:
            return
        group = self._aio._group
        if group is not None:
            # a thread hop costs microseconds: at most every 10 ms while a (re)join is due, else every 100 ms
            self._next_poke = now + (0.01 if group.need_rejoin or group.lost else 0.1)
            self._runner.call_soon(self._aio.poke)

    def _fill(self, timeout: float, wanted: int = 1) -> None:
        """Fetches the next messages (at least max.poll.records, or `wanted` if more: one thread hop each)."""
        deadline = None if timeout < 0 else time.monotonic() + timeout
        most = max(wanted, self._aio.config["max.poll.records"])
        while True:
            self._serve_callbacks()
            left = _SLICE if deadline is None else min(_SLICE, max(deadline - time.monotonic(), 0))
            if self._call(self._fetch_into_local(left, most)):
                return
            if deadline is not None and time.monotonic() >= deadline:
                self._serve_callbacks()
                return

    async def _fetch_into_local(self, timeout: float, most: int) -> int:
        """Runs on the client thread, so the messages are in `_local` before a later revocation is posted here:
        its take-back then always sees them, and the position it commits matches what the application got
        (when they were added here after the take-back, a revoked partition's messages were still handed out)."""
        msgs = await self._aio.getmany(timeout, most)
        if self._stats is not None:
            self._stats.rxmsgs += len(msgs)
            self._stats.rxmsg_bytes += sum(len(m) for m in msgs)
        if self._partition_eof:
            msgs.extend(self._eof_events())
        if msgs:
            with self._local_lock:
                self._local.extend(msgs)
        return len(msgs)

    def _eof_events(self) -> list[Message]:
        """librdkafka's enable.partition.eof: a _PARTITION_EOF event (topic, partition, offset) for each assigned
        partition whose position reached its high watermark, once per end offset."""
        events = []
        for tp, st in self._aio._assigned.items():
            end = st.high_watermark
            if end >= 0 and st.position == end and self._eof_at.get(tp) != end:
                self._eof_at[tp] = end
                events.append(Message(tp[0], tp[1], end, error=KafkaError(LocalError.PARTITION_EOF)))
        return events

    def _emit_stats(self) -> None:
        assert self._stats is not None
        assigned = list(self._aio._assigned.items())
        partitions = [
            PartitionStats(
                tp[0],
                tp[1],
                next_offset=-1 if st.position is None else st.position,
                app_offset=-1 if st.position is None else st.position,
                committed_offset=self._committed.get(tp, -1),
                hi_offset=st.high_watermark,
                fetch_state="stopped" if st.paused else "active",
            )
            for tp, st in assigned
        ]
        group = self._aio._group
        cgrp = None
        if group is not None:
            cgrp = {
                "state": "up" if group.generation >= 0 else "init",
                "join_state": "wait-join" if group.need_rejoin else "steady",
                "assignment_size": len(assigned),
            }
        self._stats.emit(self._stats.document(self._aio.cluster, replyq=len(self._callbacks), partitions=partitions, cgrp=cgrp))

    # -- assignment and positions --------------------------------------------------------------------
    def assign(self, partitions: list[TopicPartition]) -> None:
        self._local.clear()
        self._call(self._aio.assign(partitions))

    def incremental_assign(self, partitions: list[TopicPartition]) -> None:
        self._call(self._aio.incremental_assign(partitions))

    def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        self._local = deque(m for m in self._local if (m.topic(), m.partition()) not in gone)
        self._call(self._aio.incremental_unassign(partitions))

    def unassign(self) -> None:
        self._local.clear()
        self._call(self._aio.unassign())

    def assignment(self) -> list[TopicPartition]:
        return self._call(_value(self._aio.assignment))  # type: ignore[no-any-return]

    def seek(self, partition: TopicPartition) -> None:
        key = (partition.topic, partition.partition)
        self._local = deque(m for m in self._local if (m.topic(), m.partition()) != key)
        self._call(self._aio.seek(partition))

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        positions: list[TopicPartition] = self._call(_value(self._aio.position, partitions))
        # messages in the local batch were not handed out yet: the position is the first of them
        first: dict[TP, int] = {}
        for m in self._local:
            if m.error() is None:
                first.setdefault((m.topic() or "", m.partition() or 0), m.offset() or 0)
        for tp in positions:
            if (tp.topic, tp.partition) in first:
                tp.offset = first[(tp.topic, tp.partition)]
        return positions

    def pause(self, partitions: list[TopicPartition]) -> None:
        self._call(_value(self._aio.pause, partitions))

    def resume(self, partitions: list[TopicPartition]) -> None:
        self._call(_value(self._aio.resume, partitions))

    def committed(self, partitions: list[TopicPartition], timeout: float | None = None) -> list[TopicPartition]:
        return self._call(self._aio.committed(partitions), timeout)  # type: ignore[no-any-return]

    def commit(
        self, message: Message | None = None, offsets: list[TopicPartition] | None = None, asynchronous: bool = True
    ) -> list[TopicPartition] | None:
        """Commits a message's offset + 1, the given offsets, or the current positions; async by default (as confluent).

        With no argument, only positions that moved since this consumer's last commit of them go out; none
        left is librdkafka's _NO_OFFSET (raised by a synchronous commit, given to on_commit)."""
        if offsets is None and message is None and self._aio.offset_store is not None:
            stored = self._aio.commit_candidates(list(self._aio._assigned))
            offsets = [tp for tp in stored if self._committed.get((tp.topic, tp.partition)) != tp.offset]
        elif offsets is None and message is None:
            offsets = [
                tp
                for tp in self.position(self.assignment())
                if tp.offset >= 0 and self._committed.get((tp.topic, tp.partition)) != tp.offset
            ]
        coro = self._aio.commit(offsets, message)
        if asynchronous:
            fut = self._runner.submit(coro)
            fut.add_done_callback(self._commit_done)  # errors go to on_commit
            return None
        done: list[TopicPartition] = self._call(coro)
        self._committed.update(((tp.topic, tp.partition), tp.offset) for tp in done)
        return done

    def store_offsets(self, message: Message | None = None, offsets: list[TopicPartition] | None = None) -> None:
        """confluent-kafka's store_offsets (with enable.auto.offset.store=false): a message's offset + 1, or the
        given offsets, become what the next auto commit or argument-less commit() sends."""
        if message is not None:
            offsets = [TopicPartition(message.topic() or "", message.partition() or 0, (message.offset() or 0) + 1)]
        if offsets is None:
            raise TypeError("store_offsets() takes a message or offsets")
        self._aio.store_offsets(offsets)

    def _commit_done(self, fut: concurrent.futures.Future[list[TopicPartition]]) -> None:
        if not fut.cancelled() and fut.exception() is None:
            self._committed.update(((tp.topic, tp.partition), tp.offset) for tp in fut.result())

    def offsets_for_times(self, partitions: list[TopicPartition], timeout: float | None = None) -> list[TopicPartition]:
        return self._call(self._aio.offsets_for_times(partitions), timeout)  # type: ignore[no-any-return]

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float | None = None, cached: bool = False) -> tuple[int, int]:
        return self._call(self._aio.get_watermark_offsets(partition), timeout)  # type: ignore[no-any-return]

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        async def fetch() -> Any:
            await self._aio.cluster.refresh([topic] if topic else None)
            return cluster_metadata(self._aio.cluster)

        return self._call(fetch(), None if timeout < 0 else timeout)

    def cluster_id(self, timeout: float = -1) -> str | None:
        """confluent-kafka's cluster_id(): the id from the cluster's metadata, None when none came in time."""
        try:
            return self.list_topics(timeout=timeout).cluster_id  # type: ignore[no-any-return]
        except (KafkaError, TimeoutError):
            return None

    def enforce_rebalance(self, reason: str = "") -> None:
        """Java's Consumer.enforceRebalance: this member rejoins (the group rebalances) on a coming poll."""
        self._runner.call_soon(self._aio.enforce_rebalance, reason)

    def memberid(self) -> str | None:
        return self._aio.member_id

    def consumer_group_metadata(self) -> ConsumerGroupMetadata:
        """For Producer.send_offsets_to_transaction (consume-transform-produce, exactly once)."""
        return self._aio.consumer_group_metadata()

    def close(self) -> None:
        """Commits (if auto commit), leaves the group and stops the client thread."""
        if self._closed:
            return
        self._closed = True
        # positions must not include messages fetched but never handed out
        rewinds = self._take_back(self.assignment())
        self._call(_rewind(self._aio, rewinds))
        try:
            self._call(self._aio.close(), 30)
        finally:
            self._runner.stop()

    def __enter__(self) -> Consumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _weak_rebalance_hook(consumer: Consumer) -> Callable[[str, list[TopicPartition]], Any]:
    ref = weakref.ref(consumer)

    async def hook(kind: str, tps: list[TopicPartition]) -> dict[TP, int]:
        target = ref()
        return {} if target is None else await target._rebalance_from_loop(kind, tps)

    return hook


async def _make(conf: dict[str, Any]) -> AsyncConsumer:
    return AsyncConsumer(conf)


async def _rewind(consumer: AsyncConsumer, positions: dict[TP, int]) -> None:
    for tp, offset in positions.items():
        st = consumer._assigned.get(tp)
        if st is not None:
            st.position = offset


async def _value(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _resolve(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)
