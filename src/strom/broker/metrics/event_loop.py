"""Event-loop lag: how late a timer fires. Everything on a broker runs on one event loop, so this is the
first number to look at when request queue times grow (Kafka's nearest is its request handler idle ratio)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

INTERVAL_S = 0.5
WINDOW = 120  # samples behind the max gauge: the last minute


class EventLoopLag:
    def __init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=WINDOW)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + INTERVAL_S
            await asyncio.sleep(INTERVAL_S)
            self.samples.append(max(time.perf_counter() - due, 0.0))

    def collect(self) -> Iterator[Metric]:
        last = self.samples[-1] if self.samples else 0.0
        yield GaugeMetricFamily("strom_eventloop_lag_seconds", "How late the last event-loop timer fired", value=last)
        yield GaugeMetricFamily(
            "strom_eventloop_lag_max_seconds", "The largest event-loop lag of the last minute", value=max(self.samples, default=0.0)
        )
