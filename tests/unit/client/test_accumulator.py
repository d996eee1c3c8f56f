"""The record accumulator without a network or a loop: linger.ms and batch.size readiness, the sticky
and keyed partition choice, drain order, requeue order after a failure, buffer accounting, expiry."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from strom.client.accumulator import RecordAccumulator
from strom.client.partitioner import partition_for_key
from strom.client.types import RecordMetadata
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP


class ManualTimer:
    """The loop's clock and call_at, moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.scheduled: list[float] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], object]) -> object:
        self.scheduled.append(when)
        return None


class Wakes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


Report = tuple[KafkaError | None, RecordMetadata | None]


def make(**kw: Any) -> tuple[RecordAccumulator, ManualTimer, Wakes]:
    settings: dict[str, Any] = {
        "batch_size": 16384,
        "linger": 0.005,
        "codec": 0,
        "buffer_memory": 1 << 20,
        "delivery_timeout": 120.0,
        "ignore_keys": False,
    }
    settings.update(kw)
    wakes = Wakes()
    acc = RecordAccumulator(wake=wakes, **settings)
    timer = ManualTimer()
    acc.timer = timer
    return acc, timer, wakes


def add(
    acc: RecordAccumulator, tp: TP | str, value: bytes = b"v" * 10, key: bytes | None = None, reports: list[Report] | None = None
) -> None:
    topic, partition = (tp, None) if isinstance(tp, str) else tp
    completion = None if reports is None else (lambda err, md: reports.append((err, md)))
    acc.append(topic, partition, 4, value, key, None, None, 70 + len(value) + len(key or b""), completion)


def never_muted(tp: TP) -> bool:
    return False


def test_a_new_batch_waits_for_linger_ms() -> None:
    acc, timer, wakes = make(linger=0.005)
    add(acc, ("t", 0))
    assert timer.scheduled == [100.005] and wakes.count == 0  # the sender is woken when linger ends
    ready, next_at = acc.ready(100.001, never_muted)
    assert ready == [] and next_at == 100.005
    ready, _ = acc.ready(100.005, never_muted)
    assert [b.tp for b in ready] == [("t", 0)]


def test_linger_zero_wakes_the_sender_at_once() -> None:
    acc, timer, wakes = make(linger=0)
    add(acc, ("t", 0))
    assert wakes.count == 1 and timer.scheduled == []
    assert [b.tp for b in acc.ready(timer.now, never_muted)[0]] == [("t", 0)]


def test_batch_size_closes_the_batch_and_makes_it_ready_before_linger() -> None:
    acc, timer, wakes = make(batch_size=500, linger=10)
    for _ in range(4):
        add(acc, ("t", 0), b"x" * 100)
    queue = acc.batches[("t", 0)]
    assert len(queue) == 2 and queue[0].closed and not queue[1].closed
    assert len(queue[0].entries) + len(queue[1].entries) == 4
    ready, _ = acc.ready(timer.now, never_muted)
    assert ready == [queue[0]]  # closed by batch.size: no waiting for linger.ms
    assert wakes.count >= 1


def test_a_flush_makes_a_lingering_batch_ready() -> None:
    acc, timer, _ = make(linger=10)
    add(acc, ("t", 0))
    assert acc.ready(timer.now, never_muted)[0] == []
    acc.flushing += 1
    assert len(acc.ready(timer.now, never_muted)[0]) == 1


def test_records_without_a_key_stick_to_one_partition_until_its_batch_is_sent() -> None:
    random.seed(7)
    acc, timer, _ = make(linger=10)
    for _ in range(5):
        add(acc, "t")
    assert len(acc.batches) == 1
    (tp,) = acc.batches
    batch = acc.batches[tp][0]
    assert len(batch.entries) == 5
    acc.drained(batch)
    assert "t" not in acc.sticky  # the next null-key record picks a partition again
    seen = set()
    for _ in range(20):
        add(acc, "t")
        seen.add(next(tp for tp, q in acc.batches.items() if q))
        acc.drained(next(q[0] for q in acc.batches.values() if q))
    assert len(seen) > 1


def test_keyed_records_go_to_the_murmur2_partition_unless_keys_are_ignored() -> None:
    acc, _, _ = make()
    add(acc, "t", key=b"user-42")
    assert list(acc.batches) == [("t", partition_for_key(b"user-42", 4))]
    acc2, _, _ = make(ignore_keys=True)
    random.seed(1)
    for i in range(3):
        add(acc2, "t", key=f"user-{i}".encode())
    assert len(acc2.batches) == 1  # sticky, as for null keys


def test_ready_lists_head_batches_in_partition_order_and_skips_muted_partitions() -> None:
    acc, timer, _ = make(batch_size=200, linger=0)
    for p in (2, 0, 1):
        add(acc, ("t", p), b"x" * 120)
        add(acc, ("t", p), b"x" * 120)  # a second batch behind the head
    ready, _ = acc.ready(timer.now, lambda tp: tp == ("t", 0))
    assert [b.tp for b in ready] == [("t", 2), ("t", 1)]
    assert all(b is acc.batches[b.tp][0] for b in ready)
    acc.drained(ready[0])
    assert len(acc.batches[("t", 2)]) == 1 and ready[0].closed


def test_a_batch_waiting_for_its_retry_backoff_is_not_ready() -> None:
    acc, timer, _ = make(linger=0)
    add(acc, ("t", 0))
    acc.batches[("t", 0)][0].retry_at = timer.now + 0.1
    ready, next_at = acc.ready(timer.now, never_muted)
    assert ready == [] and next_at == timer.now + 0.1


def test_reenqueue_puts_resent_batches_in_sequence_order_before_unsent_ones() -> None:
    acc, timer, _ = make(batch_size=100, linger=0)
    for _ in range(4):
        add(acc, ("t", 0), b"x" * 40)
    b0, b1, b2, b3 = list(acc.batches[("t", 0)])
    for i, b in enumerate((b0, b1, b2)):
        b.data, b.sequence = b"built", i
        acc.drained(b)
    acc.reenqueue(b1)
    acc.reenqueue(b0)
    assert list(acc.batches[("t", 0)]) == [b0, b1, b3]
    acc.purge_unsent(KafkaError(ErrorCode.TRANSACTION_ABORTABLE))
    assert list(acc.batches[("t", 0)]) == [b0, b1]  # those that spent a sequence number stay
    acc.discard_built()  # a new producer id: they get new sequences
    assert [b.data for b in acc.batches[("t", 0)]] == [None, None]


def test_buffer_accounting_and_idle() -> None:
    reports: list[Report] = []
    acc, timer, _ = make(buffer_memory=200, linger=0)
    add(acc, ("t", 0), b"x" * 100, reports=reports)
    add(acc, ("t", 0), b"x" * 100, reports=reports)
    assert acc.pending == 2 and acc.buffered_bytes == 340 and not acc.idle.is_set()
    acc.space.clear()  # send() found buffer.memory full
    hooks: list[int] = []
    acc.idle_hook = lambda: hooks.append(acc.pending)
    batch = acc.batches[("t", 0)][0]
    acc.drained(batch)
    batch.complete(base_offset=10, append_time=-1)
    acc.release(batch)
    assert acc.pending == 0 and acc.buffered_bytes == 0 and acc.idle.is_set() and acc.space.is_set() and hooks == [0]
    assert [(md.offset if md else None) for _, md in reports] == [10, 11]


def test_batches_expire_after_delivery_timeout_unless_in_flight() -> None:
    reports: list[Report] = []
    acc, timer, _ = make(delivery_timeout=1.0, linger=0)
    add(acc, ("t", 0), reports=reports)
    add(acc, ("t", 1), reports=reports)
    assert acc.expire(timer.now + 0.5, {}) == timer.now + 1.0
    assert acc.expire(timer.now + 1.0, {("t", 1): 1}) == timer.now + 1.0  # ("t", 1) has a batch in flight
    assert len(reports) == 1 and reports[0][0] is not None and reports[0][0].code() == KafkaError._MSG_TIMED_OUT
    assert "Message timed out" in reports[0][0].str()
    assert not acc.batches[("t", 0)] and len(acc.batches[("t", 1)]) == 1


def test_a_batch_the_sender_takes_is_closed_before_it_is_built() -> None:
    """The sync facade appends from the application's thread: a record arriving between ready() and the
    sender's build must go to a new batch, never into one whose bytes are already built."""
    acc, timer, _ = make(linger=0.005)
    add(acc, ("t", 0))
    timer.now += 0.01
    (taken,), _ = acc.ready(timer.now, never_muted)
    add(acc, ("t", 0))
    assert len(taken.entries) == 1 and taken.closed
    assert [len(b.entries) for b in acc.batches[("t", 0)]] == [1, 1]


def test_posted_notifications_run_on_the_loop_and_a_batch_report_replaces_per_record_completions() -> None:
    acc, timer, wakes = make(linger=0.005, batch_size=300)
    posted: list[Callable[[], None]] = []
    acc.post = posted.append
    batches: list[tuple[int, KafkaError | None, int]] = []
    acc.report = lambda batch, error, base, _ts: batches.append((len(batch.entries), error, base))
    add(acc, ("t", 0), value=b"v" * 100)
    assert wakes.count == 0 and timer.scheduled == []  # nothing touched the loop from this thread
    posted.pop()()
    assert timer.scheduled == [100.005] and wakes.count == 0  # the loop armed the linger timer
    add(acc, ("t", 0), value=b"v" * 100)
    assert wakes.count == 0
    posted.pop()()  # the first batch is full: a second one opened behind it, the sender is woken
    assert wakes.count == 1
    first, second = acc.batches[("t", 0)]
    first.complete(7, -1)
    acc.fail(second, KafkaError(ErrorCode.REQUEST_TIMED_OUT))
    assert [(n, e is None, base) for n, e, base in batches] == [(len(first.entries), True, 7), (len(second.entries), False, -1)]
