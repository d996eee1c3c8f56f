"""Per-broker reconnect backoff, as librdkafka's: a dead broker is not dialled every retry.backoff.ms forever.

Each connection attempt to an address schedules the earliest next one: the current backoff with -25%..+50%
jitter, capped at reconnect.backoff.max.ms; the backoff then doubles up to that maximum. A successful
connection forgets the address, so the next outage starts again at reconnect.backoff.ms.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Address = tuple[str, int]


@dataclass
class _State:
    backoff: float  # seconds, before jitter
    next_attempt: float  # monotonic time the next attempt may start


class ReconnectBackoff:
    def __init__(self, initial_ms: int, max_ms: int, uniform: Callable[[float, float], float] = random.uniform) -> None:
        self.initial = initial_ms / 1000
        self.max = max(initial_ms, max_ms) / 1000
        self._uniform = uniform
        self._states: dict[Address, _State] = {}

    def delay(self, address: Address, now: float) -> float:
        """Seconds to wait before an attempt to `address` may start (0 when it may start now)."""
        state = self._states.get(address)
        return 0.0 if state is None else max(0.0, state.next_attempt - now)

    def attempted(self, address: Address, now: float) -> None:
        """An attempt starts now: the next one waits the jittered backoff, which then doubles."""
        state = self._states.setdefault(address, _State(self.initial, now))
        wait = min(self._uniform(state.backoff * 0.75, state.backoff * 1.5), self.max)
        state.next_attempt = now + wait
        state.backoff = min(state.backoff * 2, self.max)

    def connected(self, address: Address) -> None:
        """The broker answered: its next outage backs off from reconnect.backoff.ms again."""
        self._states.pop(address, None)

    @classmethod
    def from_config(cls, conf: Mapping[str, Any]) -> ReconnectBackoff:
        """From a resolved client config's reconnect.backoff.ms and reconnect.backoff.max.ms."""
        return cls(conf["reconnect.backoff.ms"], conf["reconnect.backoff.max.ms"])
