"""Finding a group's or a transactional id's coordinator (FindCoordinator) and reading a group's committed
offsets (OffsetFetch): what group members, the transactional producer and the admin client ask of coordinators."""

from __future__ import annotations

import asyncio

from strom.client.cluster import Cluster
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import find_coordinator, offset_fetch
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

_REDISCOVER = {ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}


async def coordinator_for(cluster: Cluster, key: str, backoff: float = 0.1, key_type: int = 0, attempts: int = 50) -> BrokerConnection:
    """FindCoordinator for a group (key_type 0) or transactional id (1), retried while it is loading."""
    for _ in range(attempts):
        conn = await cluster.any_connection()
        version = conn.version_for(find_coordinator.API_KEY)
        if version >= 4:
            req = find_coordinator.FindCoordinatorRequest(key_type=key_type, coordinator_keys=[key])
        else:
            req = find_coordinator.FindCoordinatorRequest(key=key, key_type=key_type)
        resp = await conn.send(req, version)
        if version >= 4:
            c = resp.coordinators[0]
            code, node, host, port = c.error_code, c.node_id, c.host, c.port
        else:
            code, node, host, port = resp.error_code, resp.node_id, resp.host, resp.port
        if code == 0:
            cluster.brokers.setdefault(node, (host, port))
            return await cluster.coordinator_connection(node, host, port)
        if code not in _REDISCOVER:
            raise KafkaError(code, f"cannot find the coordinator of {key}")
        await asyncio.sleep(backoff)
    raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"no coordinator for {key}")


async def fetch_committed(
    conn: BrokerConnection, group_id: str, tps: list[TP] | None, stable_wait: float = 30.0
) -> dict[TP, tuple[int, str | None, int]]:
    """OffsetFetch for one group (all its partitions when `tps` is None), across request versions.
    UNSTABLE_OFFSET_COMMIT (a transaction's offsets still awaiting their marker, KIP-447) is retried, as
    Java's consumer does, for up to `stable_wait` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stable_wait
    while True:
        try:
            return await _fetch_committed_once(conn, group_id, tps)
        except KafkaError as exc:
            if exc.code() != ErrorCode.UNSTABLE_OFFSET_COMMIT or loop.time() >= deadline:
                raise
        await asyncio.sleep(0.05)


async def _fetch_committed_once(conn: BrokerConnection, group_id: str, tps: list[TP] | None) -> dict[TP, tuple[int, str | None, int]]:
    version = conn.version_for(offset_fetch.API_KEY)
    by_topic: dict[str, list[int]] = {}
    for topic, partition in tps or []:
        by_topic.setdefault(topic, []).append(partition)
    if version >= 8:
        topics8 = (
            None if tps is None else [offset_fetch.OffsetFetchRequestTopics(name=t, partition_indexes=ps) for t, ps in by_topic.items()]
        )
        req = offset_fetch.OffsetFetchRequest(
            groups=[offset_fetch.OffsetFetchRequestGroup(group_id=group_id, topics=topics8)], require_stable=True
        )
    else:
        topics = None if tps is None else [offset_fetch.OffsetFetchRequestTopic(name=t, partition_indexes=ps) for t, ps in by_topic.items()]
        req = offset_fetch.OffsetFetchRequest(group_id=group_id, topics=topics, require_stable=True)
    resp = await conn.send(req, version)
    out: dict[TP, tuple[int, str | None, int]] = {}
    if version >= 8:
        group = resp.groups[0]
        if group.error_code:
            raise KafkaError(group.error_code, f"OffsetFetch of {group_id} failed")
        topic_list = group.topics
    else:
        if getattr(resp, "error_code", 0):
            raise KafkaError(resp.error_code, f"OffsetFetch of {group_id} failed")
        topic_list = resp.topics
    for t in topic_list:
        for p in t.partitions:
            if p.error_code:
                raise KafkaError(p.error_code, f"OffsetFetch of {group_id} for {t.name}-{p.partition_index} failed")
            out[(t.name, p.partition_index)] = (p.committed_offset, p.metadata, p.committed_leader_epoch)
    return out
