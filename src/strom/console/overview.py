"""The overview page's facts: brokers, the controller, broker versions, log dir usage, partition health.

One Metadata request gives brokers, controller and partition health; each broker answers DescribeConfigs for its
own configs (its inter.broker.protocol.version) and DescribeLogDirs for its directories, asked concurrently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from strom.client.admin import AsyncAdmin
from strom.client.admin_types import ResourceType
from strom.protocol.errors import KafkaError, error_name


@dataclass(frozen=True, slots=True)
class LogDirUsage:
    path: str
    used_bytes: int
    total_bytes: int  # -1 when the broker answers DescribeLogDirs below v4
    usable_bytes: int
    error: str


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None
    is_controller: bool
    version: str  # inter.broker.protocol.version where the broker has it (Apache Kafka), else "-"
    protocol: str  # the newest Produce and Fetch versions it answers: what its clients can use
    log_dirs: tuple[LogDirUsage, ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class Overview:
    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerInfo, ...]
    topic_count: int
    partition_count: int
    under_replicated: int
    offline: int


async def overview(admin: AsyncAdmin) -> Overview:
    meta = await admin.list_topics()
    partitions = [p for t in meta.topics for p in t.partitions]
    under = sum(1 for p in partitions if len(p.isr_nodes) < len(p.replica_nodes))
    offline = sum(1 for p in partitions if p.leader_id < 0)
    brokers = await asyncio.gather(*(_broker(admin, b, meta.controller_id) for b in sorted(meta.brokers, key=lambda b: b.node_id)))
    return Overview(meta.cluster_id, meta.controller_id, tuple(brokers), len(meta.topics), len(partitions), under, offline)


async def _broker(admin: AsyncAdmin, b: Any, controller_id: int) -> BrokerInfo:
    try:
        conn = await admin.cluster.connection(b.node_id)
        configs = await admin.describe_resource_configs(int(ResourceType.BROKER), str(b.node_id), b.node_id)
        version = next((c.value for c in configs.configs if c.name == "inter.broker.protocol.version"), None) or "-"
        dirs = tuple(log_dir_usage(r) for r in await admin.describe_log_dirs(b.node_id))
        protocol = " · ".join(f"{name} v{conn.versions[key][1]}" for name, key in (("Produce", 0), ("Fetch", 1)) if key in conn.versions)
        return BrokerInfo(b.node_id, b.host, b.port, b.rack, b.node_id == controller_id, version, protocol, dirs)
    except (KafkaError, OSError) as exc:
        return BrokerInfo(b.node_id, b.host, b.port, b.rack, b.node_id == controller_id, "-", "-", (), str(exc))


def log_dir_usage(result: Any) -> LogDirUsage:
    used = sum(p.partition_size for t in result.topics for p in t.partitions)
    error = error_name(result.error_code) if result.error_code else ""
    return LogDirUsage(result.log_dir, used, result.total_bytes, result.usable_bytes, error)


async def partition_sizes(admin: AsyncAdmin, node_ids: list[int]) -> dict[tuple[str, int, int], int]:
    """Bytes per (topic, partition, broker) from every broker's DescribeLogDirs (a broker that fails is left out)."""
    results = await asyncio.gather(*(admin.describe_log_dirs(n) for n in node_ids), return_exceptions=True)
    out: dict[tuple[str, int, int], int] = {}
    for node, res in zip(node_ids, results, strict=True):
        if isinstance(res, BaseException):
            continue
        for d in res:
            for t in d.topics:
                for p in t.partitions:
                    if not p.is_future_key:
                        out[(t.name, p.partition_index, node)] = out.get((t.name, p.partition_index, node), 0) + p.partition_size
    return out
