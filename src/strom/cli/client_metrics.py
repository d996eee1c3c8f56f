"""--print-metrics of the perf tools: the client's metrics at the end of a run, printed as Kafka's tools print
theirs (ToolsUtils.printMetrics: `group:name:{tags}` sorted, padded, ` : ` and the value).

The numbers come from the client's own statistics (strom.client.stats, what stats_cb reports: requests and
bytes per broker connection) plus what the tool counted (records, bytes, errors). They carry the Java
client's metric names where Strom has the same fact; the rates are averages over the run (Java's are over
its last 30 s sample window, which for a run of under a minute is nearly the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.client.cluster import Cluster
from strom.client.stats import Statistics

Metrics = dict[str, float | int | str]


def _name(group: str, name: str, tags: Mapping[str, str]) -> str:
    return f"{group}:{name}:{{{', '.join(f'{k}={v}' for k, v in tags.items())}}}"


def _connections(kind: str, cluster: Cluster, client_id: str, elapsed_s: float, out: Metrics) -> None:
    """Requests, responses and bytes per connection (<kind>-node-metrics) and for the client (<kind>-metrics)."""
    doc = Statistics(kind, client_id, 1, lambda _: None).document(cluster, replyq=0)
    brokers: dict[str, Any] = doc["brokers"]
    client = {"client-id": client_id}
    totals = {"request": 0, "response": 0, "outgoing-byte": 0, "incoming-byte": 0}
    for broker in brokers.values():
        node = {"client-id": client_id, "node-id": f"node-{broker['nodeid']}"}
        values = {"request": broker["tx"], "response": broker["rx"], "outgoing-byte": broker["txbytes"], "incoming-byte": broker["rxbytes"]}
        for metric, value in values.items():
            out[_name(f"{kind}-node-metrics", f"{metric}-total", node)] = float(value)
            totals[metric] += value
    for metric, value in totals.items():
        out[_name(f"{kind}-metrics", f"{metric}-total", client)] = float(value)
        out[_name(f"{kind}-metrics", f"{metric}-rate", client)] = value / elapsed_s if elapsed_s > 0 else 0.0
    out[_name(f"{kind}-metrics", "connection-count", client)] = float(sum(1 for b in brokers.values() if b["state"] == "UP"))


def producer_metrics(
    cluster: Cluster, client_id: str, topic: str, records: int, record_bytes: int, errors: int, elapsed_s: float
) -> Metrics:
    out: Metrics = {}
    _connections("producer", cluster, client_id, elapsed_s, out)
    client = {"client-id": client_id}
    by_topic = {"client-id": client_id, "topic": topic}
    rate = 1 / elapsed_s if elapsed_s > 0 else 0.0
    out[_name("producer-metrics", "record-send-total", client)] = float(records)
    out[_name("producer-metrics", "record-send-rate", client)] = records * rate
    out[_name("producer-metrics", "record-error-total", client)] = float(errors)
    out[_name("producer-metrics", "record-error-rate", client)] = errors * rate
    out[_name("producer-topic-metrics", "record-send-total", by_topic)] = float(records)
    out[_name("producer-topic-metrics", "byte-total", by_topic)] = float(record_bytes)
    out[_name("producer-topic-metrics", "byte-rate", by_topic)] = record_bytes * rate
    out[_name("producer-topic-metrics", "record-error-total", by_topic)] = float(errors)
    return out


def consumer_metrics(client_id: str, topic: str, records: int, record_bytes: int, elapsed_s: float) -> Metrics:
    """Kafka's ConsumerPerformance prints its metrics after closing the consumer, when the connection metrics
    (consumer-metrics, consumer-node-metrics) are gone: the fetch manager's are what it shows, and so here."""
    out: Metrics = {}
    rate = 1 / elapsed_s if elapsed_s > 0 else 0.0
    for tags in ({"client-id": client_id}, {"client-id": client_id, "topic": topic}):
        out[_name("consumer-fetch-manager-metrics", "records-consumed-total", tags)] = float(records)
        out[_name("consumer-fetch-manager-metrics", "records-consumed-rate", tags)] = records * rate
        out[_name("consumer-fetch-manager-metrics", "bytes-consumed-total", tags)] = float(record_bytes)
        out[_name("consumer-fetch-manager-metrics", "bytes-consumed-rate", tags)] = record_bytes * rate
    return out


def format_metrics(metrics: Metrics) -> str:
    """Kafka's layout: a header, then one line per metric sorted by name; floats with three decimals."""
    if not metrics:
        return ""
    width = max(len(name) for name in metrics)
    lines = ["", f"{'Metric Name':<{width}}   Value"]
    for name in sorted(metrics):
        value = metrics[name]
        lines.append(f"{name:<{width}} : {value:.3f}" if isinstance(value, float) else f"{name:<{width}} : {value}")
    return "\n".join(lines)
