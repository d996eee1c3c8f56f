"""Punctuation schedules and their queue, with Kafka Streams' semantics (PunctuationSchedule / PunctuationQueue).

A stream-time schedule starts at 0, so it fires as soon as a task has seen its first record; a wall-clock one
starts one interval after it was made. Each firing passes the current time (stream time or the clock), and the
next one is the first multiple of the interval past it: times skipped while no data came (or the thread was busy)
are not caught up one by one. Schedules due at the same time fire in Java's PriorityQueue order, so output order
matches Java's too. The runtime and the TopologyTestDriver both run their punctuators through this queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strom.streams.processor.api import Cancellable, PunctuationType, Punctuator

MIN_INTERVAL_MS = 1


class PunctuationSchedule(Cancellable):
    """One punctuator of one node: when it fires next; ``cancel()`` stops it for good."""

    __slots__ = ("node", "timestamp", "interval_ms", "punctuator", "cancelled")

    def __init__(self, node: Any, timestamp: int, interval_ms: int, punctuator: Punctuator) -> None:
        self.node = node
        self.timestamp = timestamp
        self.interval_ms = interval_ms
        self.punctuator = punctuator
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def advance(self, current_ms: int) -> None:
        """Moves to the next firing after one at ``current_ms``, skipping the times that were missed."""
        next_ms = self.timestamp + self.interval_ms
        if current_ms >= next_ms:
            missed = (current_ms - self.timestamp) // self.interval_ms
            next_ms = self.timestamp + (missed + 1) * self.interval_ms
        self.timestamp = next_ms


def new_schedule(
    node: Any, punctuation_type: PunctuationType, interval_ms: int, punctuator: Punctuator, wall_clock_ms: int
) -> PunctuationSchedule:
    """A schedule as ``context.schedule`` makes it: stream time aligned to 0, wall-clock time to now + interval."""
    if interval_ms < MIN_INTERVAL_MS:
        raise ValueError("The minimum supported scheduling interval is 1 millisecond.")
    start = 0 if punctuation_type is PunctuationType.STREAM_TIME else wall_clock_ms + interval_ms
    return PunctuationSchedule(node, start, interval_ms, punctuator)


PunctuateFn = Callable[[Any, int, PunctuationType, Punctuator], None]


class PunctuationQueue:
    """The schedules of one kind in a task, earliest first (a binary heap ordered as java.util.PriorityQueue)."""

    def __init__(self) -> None:
        self._heap: list[PunctuationSchedule] = []

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, schedule: PunctuationSchedule) -> Cancellable:
        self._offer(schedule)
        return schedule

    def close(self) -> None:
        self._heap.clear()

    def may_punctuate(self, now_ms: int, punctuation_type: PunctuationType, punctuate: PunctuateFn) -> bool:
        """Fires every schedule due at ``now_ms`` (each once, with ``now_ms``); True if any was due."""
        punctuated = False
        heap = self._heap
        while heap and heap[0].timestamp <= now_ms:
            schedule = self._poll()
            if not schedule.cancelled:
                punctuate(schedule.node, now_ms, punctuation_type, schedule.punctuator)
                if not schedule.cancelled:  # a punctuator may cancel its own schedule
                    schedule.advance(now_ms)
                    self._offer(schedule)
            punctuated = True
        return punctuated

    # java.util.PriorityQueue's siftUp / siftDown, so schedules due at the same time leave in Java's order
    def _offer(self, x: PunctuationSchedule) -> None:
        heap = self._heap
        heap.append(x)
        k = len(heap) - 1
        while k > 0:
            parent = (k - 1) >> 1
            e = heap[parent]
            if x.timestamp >= e.timestamp:
                break
            heap[k] = e
            k = parent
        heap[k] = x

    def _poll(self) -> PunctuationSchedule:
        heap = self._heap
        result = heap[0]
        x = heap.pop()
        size = len(heap)
        if size:
            k = 0
            half = size >> 1
            while k < half:
                child = 2 * k + 1
                c = heap[child]
                right = child + 1
                if right < size and c.timestamp > heap[right].timestamp:
                    child = right
                    c = heap[child]
                if x.timestamp <= c.timestamp:
                    break
                heap[k] = c
                k = child
            heap[k] = x
        return result
