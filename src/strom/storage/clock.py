"""Time as an injected dependency, so roll and retention are testable without sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    def monotonic_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000


class ManualClock:
    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def monotonic_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        self._now += ms


class SteadyClock:
    """Wall-clock milliseconds that advance with the monotonic clock: `clock`'s wall time is read once, at
    construction, and from then on moved only by `clock.monotonic_ms()`.

    For deadlines kept in wall-clock milliseconds (group sessions and rebalances, transaction timeouts): a
    wall clock stepped by NTP or by a resumed VM must neither expire every session at once (a jump forward)
    nor keep a dead member for as long as the jump (a jump back). Kafka drives session expiry from a
    monotonic timer for the same reason. Timestamps written with this clock (commit and marker times) are
    off the wall clock by the jumps since the broker started, which only offset retention reads."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._anchor = clock.now_ms() - clock.monotonic_ms()

    def now_ms(self) -> int:
        return self._anchor + self._clock.monotonic_ms()

    def monotonic_ms(self) -> int:
        return self._clock.monotonic_ms()
