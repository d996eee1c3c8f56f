"""librdkafka's statistics (statistics.interval.ms + stats_cb) for Strom's confluent-style clients.

Every statistics.interval.ms the application's poll() hands stats_cb one JSON string shaped as
librdkafka's STATISTICS.md document: the top-level counters, `brokers` (one per connection, keyed
"host:port/nodeid"), `topics` with their `partitions`, and for a consumer in a group `cgrp`. Only the fields
Strom knows are filled; the rest of librdkafka's fields are left out rather than invented.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client.cluster import Cluster

_ids = itertools.count(1)


@dataclass(slots=True)
class PartitionStats:
    """What a client knows of one partition at the time of a snapshot (-1: not known)."""

    topic: str
    partition: int
    msgq_cnt: int = 0
    msgq_bytes: int = 0
    txmsgs: int = 0
    txbytes: int = 0
    rxmsgs: int = 0
    rxbytes: int = 0
    next_offset: int = -1
    app_offset: int = -1
    committed_offset: int = -1
    hi_offset: int = -1
    fetch_state: str = "none"


def statistics_for(kind: str, config: Mapping[str, Any]) -> Statistics | None:
    """The statistics a client emits, or None unless statistics.interval.ms and stats_cb are both set."""
    if not config["statistics.interval.ms"] or config["stats_cb"] is None:
        return None
    return Statistics(kind, config["client.id"], config["statistics.interval.ms"], config["stats_cb"])


class Statistics:
    """Emits the statistics document at the configured interval (the granularity is the poll() calls)."""

    def __init__(self, kind: str, client_id: str, interval_ms: int, callback: Callable[[str], Any]) -> None:
        self.kind = kind
        self.client_id = client_id
        self.name = f"{client_id}#{kind}-{next(_ids)}"  # librdkafka's "rdkafka#producer-1"
        self.interval = interval_ms / 1000
        self.callback = callback
        self.started = time.monotonic()
        self.next_due = self.started + self.interval
        self.txmsgs = self.txmsg_bytes = self.rxmsgs = self.rxmsg_bytes = 0

    def due(self, now: float) -> bool:
        return now >= self.next_due

    def emit(self, document: Mapping[str, Any]) -> None:
        self.next_due = time.monotonic() + self.interval
        self.callback(json.dumps(document))

    def document(
        self,
        cluster: Cluster,
        *,
        replyq: int,
        msg_cnt: int = 0,
        msg_size: int = 0,
        msg_max: int = 0,
        msg_size_max: int = 0,
        partitions: Iterable[PartitionStats] = (),
        cgrp: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = time.monotonic()
        brokers = _brokers(cluster, now)
        doc: dict[str, Any] = {
            "name": self.name,
            "client_id": self.client_id,
            "type": self.kind,
            "ts": int(now * 1_000_000),
            "time": int(time.time()),
            "age": int((now - self.started) * 1_000_000),
            "replyq": replyq,
            "msg_cnt": msg_cnt,
            "msg_size": msg_size,
            "msg_max": msg_max,
            "msg_size_max": msg_size_max,
            "simple_cnt": 0,
            "metadata_cache_cnt": len(cluster.topics),
            "brokers": brokers,
            "topics": _topics(cluster, partitions),
            "tx": sum(b["tx"] for b in brokers.values()),
            "tx_bytes": sum(b["txbytes"] for b in brokers.values()),
            "rx": sum(b["rx"] for b in brokers.values()),
            "rx_bytes": sum(b["rxbytes"] for b in brokers.values()),
            "txmsgs": self.txmsgs,
            "txmsg_bytes": self.txmsg_bytes,
            "rxmsgs": self.rxmsgs,
            "rxmsg_bytes": self.rxmsg_bytes,
        }
        if cgrp is not None:
            doc["cgrp"] = dict(cgrp)
        return doc


def _brokers(cluster: Cluster, now: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_address = {address: node for node, address in cluster.brokers.items()}
    for conn in cluster.connections():
        node = by_address.get((conn.host, conn.port), -1)
        name = f"{conn.host}:{conn.port}/{node if node >= 0 else 'bootstrap'}"
        out[name] = {
            "name": name,
            "nodeid": node,
            "nodename": f"{conn.host}:{conn.port}",
            "source": "learned" if node >= 0 else "configured",
            "state": "DOWN" if conn.closed else "UP",
            "stateage": int((now - conn.connected_at) * 1_000_000) if conn.connected_at else 0,
            "outbuf_cnt": 0,
            "waitresp_cnt": conn.in_flight(),
            "tx": conn.tx,
            "txbytes": conn.tx_bytes,
            "rx": conn.rx,
            "rxbytes": conn.rx_bytes,
        }
    return out


def _topics(cluster: Cluster, partitions: Iterable[PartitionStats]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in partitions:
        info = cluster.topics.get(p.topic)
        leader = getattr(info.partitions.get(p.partition), "leader_id", -1) if info is not None else -1
        topic = out.setdefault(p.topic, {"topic": p.topic, "partitions": {}})
        topic["partitions"][str(p.partition)] = {
            "partition": p.partition,
            "broker": leader,
            "leader": leader,
            "desired": True,
            "unknown": info is None,
            "msgq_cnt": p.msgq_cnt,
            "msgq_bytes": p.msgq_bytes,
            "fetch_state": p.fetch_state,
            "next_offset": p.next_offset,
            "app_offset": p.app_offset,
            "committed_offset": p.committed_offset,
            "hi_offset": p.hi_offset,
            "consumer_lag": p.hi_offset - p.app_offset if p.hi_offset >= 0 and p.app_offset >= 0 else -1,
            "txmsgs": p.txmsgs,
            "txbytes": p.txbytes,
            "rxmsgs": p.rxmsgs,
            "rxbytes": p.rxbytes,
        }
    return out
