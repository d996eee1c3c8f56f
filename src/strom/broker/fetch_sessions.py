"""Incremental fetch sessions (KIP-227): the broker remembers what a fetcher reads, so requests and
responses carry only what changed.

A request's (session id, epoch) picks the context:
- epoch -1 (FINAL): a full fetch without a session (a session named in it is closed);
- epoch 0 (INITIAL): a full fetch that opens a session when the cache has room (or can evict);
- epoch > 0: an incremental fetch of an existing session: the request adds or updates partitions and
  forgets others; the response holds only partitions with records, a changed high watermark or log
  start offset, or an error. An unknown id is FETCH_SESSION_ID_NOT_FOUND, a wrong epoch
  INVALID_FETCH_SESSION_EPOCH, a switch between topic names and topic ids FETCH_SESSION_TOPIC_ID_ERROR.
Partitions that made it into a response move to the end of the session's order, so a response-size
limit cannot starve the later ones. The cache holds max.incremental.fetch.session.cache.slots sessions;
a full cache evicts a session idle for 2 minutes, else a non-follower one with fewer partitions.
Pure state: no IO, the time is passed in.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from strom.protocol.errors import ErrorCode

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1
EVICTION_MS = 120_000  # Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS

PartitionKey = tuple[Any, int]  # (topic name or topic id, partition index)


def next_epoch(epoch: int) -> int:
    return 1 if epoch >= 0x7FFFFFFF else epoch + 1


@dataclass(slots=True)
class CachedPartition:
    """What the fetcher asked for in a partition (the fields a FetchPartition has) and what it was last told."""

    topic: str | None  # the name, None for an unknown topic id
    topic_id: Any
    partition: int
    fetch_offset: int
    partition_max_bytes: int
    current_leader_epoch: int = -1
    last_fetched_epoch: int = -1
    log_start_offset: int = -1
    high_watermark_sent: int = -1
    log_start_offset_sent: int = -1

    def update_from(self, fp: Any) -> None:
        self.fetch_offset = fp.fetch_offset
        self.partition_max_bytes = fp.partition_max_bytes
        self.current_leader_epoch = fp.current_leader_epoch
        self.last_fetched_epoch = fp.last_fetched_epoch
        self.log_start_offset = fp.log_start_offset


@dataclass(slots=True)
class FetchTopic:
    """A topic to read in this fetch, shaped like the request's FetchTopic so the handler reads either."""

    topic: str | None
    topic_id: Any
    partitions: list[Any]


@dataclass(slots=True)
class FetchSession:
    session_id: int
    epoch: int  # the epoch the next request must carry
    uses_topic_ids: bool
    privileged: bool  # a follower's session
    last_used_ms: int
    partitions: OrderedDict[PartitionKey, CachedPartition] = field(default_factory=OrderedDict)


@dataclass(slots=True)
class FetchContext:
    """How to read one Fetch request and how to shape its response."""

    topics: list[tuple[FetchTopic, str | None]]
    error: int = 0
    session: FetchSession | None = None
    incremental: bool = False
    full_session_wanted: bool = False  # a full fetch that asks for a new session (epoch 0)
    privileged: bool = False
    uses_topic_ids: bool = False


class FetchSessionCache:
    def __init__(self, max_slots: int, eviction_ms: int = EVICTION_MS, rng: random.Random | None = None) -> None:
        self.max_slots = max_slots
        self.eviction_ms = eviction_ms
        self._rng = rng or random.Random()
        self.sessions: dict[int, FetchSession] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    # ---- request side ---------------------------------------------------------------------------------

    def new_context(self, request: Any, version: int, now_ms: int, name_of: Callable[[Any], str | None], privileged: bool) -> FetchContext:
        """The context for a request; `name_of` resolves a topic id (v13+) to its name, None if unknown."""
        uses_ids = version >= 13
        session_id = request.session_id if version >= 7 else INVALID_SESSION_ID
        epoch = request.session_epoch if version >= 7 else FINAL_EPOCH
        if epoch in (INITIAL_EPOCH, FINAL_EPOCH):
            if session_id != INVALID_SESSION_ID:
                self.sessions.pop(session_id, None)  # a full fetch closes the session it names
            requested = [self._request_topic(t, uses_ids, name_of) for t in request.topics]
            return FetchContext(
                [(t, t.topic) for t in requested],
                full_session_wanted=epoch == INITIAL_EPOCH and version >= 7,
                privileged=privileged,
                uses_topic_ids=uses_ids,
            )
        session = self.sessions.get(session_id)
        if session is None:
            return FetchContext([], error=ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
        if session.epoch != epoch:
            return FetchContext([], error=ErrorCode.INVALID_FETCH_SESSION_EPOCH)
        if session.uses_topic_ids != uses_ids:
            return FetchContext([], error=ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
        self._update_session(session, request, uses_ids, name_of)
        session.epoch = next_epoch(session.epoch)
        session.last_used_ms = now_ms
        topics: list[FetchTopic] = []  # consecutive runs of one topic, in session order (as Kafka's response)
        last_key: Any = object()
        for (topic_key, _), cached in session.partitions.items():
            if topic_key != last_key:
                name = name_of(cached.topic_id) if uses_ids else cached.topic
                topics.append(FetchTopic(name, cached.topic_id, []))
                last_key = topic_key
            topics[-1].partitions.append(cached)
        return FetchContext([(t, t.topic) for t in topics], session=session, incremental=True, uses_topic_ids=uses_ids)

    @staticmethod
    def _request_topic(t: Any, uses_ids: bool, name_of: Callable[[Any], str | None]) -> FetchTopic:
        name = name_of(t.topic_id) if uses_ids else t.topic
        return FetchTopic(name, t.topic_id if uses_ids else None, list(t.partitions))

    @staticmethod
    def _update_session(session: FetchSession, request: Any, uses_ids: bool, name_of: Callable[[Any], str | None]) -> None:
        for t in request.topics:
            topic_key = t.topic_id if uses_ids else t.topic
            name = name_of(t.topic_id) if uses_ids else t.topic
            for fp in t.partitions:
                cached = session.partitions.get((topic_key, fp.partition))
                if cached is None:
                    cached = CachedPartition(name, t.topic_id if uses_ids else None, fp.partition, fp.fetch_offset, fp.partition_max_bytes)
                    session.partitions[(topic_key, fp.partition)] = cached
                cached.update_from(fp)
        for forgotten in request.forgotten_topics_data:
            topic_key = forgotten.topic_id if uses_ids else forgotten.topic
            for index in forgotten.partitions:
                session.partitions.pop((topic_key, index), None)

    # ---- response side --------------------------------------------------------------------------------

    def finish(self, ctx: FetchContext, responses: list[Any], now_ms: int) -> tuple[int, list[Any]]:
        """(session id, topic responses) to send: a full fetch may open a session; an incremental one
        drops partitions with nothing new and remembers what it told the fetcher."""
        if ctx.incremental:
            assert ctx.session is not None
            return ctx.session.session_id, self._incremental_responses(ctx.session, responses, ctx.uses_topic_ids)
        if not ctx.full_session_wanted:
            return INVALID_SESSION_ID, responses
        partitions = sum(len(t.partitions) for t in responses)
        if not self._make_room(ctx.privileged, partitions, now_ms):
            return INVALID_SESSION_ID, responses
        session = FetchSession(self._new_id(), 1, ctx.uses_topic_ids, ctx.privileged, now_ms)
        for (ft, _), resp in zip(ctx.topics, responses, strict=True):
            topic_key = ft.topic_id if ctx.uses_topic_ids else ft.topic
            for fp, pd in zip(ft.partitions, resp.partitions, strict=True):
                cached = CachedPartition(ft.topic, ft.topic_id, fp.partition, fp.fetch_offset, fp.partition_max_bytes)
                cached.update_from(fp)
                cached.high_watermark_sent = -1 if pd.error_code else pd.high_watermark
                cached.log_start_offset_sent = pd.log_start_offset
                session.partitions[(topic_key, fp.partition)] = cached
        self.sessions[session.session_id] = session
        return session.session_id, responses

    @staticmethod
    def _incremental_responses(session: FetchSession, responses: list[Any], uses_ids: bool) -> list[Any]:
        out = []
        moved: list[PartitionKey] = []
        for resp in responses:
            topic_key = resp.topic_id if uses_ids else resp.topic
            kept = []
            for pd in resp.partitions:
                cached = session.partitions.get((topic_key, pd.partition_index))
                if cached is None:
                    continue
                must = bool(pd.error_code) or _has_records(pd.records)
                if pd.high_watermark != cached.high_watermark_sent:
                    must = True
                    cached.high_watermark_sent = pd.high_watermark
                if pd.log_start_offset != cached.log_start_offset_sent:
                    must = True
                    cached.log_start_offset_sent = pd.log_start_offset
                if pd.error_code:
                    cached.high_watermark_sent = -1  # re-sent once the error clears
                if must:
                    kept.append(pd)
                    moved.append((topic_key, pd.partition_index))
            if kept:
                out.append(type(resp)(topic=resp.topic, topic_id=resp.topic_id, partitions=kept))
        for key in moved:
            session.partitions.move_to_end(key)
        return out

    # ---- cache ----------------------------------------------------------------------------------------

    def _new_id(self) -> int:
        while True:
            sid = self._rng.randint(1, 0x7FFFFFFF)
            if sid not in self.sessions:
                return sid

    def _make_room(self, privileged: bool, partitions: int, now_ms: int) -> bool:
        if len(self.sessions) < self.max_slots:
            return True
        if not self.sessions:
            return False
        stalest = min(self.sessions.values(), key=lambda s: s.last_used_ms)
        if now_ms - stalest.last_used_ms >= self.eviction_ms:
            del self.sessions[stalest.session_id]
            return True
        candidates: Iterable[FetchSession] = (s for s in self.sessions.values() if not s.privileged)
        victim = min(candidates, key=lambda s: (len(s.partitions), s.last_used_ms), default=None)
        if victim is not None and (privileged or len(victim.partitions) < partitions):
            del self.sessions[victim.session_id]
            return True
        return False

    def remove(self, session_id: int) -> None:
        self.sessions.pop(session_id, None)


def _has_records(records: Any) -> bool:
    if records is None:
        return False
    size = getattr(records, "size", None)
    return bool(size if size is not None else len(records))
