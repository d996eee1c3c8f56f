"""Window specifications of the DSL: TimeWindows (tumbling/hopping), SlidingWindows, SessionWindows,
JoinWindows, UnlimitedWindows. Sizes are milliseconds (an int or a `timedelta`), as Java's Duration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

Duration = int | timedelta

# Java's Windows.DEPRECATED_DEFAULT_24_HR_GRACE_PERIOD / the retention left when nothing else says
_DEFAULT_GRACE_MS: Final = 24 * 3600 * 1000
_LONG_MAX: Final = (1 << 63) - 1


def to_ms(value: Duration, what: str) -> int:
    """A Duration as milliseconds; negatives are rejected as Java's ApiUtils.validateMillisecondDuration does."""
    ms = int(value.total_seconds() * 1000) if isinstance(value, timedelta) else int(value)
    if ms < 0:
        raise ValueError(f"{what} must not be negative.")
    return ms


class TimeWindows:
    """Fixed-size windows, tumbling (advance == size) or hopping (advance < size), aligned to the epoch."""

    def __init__(self, size_ms: int, advance_ms: int, grace_ms: int) -> None:
        if size_ms <= 0:
            raise ValueError("Window size (sizeMs) must be larger than zero.")
        if advance_ms <= 0 or advance_ms > size_ms:
            raise ValueError(
                "Window advancement interval should be more than zero and less than window duration which is "
                f"{size_ms} ms, but given advancement interval is: {advance_ms} ms"
            )
        self.size_ms = size_ms
        self.advance_ms = advance_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_size_with_no_grace(size: Duration) -> TimeWindows:
        ms = to_ms(size, "size")
        return TimeWindows(ms, ms, 0)

    @staticmethod
    def of_size_and_grace(size: Duration, after_window_end: Duration) -> TimeWindows:
        ms = to_ms(size, "size")
        return TimeWindows(ms, ms, to_ms(after_window_end, "afterWindowEnd"))

    def advance_by(self, advance: Duration) -> TimeWindows:
        return TimeWindows(self.size_ms, to_ms(advance, "advance"), self.grace_ms)

    def windows_for(self, timestamp: int) -> dict[int, int]:
        """Every window that contains `timestamp`, as start -> end."""
        start = (max(0, timestamp - self.size_ms + self.advance_ms) // self.advance_ms) * self.advance_ms
        out: dict[int, int] = {}
        while start <= timestamp:
            out[start] = start + self.size_ms
            start += self.advance_ms
        return out

    def size(self) -> int:
        return self.size_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindows) and (self.size_ms, self.advance_ms, self.grace_ms) == (
            other.size_ms,
            other.advance_ms,
            other.grace_ms,
        )

    def __hash__(self) -> int:
        return hash((self.size_ms, self.advance_ms, self.grace_ms))

    def __repr__(self) -> str:
        return f"TimeWindows{{ sizeMs={self.size_ms}, advanceMs={self.advance_ms}, graceMs={self.grace_ms}}}"


class UnlimitedWindows:
    """One window from a start time to forever."""

    def __init__(self, start_ms: int = 0) -> None:
        if start_ms < 0:
            raise ValueError("Window start time (startMs) cannot be negative.")
        self.start_ms = start_ms

    @staticmethod
    def of() -> UnlimitedWindows:
        return UnlimitedWindows()

    def start_on(self, start: int) -> UnlimitedWindows:
        return UnlimitedWindows(start)

    def windows_for(self, timestamp: int) -> dict[int, int]:
        return {self.start_ms: _LONG_MAX} if timestamp >= self.start_ms else {}

    def size(self) -> int:
        return _LONG_MAX

    def grace_period_ms(self) -> int:
        return 0


class SlidingWindows:
    """Windows of a fixed time difference that slide with each record (KIP-450): a record at t belongs to
    [t - time_difference, t] and to the window that starts just after it."""

    def __init__(self, time_difference_ms: int, grace_ms: int) -> None:
        self.time_difference_ms = time_difference_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: Duration) -> SlidingWindows:
        return SlidingWindows(to_ms(time_difference, "timeDifference"), 0)

    @staticmethod
    def of_time_difference_and_grace(time_difference: Duration, after_window_end: Duration) -> SlidingWindows:
        return SlidingWindows(to_ms(time_difference, "timeDifference"), to_ms(after_window_end, "afterWindowEnd"))

    def grace_period_ms(self) -> int:
        return self.grace_ms


class SessionWindows:
    """Windows of activity separated by a gap of inactivity, merged as records arrive."""

    def __init__(self, gap_ms: int, grace_ms: int) -> None:
        if gap_ms <= 0:
            raise ValueError("Gap time cannot be zero or negative.")
        self.gap_ms = gap_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_inactivity_gap_with_no_grace(inactivity_gap: Duration) -> SessionWindows:
        return SessionWindows(to_ms(inactivity_gap, "inactivityGap"), 0)

    @staticmethod
    def of_inactivity_gap_and_grace(inactivity_gap: Duration, after_window_end: Duration) -> SessionWindows:
        return SessionWindows(to_ms(inactivity_gap, "inactivityGap"), to_ms(after_window_end, "afterWindowEnd"))

    def inactivity_gap(self) -> int:
        return self.gap_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms


class JoinWindows:
    """How far apart in time two records of a stream-stream join may be: `before_ms` before and `after_ms`
    after the record of this stream, plus the grace for out-of-order records."""

    def __init__(self, before_ms: int, after_ms: int, grace_ms: int, enable_spurious_result_fix: bool = True) -> None:
        if before_ms + after_ms < 0:
            raise ValueError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        self.before_ms = before_ms
        self.after_ms = after_ms
        self.grace_ms = grace_ms
        self.enable_spurious_result_fix = enable_spurious_result_fix

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: Duration) -> JoinWindows:
        ms = to_ms(time_difference, "timeDifference")
        return JoinWindows(ms, ms, 0)

    @staticmethod
    def of_time_difference_and_grace(time_difference: Duration, after_window_end: Duration) -> JoinWindows:
        ms = to_ms(time_difference, "timeDifference")
        return JoinWindows(ms, ms, to_ms(after_window_end, "afterWindowEnd"))

    def before(self, time_difference: Duration) -> JoinWindows:
        ms = int(time_difference.total_seconds() * 1000) if isinstance(time_difference, timedelta) else time_difference
        return JoinWindows(ms, self.after_ms, self.grace_ms, self.enable_spurious_result_fix)

    def after(self, time_difference: Duration) -> JoinWindows:
        ms = int(time_difference.total_seconds() * 1000) if isinstance(time_difference, timedelta) else time_difference
        return JoinWindows(self.before_ms, ms, self.grace_ms, self.enable_spurious_result_fix)

    def size(self) -> int:
        return self.before_ms + self.after_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms
