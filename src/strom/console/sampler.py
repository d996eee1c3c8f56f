"""What the charts draw: rates and lags sampled over time, kept in memory for the last few minutes.

With the brokers' /metrics URLs the throughput is the derivative of their Prometheus counters (messages and
bytes in, bytes out: what a Grafana dashboard on the JMX exporter shows). Without them it is the derivative of
the topics' log end offsets, which every Kafka broker answers. Consumer lag is sampled for the groups someone
looked at in the last ten minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from collections import deque
from collections.abc import Sequence

from strom.client.admin import AsyncAdmin
from strom.console import prometheus_text
from strom.console.groups import lags
from strom.protocol.errors import KafkaError
from strom.protocol.types import TP

log = logging.getLogger("strom.console.Sampler")

METRICS = {
    "messages in/s": "kafka_server_brokertopicmetrics_messagesin_total",
    "bytes in/s": "kafka_server_brokertopicmetrics_bytesin_total",
    "bytes out/s": "kafka_server_brokertopicmetrics_bytesout_total",
}
WATCH_SECONDS = 600.0
Series = deque[tuple[float, float]]


class Sampler:
    def __init__(self, admin: AsyncAdmin, metrics_urls: Sequence[str] = (), interval: float = 5.0, keep: int = 120) -> None:
        self.admin = admin
        self.metrics_urls = list(metrics_urls)
        self.interval = interval
        self.keep = keep
        self.throughput: dict[str, Series] = {}
        self.topic_rates: dict[str, float] = {}
        self.group_lag: dict[str, dict[str, Series]] = {}  # group -> "total" and "<topic>-<partition>" -> lag
        self._watched: dict[str, float] = {}
        self._last_counters: tuple[float, dict[str, float]] | None = None
        self._last_ends: tuple[float, dict[str, int]] | None = None

    @property
    def source(self) -> str:
        return "brokers' /metrics" if self.metrics_urls else "log end offsets"

    def watch(self, group_id: str) -> None:
        self._watched[group_id] = time.monotonic()

    def record_lag(self, group_id: str, per_partition: dict[TP, int]) -> None:
        now = time.time()
        series = self.group_lag.setdefault(group_id, {})
        self._append(series.setdefault("total", deque(maxlen=self.keep)), now, float(sum(per_partition.values())))
        for (topic, partition), lag in per_partition.items():
            self._append(series.setdefault(f"{topic}-{partition}", deque(maxlen=self.keep)), now, float(lag))

    def lag_chart_series(self, group_id: str, most: int = 5) -> dict[str, list[tuple[float, float]]]:
        """The total and the `most` partitions lagging most now: a chart stays readable with many partitions."""
        series = self.group_lag.get(group_id, {})
        partitions = sorted((k for k in series if k != "total"), key=lambda k: (-series[k][-1][1], k))[:most]
        return {k: list(series[k]) for k in ["total", *partitions] if k in series}

    async def run(self) -> None:
        while True:
            try:
                await self.sample_once()
            except (KafkaError, OSError) as exc:
                log.warning("sampling failed: %s", exc)
            except Exception:  # the charts stop, the console must not: keep sampling
                log.exception("sampling failed")
            await asyncio.sleep(self.interval)

    async def sample_once(self) -> None:
        now = time.time()
        await self._sample_topics(now)
        if self.metrics_urls:
            await self._sample_metrics(now)
        cutoff = time.monotonic() - WATCH_SECONDS
        for gid, seen in list(self._watched.items()):
            if seen < cutoff:
                del self._watched[gid]
                continue
            got = await lags(self.admin, gid)
            self.record_lag(gid, {tp: max(e - c, 0) for tp, (c, e) in got.items() if e >= 0})

    async def _sample_topics(self, now: float) -> None:
        meta = await self.admin.list_topics()
        tps = [(t.name, p.partition_index) for t in meta.topics if not t.error_code for p in t.partitions if p.leader_id >= 0]
        ends: dict[str, int] = {}
        if tps:
            for (topic, _), (err, off, _) in (await self.admin.list_offsets(tps, -1)).items():
                if not err:
                    ends[topic] = ends.get(topic, 0) + off
        internal = {t.name for t in meta.topics if t.is_internal}
        if self._last_ends is not None:
            then, before = self._last_ends
            dt = max(now - then, 1e-6)
            self.topic_rates = {t: max(v - before.get(t, v), 0) / dt for t, v in ends.items()}
            if not self.metrics_urls:
                total = sum(r for t, r in self.topic_rates.items() if t not in internal)
                self._append(self.throughput.setdefault("messages in/s", deque(maxlen=self.keep)), now, total)
        self._last_ends = (now, ends)

    async def _sample_metrics(self, now: float) -> None:
        texts = await asyncio.gather(*(asyncio.to_thread(_scrape, url) for url in self.metrics_urls), return_exceptions=True)
        counters: dict[str, float] = {}
        for url, text in zip(self.metrics_urls, texts, strict=True):
            if isinstance(text, BaseException):
                log.warning("scraping %s failed: %s", url, text)
                continue
            samples = prometheus_text.parse(text)
            for label, name in METRICS.items():
                value = prometheus_text.total(samples, name)
                if value is not None:
                    counters[label] = counters.get(label, 0.0) + value
        if self._last_counters is not None:
            then, before = self._last_counters
            dt = max(now - then, 1e-6)
            for label, value in counters.items():
                if label in before:
                    self._append(self.throughput.setdefault(label, deque(maxlen=self.keep)), now, max(value - before[label], 0) / dt)
        self._last_counters = (now, counters)

    @staticmethod
    def _append(series: Series, t: float, v: float) -> None:
        series.append((t, v))


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (an operator-given http URL)
        body: bytes = resp.read()
    return body.decode("utf-8", errors="replace")
