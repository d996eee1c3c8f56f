"""Topics: the list (partitions, replication, size, messages), one topic's partitions and configs, and the
changes an operator makes (create, delete, add partitions, set or reset a config), all through the admin client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strom.client.admin import AsyncAdmin
from strom.client.admin_types import AlterConfigOpType, ConfigSource, NewTopic, ResourceType
from strom.console.overview import partition_sizes
from strom.protocol.errors import ErrorCode, KafkaError, error_name
from strom.protocol.types import TP

EARLIEST, LATEST = -2, -1


@dataclass(frozen=True, slots=True)
class TopicRow:
    name: str
    internal: bool
    partitions: int
    replication: int
    size: int  # bytes on the leaders' disks
    messages: int  # sum over partitions of log end offset minus log start offset
    end_offset_sum: int  # what the rate sampler differentiates
    under_replicated: int


@dataclass(frozen=True, slots=True)
class PartitionRow:
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline: tuple[int, ...]
    start_offset: int
    end_offset: int
    size: int
    error: str


@dataclass(frozen=True, slots=True)
class ConfigRow:
    name: str
    value: str | None
    source: str
    read_only: bool
    sensitive: bool

    @property
    def is_default(self) -> bool:
        return self.source == ConfigSource.DEFAULT_CONFIG.name


@dataclass(frozen=True, slots=True)
class TopicDetail:
    name: str
    topic_id: str
    internal: bool
    partitions: tuple[PartitionRow, ...]
    configs: tuple[ConfigRow, ...]


async def offsets(admin: AsyncAdmin, tps: list[TP]) -> tuple[dict[TP, int], dict[TP, int]]:
    """(log start offsets, log end offsets); a partition whose leader fails to answer gets -1."""
    if not tps:
        return {}, {}
    start = await admin.list_offsets(tps, EARLIEST)
    end = await admin.list_offsets(tps, LATEST)
    return ({tp: o if e == 0 else -1 for tp, (e, o, _) in start.items()}, {tp: o if e == 0 else -1 for tp, (e, o, _) in end.items()})


async def list_topics(admin: AsyncAdmin) -> list[TopicRow]:
    meta = await admin.list_topics()
    tps = [(t.name, p.partition_index) for t in meta.topics if not t.error_code for p in t.partitions if p.leader_id >= 0]
    starts, ends = await offsets(admin, tps)
    sizes = await partition_sizes(admin, [b.node_id for b in meta.brokers])
    rows = []
    for t in sorted(meta.topics, key=lambda t: t.name or ""):
        if t.error_code:
            continue
        name = t.name or ""
        parts = t.partitions
        size = sum(sizes.get((name, p.partition_index, p.leader_id), 0) for p in parts)
        messages = sum(max(ends.get((name, p.partition_index), 0) - starts.get((name, p.partition_index), 0), 0) for p in parts)
        end_sum = sum(max(ends.get((name, p.partition_index), 0), 0) for p in parts)
        rf = max((len(p.replica_nodes) for p in parts), default=0)
        under = sum(1 for p in parts if len(p.isr_nodes) < len(p.replica_nodes))
        rows.append(TopicRow(name, t.is_internal, len(parts), rf, size, messages, end_sum, under))
    return rows


async def describe_topic(admin: AsyncAdmin, name: str) -> TopicDetail:
    meta = await admin.list_topics([name])
    t = meta.topics[0]
    if t.error_code:
        raise KafkaError(t.error_code, f"topic {name}: {error_name(t.error_code)}")
    tps = [(name, p.partition_index) for p in t.partitions if p.leader_id >= 0]
    starts, ends = await offsets(admin, tps)
    sizes = await partition_sizes(admin, sorted({p.leader_id for p in t.partitions if p.leader_id >= 0}))
    rows = tuple(
        PartitionRow(
            p.partition_index,
            p.leader_id,
            tuple(p.replica_nodes),
            tuple(p.isr_nodes),
            tuple(p.offline_replicas or ()),
            starts.get((name, p.partition_index), -1),
            ends.get((name, p.partition_index), -1),
            sizes.get((name, p.partition_index, p.leader_id), 0),
            error_name(p.error_code) if p.error_code else "",
        )
        for p in sorted(t.partitions, key=lambda p: p.partition_index)
    )
    result = await admin.describe_resource_configs(int(ResourceType.TOPIC), name)
    configs = tuple(sorted((_config_row(c) for c in result.configs), key=lambda c: c.name))
    return TopicDetail(name, str(t.topic_id), t.is_internal, rows, configs)


def _config_row(c: Any) -> ConfigRow:
    try:
        source = ConfigSource(c.config_source).name
    except ValueError:
        source = str(c.config_source)
    return ConfigRow(c.name, c.value, source, c.read_only, c.is_sensitive)


def _raise(result: dict[str, KafkaError | None], name: str) -> None:
    err = result.get(name)
    if err is not None:
        raise err


async def create_topic(admin: AsyncAdmin, name: str, partitions: int, replication: int, configs: dict[str, str]) -> None:
    _raise(await admin.create_topics([NewTopic(name, partitions, replication, config=configs)]), name)


async def delete_topic(admin: AsyncAdmin, name: str) -> None:
    _raise(await admin.delete_topics([name]), name)


async def add_partitions(admin: AsyncAdmin, name: str, total: int) -> None:
    _raise(await admin.create_partitions({name: total}), name)


async def set_config(admin: AsyncAdmin, topic: str, key: str, value: str | None) -> None:
    """Sets a topic config, or (value None) removes the override so the broker's default applies again."""
    if not key:
        raise KafkaError(ErrorCode.INVALID_CONFIG, "a config name is needed")
    op = AlterConfigOpType.DELETE if value is None else AlterConfigOpType.SET
    await admin.incremental_alter_configs(int(ResourceType.TOPIC), topic, [(key, int(op), value)])
