"""The Prometheus endpoint: `metrics.prometheus.listener=http://HOST:PORT` serves GET /metrics in the text
exposition format.

A scrape reads the broker's state on the event loop, where it lives (no locks), into metric families, one
family at a time with the loop free to serve requests between them, and then writes the text in a worker
thread: the formatting is two thirds of a scrape's cost (docs/METRICS.md has the figures).
The HTTP it needs is one GET and one answer per connection, so it is served here in a few lines rather
than by a web framework; the exposition format itself is prometheus-client's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from strom.broker.metrics.collector import BrokerCollector
from strom.broker.metrics.event_loop import EventLoopLag
from strom.broker.metrics.leader_offsets import LeaderOffsets
from strom.broker.metrics.listener import parse_listener

if TYPE_CHECKING:
    from strom.broker.broker import Broker

log = logging.getLogger("kafka.metrics.PrometheusReporter")

MAX_REQUEST_HEAD = 16 * 1024
READ_TIMEOUT_S = 10.0


def build_registry(collector: BrokerCollector) -> CollectorRegistry:
    """The broker's metrics plus the process (CPU seconds, RSS, open fds) and the Python runtime."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class MetricsEndpoint:
    def __init__(self, broker: Broker, listener: str) -> None:
        self.host, self.port = parse_listener(listener)
        self.loop_lag = EventLoopLag()
        self.leader_offsets = LeaderOffsets(broker)
        self.collector = BrokerCollector(broker, self.loop_lag, self.leader_offsets)
        self.registry = build_registry(self.collector)
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host or None, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.loop_lag.start()
        log.info("Prometheus metrics at http://%s:%d/metrics", self.host or "0.0.0.0", self.port)

    def stop(self) -> None:
        self.loop_lag.stop()
        self.leader_offsets.close()
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
            writer.write(await self._answer(head))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, head: bytes) -> bytes:
        parts = head.split(b"\r\n", 1)[0].split()
        if len(parts) != 3:
            return _response(400, b"Bad Request\n")
        method, target = parts[0], parts[1].split(b"?", 1)[0]
        if method not in (b"GET", b"HEAD"):
            return _response(405, b"Method Not Allowed\n", b"Allow: GET, HEAD\r\n")
        if target != b"/metrics":
            return _response(404, b"Not Found: the metrics are at /metrics\n")
        await self.leader_offsets.refresh(self.collector.remote_lag_partitions())
        families = []
        for family in self.registry.collect():  # on the loop, where the broker's state lives
            families.append(family)
            await asyncio.sleep(0)  # requests go on between the families: no one long stall per scrape
        body = await asyncio.get_running_loop().run_in_executor(None, generate_latest, _Collected(families))
        return _response(200, body, content_type=CONTENT_TYPE_LATEST.encode(), head_only=method == b"HEAD")


class _Collected:
    """Families already collected, for generate_latest (which asks a registry to collect)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}


def _response(
    status: int, body: bytes, extra: bytes = b"", content_type: bytes = b"text/plain; charset=utf-8", head_only: bool = False
) -> bytes:
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n" % (
        status,
        _REASONS[status],
        content_type,
        len(body),
        extra,
    )
    return head if head_only else head + body
