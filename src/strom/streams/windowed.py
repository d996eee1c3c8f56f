"""Windows and windowed keys: what a windowed aggregation is keyed by, and what its output records carry.

As Java's org.apache.kafka.streams.kstream.Window / Windowed: a window is ``[start_ms, end_ms)`` for time windows
and ``[start_ms, end_ms]`` for session windows (both ends inclusive there, a session of one record has start == end).
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")

LONG_MAX = (1 << 63) - 1


class Window:
    """A time interval; subclasses say how two windows of the same kind overlap."""

    __slots__ = ("start_ms", "end_ms")

    def __init__(self, start_ms: int, end_ms: int) -> None:
        if start_ms < 0:
            raise ValueError("Window startMs time cannot be negative.")
        if end_ms < start_ms:
            raise ValueError("Window endMs time cannot be smaller than window startMs time.")
        self.start_ms = start_ms
        self.end_ms = end_ms

    def start(self) -> int:
        return self.start_ms

    def end(self) -> int:
        return self.end_ms

    def overlap(self, other: Window) -> bool:
        raise NotImplementedError

    def _check_same_type(self, other: Window) -> None:
        if type(other) is not type(self):
            raise ValueError(f"Cannot compare windows of different type. Other window has type {type(other).__name__}.")

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other is None or type(other) is not type(self):
            return False
        assert isinstance(other, Window)
        return self.start_ms == other.start_ms and self.end_ms == other.end_ms

    def __hash__(self) -> int:
        return hash((self.start_ms, self.end_ms))

    def __repr__(self) -> str:
        return f"Window{{startMs={self.start_ms}, endMs={self.end_ms}}}"


class TimeWindow(Window):
    """A tumbling or hopping window, ``[start, end)``: it never has zero length."""

    __slots__ = ()

    def __init__(self, start_ms: int, end_ms: int) -> None:
        super().__init__(start_ms, end_ms)
        if start_ms == end_ms:
            raise ValueError("Window endMs must be greater than window startMs.")

    def overlap(self, other: Window) -> bool:
        self._check_same_type(other)
        return self.start_ms < other.end_ms and other.start_ms < self.end_ms


class SessionWindow(Window):
    """A session, ``[start, end]`` with both ends inclusive (start == end for a single record)."""

    __slots__ = ()

    def overlap(self, other: Window) -> bool:
        self._check_same_type(other)
        return not (other.end_ms < self.start_ms or self.end_ms < other.start_ms)


class UnlimitedWindow(Window):
    """A window from a start to the end of time (unlimited windows, the right side of sliding joins)."""

    __slots__ = ()

    def __init__(self, start_ms: int) -> None:
        super().__init__(start_ms, LONG_MAX)

    def overlap(self, other: Window) -> bool:
        self._check_same_type(other)
        return True


def time_window_for_size(start_ms: int, window_size_ms: int) -> TimeWindow:
    """The time window starting at ``start_ms``; the end is capped at Long.MAX_VALUE as Java's WindowKeySchema does."""
    end_ms = start_ms + window_size_ms
    if end_ms > LONG_MAX:
        end_ms = LONG_MAX
    return TimeWindow(start_ms, end_ms)


class Windowed(Generic[K]):
    """A key together with the window it was aggregated in; ``str()`` is Java's ``[key@start/end]``."""

    __slots__ = ("key", "window")

    def __init__(self, key: K, window: Window) -> None:
        self.key = key
        self.window = window

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Windowed):
            return False
        return bool(self.key == other.key) and self.window == other.window

    def __hash__(self) -> int:
        return hash((self.key, self.window))

    def __str__(self) -> str:
        key = "null" if self.key is None else str(self.key)
        return f"[{key}@{self.window.start_ms}/{self.window.end_ms}]"

    def __repr__(self) -> str:
        return f"Windowed({self.key!r}, {self.window!r})"
