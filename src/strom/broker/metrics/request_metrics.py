"""Per-API request counts and times (Kafka's kafka.network RequestMetrics), recorded by the connections.

On the request path a request costs a few clock reads, one small object and a slot in a ring: no metrics
library, no locks (everything runs on the event loop). Percentiles are computed when /metrics is scraped,
from the last RESERVOIR requests of each API, which is what Kafka's histograms (Yammer's exponentially
decaying reservoir of 1028 samples) report too: recent behaviour, not the whole uptime.

The five times of Kafka's request life cycle, in milliseconds:
- RequestQueueTimeMs: from the whole request read to its handler starting (time waiting for the event loop);
- LocalTimeMs: the handler's own work;
- RemoteTimeMs: waiting in purgatory (acks=all for followers, a long-poll fetch for bytes);
- ResponseQueueTimeMs: the answer waiting for the answers before it on the connection (they go in order);
- ResponseSendTimeMs: writing it to the socket (longer when the client reads slowly);
- TotalTimeMs: all of the above.
"""

from __future__ import annotations

import time

from strom.cluster.purgatory import RemoteTime
from strom.protocol.messages import api_name
from strom.protocol.schema.fetch import API_KEY as FETCH

RESERVOIR = 1024  # samples kept per API for the percentiles (a power of two: the ring index is a mask)
_MASK = RESERVOIR - 1
MAX_VERSION = 64
PERCENTILES = (0.50, 0.75, 0.95, 0.98, 0.99, 0.999)  # the ones Kafka's histograms publish
TIMES = ("RequestQueueTimeMs", "LocalTimeMs", "RemoteTimeMs", "ResponseQueueTimeMs", "ResponseSendTimeMs", "TotalTimeMs")

now = time.perf_counter


class RequestTiming(RemoteTime):
    """One request's clock readings (seconds), set by the connection as the request goes: received, started
    (its handler runs), done (the handler returned), queued (its answer's turn came), sent_at."""

    __slots__ = ("metrics", "version", "received", "started", "done", "queued", "sent_at")
    started: float
    done: float
    queued: float
    sent_at: float

    def __init__(self, metrics: RequestMetrics, version: int, received: float) -> None:
        self.remote_s = 0.0
        self.metrics = metrics
        self.version = version
        self.received = received

    def sent(self, at: float) -> None:
        """The response is on the socket (or, for a request without one, the handler finished)."""
        self.sent_at = at
        m = self.metrics
        m.samples[m.count & _MASK] = self
        m.count += 1
        m.by_version[self.version] += 1

    def times_ms(self) -> tuple[float, float, float, float, float, float]:
        sent = self.sent_at
        remote = self.remote_s
        return (
            (self.started - self.received) * 1000,
            max(self.done - self.started - remote, 0.0) * 1000,
            remote * 1000,
            (self.queued - self.done) * 1000,
            (sent - self.queued) * 1000,
            (sent - self.received) * 1000,
        )


class RequestMetrics:
    """One request name's counts (RequestsPerSec by version) and its last RESERVOIR timings."""

    __slots__ = ("name", "count", "by_version", "samples")

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.by_version = [0] * MAX_VERSION
        self.samples: list[RequestTiming | None] = [None] * RESERVOIR

    def percentiles(self) -> list[tuple[str, list[tuple[float, float]]]]:
        """For each of TIMES: (percentile, milliseconds) over the kept samples (none before a request)."""
        kept = [s for s in self.samples if s is not None]
        if not kept:
            return [(name, []) for name in TIMES]
        columns = list(zip(*(timing.times_ms() for timing in kept), strict=True))
        out = []
        for name, column in zip(TIMES, columns, strict=True):
            ordered = sorted(column)
            out.append((name, [(p, _quantile(ordered, p)) for p in PERCENTILES]))
        return out


def _quantile(ordered: list[float], p: float) -> float:
    """Yammer's Snapshot.getValue: the interpolated value at quantile p of sorted samples."""
    pos = p * (len(ordered) + 1)
    if pos < 1:
        return ordered[0]
    if pos >= len(ordered):
        return ordered[-1]
    lower = ordered[int(pos) - 1]
    upper = ordered[int(pos)]
    return lower + (pos - int(pos)) * (upper - lower)


class RequestChannelMetrics:
    """Every API's RequestMetrics; a Fetch counts as FetchConsumer or FetchFollower, as in Kafka."""

    __slots__ = ("by_key", "fetch_consumer", "fetch_follower")

    def __init__(self) -> None:
        self.by_key: dict[int, RequestMetrics] = {}
        self.fetch_consumer = RequestMetrics("FetchConsumer")
        self.fetch_follower = RequestMetrics("FetchFollower")

    def of(self, api_key: int, from_follower: bool) -> RequestMetrics:
        if api_key == FETCH:
            return self.fetch_follower if from_follower else self.fetch_consumer
        metrics = self.by_key.get(api_key)
        if metrics is None:
            metrics = self.by_key[api_key] = RequestMetrics(api_name(api_key))
        return metrics

    def all(self) -> list[RequestMetrics]:
        return [self.fetch_consumer, self.fetch_follower, *self.by_key.values()]
