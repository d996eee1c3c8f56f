"""The consumer's fetch-session handler against the broker's session cache (both pure state machines):
whatever the consumer wants, the broker reads exactly that, through lost responses and evictions."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.broker.fetch_sessions import FetchSessionCache
from strom.client.fetch_session import FINAL_EPOCH, FetchSessionHandler, fetch_request
from strom.protocol.errors import ErrorCode
from strom.protocol.schema.fetch import FetchableTopicResponse, PartitionData

TPS = [(t, p) for t in ("a", "b") for p in range(3)]


def exchange(cache: FetchSessionCache, handler: FetchSessionHandler, wanted: dict[Any, tuple[int, int]], now: int = 0) -> tuple[Any, ...]:
    """One Fetch round trip: (plan, what the broker read, error, session id, whether the client accepted it)."""
    plan = handler.plan(wanted)
    request = fetch_request(plan, 0, 1, 1 << 20, 0)
    ctx = cache.new_context(request, 12, now, lambda name: name, privileged=False)
    if ctx.error:
        return plan, None, ctx.error, 0, handler.handle_response(plan, ctx.error, 0, [])
    read = {(ft.topic, fp.partition): fp.fetch_offset for ft, _ in ctx.topics for fp in ft.partitions}
    responses = [
        FetchableTopicResponse(
            topic=ft.topic, partitions=[PartitionData(partition_index=fp.partition, high_watermark=fp.fetch_offset) for fp in ft.partitions]
        )
        for ft, _ in ctx.topics
    ]
    session_id, responses = cache.finish(ctx, responses, now)
    returned = [(t.topic, p.partition_index) for t in responses for p in t.partitions]
    return plan, read, 0, session_id, handler.handle_response(plan, 0, session_id, returned)


def test_session_opens_then_sends_only_changes() -> None:
    cache, handler = FetchSessionCache(10), FetchSessionHandler()
    wanted = {("a", 0): (0, 100), ("a", 1): (5, 100)}
    plan, read, _, sid, ok = exchange(cache, handler, wanted)
    assert (plan.session_id, plan.epoch, ok, sid != 0) == (0, 0, True, True)
    plan, read, _, _, ok = exchange(cache, handler, {("a", 0): (3, 100), ("a", 1): (5, 100)})
    assert (plan.session_id, plan.epoch) == (sid, 1)
    assert plan.to_send == {("a", 0): (3, 100)} and plan.forgotten == []
    assert read == {("a", 0): 3, ("a", 1): 5}
    plan, read, _, _, ok = exchange(cache, handler, {("a", 1): (5, 100)})
    assert plan.to_send == {} and plan.forgotten == [("a", 0)] and read == {("a", 1): 5}
    close = handler.close_plan()
    assert close is not None and (close.session_id, close.epoch) == (sid, FINAL_EPOCH)
    cache.new_context(fetch_request(close, 0, 1, 1, 0), 12, 0, lambda n: n, privileged=False)
    assert len(cache) == 0
    assert handler.close_plan() is None


def test_unknown_session_starts_a_new_one_and_a_wrong_epoch_replaces_it() -> None:
    cache, handler = FetchSessionCache(10), FetchSessionHandler()
    wanted = {("a", 0): (0, 100)}
    _, _, _, sid, _ = exchange(cache, handler, wanted)
    cache.remove(sid)
    plan, _, error, _, ok = exchange(cache, handler, wanted)
    assert (error, ok, handler.session_id) == (ErrorCode.FETCH_SESSION_ID_NOT_FOUND, False, 0)
    plan, read, _, sid2, ok = exchange(cache, handler, wanted)
    assert (plan.session_id, plan.epoch, ok, read) == (0, 0, True, {("a", 0): 0})
    cache.sessions[sid2].epoch += 3  # the broker and the client disagree
    _, _, error, _, ok = exchange(cache, handler, wanted)
    assert (error, ok) == (ErrorCode.INVALID_FETCH_SESSION_EPOCH, False)
    plan, _, _, sid3, ok = exchange(cache, handler, wanted)
    assert (plan.session_id, plan.epoch, ok) == (sid2, 0, True)  # closes the old session, opens another
    assert sid2 not in cache.sessions and sid3 in cache.sessions


def test_no_session_when_the_broker_has_no_room_and_sessionless_brokers() -> None:
    cache, handler = FetchSessionCache(0), FetchSessionHandler()
    for _ in range(3):
        plan, read, _, sid, ok = exchange(cache, handler, {("a", 0): (0, 100)})
        assert (plan.epoch, sid, ok, read) == (0, 0, True, {("a", 0): 0})
    old = FetchSessionHandler(enabled=False)
    plan = old.plan({("a", 0): (0, 100)})
    assert (plan.session_id, plan.epoch, plan.to_send) == (0, FINAL_EPOCH, {("a", 0): (0, 100)})
    assert old.close_plan() is None


wanted_sets = st.dictionaries(st.sampled_from(TPS), st.tuples(st.integers(0, 3), st.sampled_from([100, 200])), max_size=len(TPS))
steps = st.lists(st.tuples(wanted_sets, st.sampled_from(["ok", "ok", "ok", "lost", "evict"])), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_broker_reads_exactly_what_the_consumer_wants(script: list[tuple[dict[Any, tuple[int, int]], str]]) -> None:
    cache, handler = FetchSessionCache(len(script) + 1), FetchSessionHandler()
    orphans: set[int] = set()  # sessions opened by a response that never arrived: the client cannot close them
    for wanted, fault in script:
        if fault == "evict" and handler.session_id:
            cache.remove(handler.session_id)
        plan = handler.plan(wanted)
        request = fetch_request(plan, 0, 1, 1 << 20, 0)
        ctx = cache.new_context(request, 12, 0, lambda name: name, privileged=False)
        if ctx.error:
            assert not handler.handle_response(plan, ctx.error, 0, [])
            continue
        read = {(ft.topic, fp.partition): (fp.fetch_offset, fp.partition_max_bytes) for ft, _ in ctx.topics for fp in ft.partitions}
        assert read == wanted  # full or incremental, the broker reads what the consumer wants now
        responses = [
            FetchableTopicResponse(topic=ft.topic, partitions=[PartitionData(partition_index=fp.partition) for fp in ft.partitions])
            for ft, _ in ctx.topics
        ]
        session_id, responses = cache.finish(ctx, responses, 0)
        if fault == "lost":
            if session_id and session_id != handler.session_id:
                orphans.add(session_id)
            handler.handle_failure()
            continue
        returned = [(t.topic, p.partition_index) for t in responses for p in t.partitions]
        assert handler.handle_response(plan, 0, session_id, returned)
    assert set(cache.sessions) - orphans <= {handler.session_id}  # a replaced session is closed, never leaked
