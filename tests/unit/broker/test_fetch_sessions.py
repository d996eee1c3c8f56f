"""Fetch session cache (KIP-227): contexts, incremental responses, errors and eviction, without sockets."""

import uuid

from strom.broker.fetch_sessions import FINAL_EPOCH, INITIAL_EPOCH, FetchSessionCache
from strom.protocol.errors import ErrorCode
from strom.protocol.schema.fetch import (
    FetchableTopicResponse,
    FetchPartition,
    FetchRequest,
    FetchTopic,
    ForgottenTopic,
    PartitionData,
)

V = 12  # topic names
IDS = {uuid.UUID(int=1): "a", uuid.UUID(int=2): "b"}


def request(session_id, epoch, parts=(), forgotten=()):
    by_topic = {}
    for topic, index, offset in parts:
        by_topic.setdefault(topic, []).append(FetchPartition(partition=index, fetch_offset=offset, partition_max_bytes=1 << 20))
    topics = [FetchTopic(topic=t, partitions=ps) for t, ps in by_topic.items()]
    gone = [ForgottenTopic(topic=t, partitions=[i]) for t, i in forgotten]
    return FetchRequest(max_wait_ms=0, min_bytes=1, session_id=session_id, session_epoch=epoch, topics=topics, forgotten_topics_data=gone)


def respond(ctx, data=None, hw=10, errors=None):
    """What the handler would read: `data` maps (topic, partition) to records bytes."""
    data = data or {}
    errors = errors or {}
    out = []
    for ft, name in ctx.topics:
        parts = [
            PartitionData(
                partition_index=fp.partition,
                error_code=errors.get((name, fp.partition), 0),
                high_watermark=hw,
                log_start_offset=0,
                records=data.get((name, fp.partition), b""),
            )
            for fp in ft.partitions
        ]
        out.append(FetchableTopicResponse(topic=name, partitions=parts))
    return out


def names(responses):
    return [(t.topic, p.partition_index) for t in responses for p in t.partitions]


def open_session(cache, parts, now=0):
    ctx = cache.new_context(request(0, INITIAL_EPOCH, parts), V, now, IDS.get, privileged=False)
    sid, responses = cache.finish(ctx, respond(ctx), now)
    assert sid != 0 and names(responses) == [(t, i) for t, i, _ in parts]
    return sid


def test_final_epoch_is_sessionless_and_closes_the_named_session():
    cache = FetchSessionCache(10)
    ctx = cache.new_context(request(0, FINAL_EPOCH, [("a", 0, 0)]), V, 0, IDS.get, False)
    assert cache.finish(ctx, respond(ctx), 0)[0] == 0 and len(cache) == 0
    sid = open_session(cache, [("a", 0, 0)])
    ctx = cache.new_context(request(sid, FINAL_EPOCH, [("a", 0, 0)]), V, 0, IDS.get, False)
    assert cache.finish(ctx, respond(ctx), 0)[0] == 0 and len(cache) == 0


def test_versions_before_7_never_open_sessions():
    cache = FetchSessionCache(10)
    ctx = cache.new_context(request(0, INITIAL_EPOCH, [("a", 0, 0)]), 6, 0, IDS.get, False)
    assert cache.finish(ctx, respond(ctx), 0)[0] == 0


def test_incremental_fetch_reads_every_session_partition_and_sends_only_changes():
    cache = FetchSessionCache(10)
    sid = open_session(cache, [("a", 0, 0), ("a", 1, 0), ("b", 0, 0)])
    ctx = cache.new_context(request(sid, 1), V, 1, IDS.get, False)
    assert ctx.error == 0 and ctx.incremental
    assert [(ft.topic, fp.partition, fp.fetch_offset) for ft, _ in ctx.topics for fp in ft.partitions] == [
        ("a", 0, 0),
        ("a", 1, 0),
        ("b", 0, 0),
    ]
    assert cache.finish(ctx, respond(ctx), 1) == (sid, [])  # nothing new
    ctx = cache.new_context(request(sid, 2, [("a", 1, 5)]), V, 2, IDS.get, False)  # the client moved a-1 on
    assert [fp.fetch_offset for ft, _ in ctx.topics for fp in ft.partitions if ft.topic == "a" and fp.partition == 1] == [5]
    _, responses = cache.finish(ctx, respond(ctx, data={("a", 1): b"x" * 70}, hw=12), 2)
    assert names(responses) == [("a", 0), ("a", 1), ("b", 0)]  # records for a-1, a new high watermark for all
    ctx = cache.new_context(request(sid, 3), V, 3, IDS.get, False)
    assert cache.finish(ctx, respond(ctx, hw=12, data={("b", 0): b"y" * 70}), 3)[1][0].topic == "b"


def test_partitions_that_answered_move_to_the_end():
    cache = FetchSessionCache(10)
    sid = open_session(cache, [("a", 0, 0), ("a", 1, 0), ("b", 0, 0)])
    ctx = cache.new_context(request(sid, 1), V, 1, IDS.get, False)
    cache.finish(ctx, respond(ctx, data={("a", 0): b"x" * 70}), 1)
    ctx = cache.new_context(request(sid, 2), V, 2, IDS.get, False)
    assert [(ft.topic, fp.partition) for ft, _ in ctx.topics for fp in ft.partitions] == [("a", 1), ("b", 0), ("a", 0)]


def test_added_and_forgotten_partitions():
    cache = FetchSessionCache(10)
    sid = open_session(cache, [("a", 0, 0), ("a", 1, 0)])
    ctx = cache.new_context(request(sid, 1, [("b", 0, 3)], forgotten=[("a", 0)]), V, 1, IDS.get, False)
    assert [(ft.topic, fp.partition) for ft, _ in ctx.topics for fp in ft.partitions] == [("a", 1), ("b", 0)]
    assert names(cache.finish(ctx, respond(ctx), 1)[1]) == [("b", 0)]  # new: its high watermark was never sent


def test_errors_are_always_sent_and_resent_when_they_clear():
    cache = FetchSessionCache(10)
    sid = open_session(cache, [("a", 0, 0)])
    ctx = cache.new_context(request(sid, 1), V, 1, IDS.get, False)
    err = {("a", 0): ErrorCode.NOT_LEADER_OR_FOLLOWER}
    assert names(cache.finish(ctx, respond(ctx, errors=err), 1)[1]) == [("a", 0)]
    ctx = cache.new_context(request(sid, 2), V, 2, IDS.get, False)
    assert names(cache.finish(ctx, respond(ctx), 2)[1]) == [("a", 0)]


def test_session_errors():
    cache = FetchSessionCache(10)
    sid = open_session(cache, [("a", 0, 0)])
    assert cache.new_context(request(sid + 1, 1), V, 0, IDS.get, False).error == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
    assert cache.new_context(request(sid, 2), V, 0, IDS.get, False).error == ErrorCode.INVALID_FETCH_SESSION_EPOCH
    assert cache.new_context(request(sid, 1), 13, 0, IDS.get, False).error == ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR
    assert cache.new_context(request(sid, 1), V, 0, IDS.get, False).error == 0
    assert cache.new_context(request(sid, 1), V, 0, IDS.get, False).error == ErrorCode.INVALID_FETCH_SESSION_EPOCH


def test_topic_ids_from_version_13():
    cache = FetchSessionCache(10)
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    req = FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        session_id=0,
        session_epoch=0,
        topics=[FetchTopic(topic_id=a, partitions=[FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1)])],
    )
    ctx = cache.new_context(req, 13, 0, IDS.get, False)
    assert [name for _, name in ctx.topics] == ["a"]
    responses = [FetchableTopicResponse(topic_id=a, partitions=[PartitionData(partition_index=0, high_watermark=4, records=b"")])]
    sid, _ = cache.finish(ctx, responses, 0)
    req = FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        session_id=sid,
        session_epoch=1,
        topics=[FetchTopic(topic_id=b, partitions=[FetchPartition(partition=2, fetch_offset=7, partition_max_bytes=1)])],
        forgotten_topics_data=[ForgottenTopic(topic_id=a, partitions=[0])],
    )
    ctx = cache.new_context(req, 13, 1, IDS.get, False)
    assert [(name, ft.topic_id, fp.partition) for ft, name in ctx.topics for fp in ft.partitions] == [("b", b, 2)]


def test_full_cache_evicts_stale_then_smaller_sessions_and_followers_win():
    cache = FetchSessionCache(2, eviction_ms=1000)
    one = open_session(cache, [("a", 0, 0)], now=0)
    three = open_session(cache, [("a", 0, 0), ("a", 1, 0), ("b", 0, 0)], now=500)
    ctx = cache.new_context(request(0, INITIAL_EPOCH, [("a", 0, 0)]), V, 600, IDS.get, False)
    assert cache.finish(ctx, respond(ctx), 600)[0] == 0  # no room: equal size, nothing stale
    ctx = cache.new_context(request(0, INITIAL_EPOCH, [("a", 0, 0), ("a", 1, 0)]), V, 700, IDS.get, False)
    bigger, _ = cache.finish(ctx, respond(ctx), 700)
    assert bigger != 0 and one not in cache.sessions and three in cache.sessions  # the 1-partition session made room
    ctx = cache.new_context(request(0, INITIAL_EPOCH, [("a", 0, 0)]), V, 5000, IDS.get, False)
    stale_evicted, _ = cache.finish(ctx, respond(ctx), 5000)
    assert stale_evicted != 0 and three not in cache.sessions  # idle longer than eviction_ms
    ctx = cache.new_context(request(0, INITIAL_EPOCH, [("a", 0, 0)]), V, 5001, IDS.get, privileged=True)
    assert cache.finish(ctx, respond(ctx), 5001)[0] != 0  # a follower evicts a consumer's session
    assert len(cache) == 2
