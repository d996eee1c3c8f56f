"""Async admin operations over the Kafka protocol (topics, configs, groups, offsets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strom.client.cluster import Cluster
from strom.client.connection import BrokerConnection
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import (
    create_partitions,
    create_topics,
    delete_groups,
    delete_records,
    delete_topics,
    describe_configs,
    describe_groups,
    find_coordinator,
    incremental_alter_configs,
    list_groups,
    list_offsets,
    offset_commit,
    offset_fetch,
)


@dataclass(frozen=True, slots=True)
class NewTopic:
    topic: str
    num_partitions: int = -1
    replication_factor: int = -1
    config: dict[str, str] | None = None
    replica_assignment: dict[int, list[int]] | None = None


class AsyncAdmin:
    def __init__(self, bootstrap_servers: str, client_id: str = "strom-admin", request_timeout_ms: int = 30000) -> None:
        self.cluster = Cluster(bootstrap_servers, client_id, request_timeout_ms)

    async def create_topics(
        self, topics: list[NewTopic], validate_only: bool = False, timeout_ms: int = 30000
    ) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        req = create_topics.CreateTopicsRequest(
            topics=[
                create_topics.CreatableTopic(
                    name=t.topic,
                    num_partitions=t.num_partitions if not t.replica_assignment else -1,
                    replication_factor=t.replication_factor if not t.replica_assignment else -1,
                    assignments=[
                        create_topics.CreatableReplicaAssignment(partition_index=p, broker_ids=b)
                        for p, b in (t.replica_assignment or {}).items()
                    ],
                    configs=[create_topics.CreatableTopicConfig(name=k, value=v) for k, v in (t.config or {}).items()],
                )
                for t in topics
            ],
            timeout_ms=timeout_ms,
            validate_only=validate_only,
        )
        resp = await conn.send(req)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.topics}

    async def delete_topics(self, names: list[str], timeout_ms: int = 30000) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        version = conn.version_for(20)
        if version >= 6:
            req = delete_topics.DeleteTopicsRequest(topics=[delete_topics.DeleteTopicState(name=n) for n in names], timeout_ms=timeout_ms)
        else:
            req = delete_topics.DeleteTopicsRequest(topic_names=names, timeout_ms=timeout_ms)
        resp = await conn.send(req, version)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.responses}

    async def create_partitions(self, counts: dict[str, int], validate_only: bool = False) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        req = create_partitions.CreatePartitionsRequest(
            topics=[create_partitions.CreatePartitionsTopic(name=n, count=c, assignments=None) for n, c in counts.items()],
            timeout_ms=30000,
            validate_only=validate_only,
        )
        resp = await conn.send(req)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.results}

    async def list_topics(self, topics: list[str] | None = None) -> Any:
        return await self.cluster.refresh(topics)

    async def describe_configs(self, resource_type: int, names: list[str]) -> Any:
        conn = await self.cluster.any_connection()
        req = describe_configs.DescribeConfigsRequest(
            resources=[
                describe_configs.DescribeConfigsResource(resource_type=resource_type, resource_name=n, configuration_keys=None)
                for n in names
            ],
            include_synonyms=True,
        )
        return await conn.send(req)

    async def close(self) -> None:
        self.cluster.close()

    # ---- groups, offsets, records and configs: what kafka-consumer-groups, kafka-configs,
    # kafka-get-offsets and kafka-delete-records need. Versions are capped where newer ones change the
    # request's shape (batched groups, topic ids), so one code path serves Kafka 2.8 through 4.x and Strom.

    async def group_coordinator(self, group_id: str) -> BrokerConnection:
        conn = await self.cluster.any_connection()
        version = _capped(conn, find_coordinator.API_KEY, 3)
        resp = await conn.send(find_coordinator.FindCoordinatorRequest(key=group_id, key_type=0), version)
        if resp.error_code:
            raise KafkaError(resp.error_code, resp.error_message or f"no coordinator for group {group_id}")
        await self.cluster.refresh([])
        return await self.cluster.connection(resp.node_id)

    async def list_groups(self) -> list[Any]:
        """Every group on every broker (each broker lists the groups it coordinates)."""
        await self.cluster.refresh([])
        groups: dict[str, Any] = {}
        for node_id in sorted(self.cluster.brokers):
            conn = await self.cluster.connection(node_id)
            version = _capped(conn, list_groups.API_KEY, 4)
            resp = await conn.send(list_groups.ListGroupsRequest(states_filter=[]), version)
            if resp.error_code:
                raise KafkaError(resp.error_code)
            for g in resp.groups:
                groups[g.group_id] = g
        return [groups[k] for k in sorted(groups)]

    async def describe_group(self, group_id: str) -> Any:
        conn = await self.group_coordinator(group_id)
        version = _capped(conn, describe_groups.API_KEY, 5)
        resp = await conn.send(describe_groups.DescribeGroupsRequest(groups=[group_id]), version)
        group = resp.groups[0]
        if group.error_code:
            raise KafkaError(group.error_code)
        return group

    async def fetch_committed(self, group_id: str, topics: dict[str, list[int]] | None = None) -> dict[tuple[str, int], int]:
        """Committed offsets of a group (all of its partitions when topics is None); -1 entries are dropped."""
        conn = await self.group_coordinator(group_id)
        version = _capped(conn, offset_fetch.API_KEY, 7)
        req_topics = (
            None if topics is None else [offset_fetch.OffsetFetchRequestTopic(name=t, partition_indexes=ps) for t, ps in topics.items()]
        )
        resp = await conn.send(offset_fetch.OffsetFetchRequest(group_id=group_id, topics=req_topics), version)
        if resp.error_code:
            raise KafkaError(resp.error_code)
        out = {}
        for t in resp.topics:
            for p in t.partitions:
                if p.error_code:
                    raise KafkaError(p.error_code)
                if p.committed_offset >= 0:
                    out[(t.name, p.partition_index)] = p.committed_offset
        return out

    async def commit_offsets(self, group_id: str, offsets: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Commits as an admin (generation -1, no member), which the coordinator allows only for inactive groups."""
        conn = await self.group_coordinator(group_id)
        version = _capped(conn, offset_commit.API_KEY, 8)
        by_topic: dict[str, list[Any]] = {}
        for (t, p), off in sorted(offsets.items()):
            by_topic.setdefault(t, []).append(offset_commit.OffsetCommitRequestPartition(partition_index=p, committed_offset=off))
        req = offset_commit.OffsetCommitRequest(
            group_id=group_id,
            generation_id_or_member_epoch=-1,
            member_id="",
            topics=[offset_commit.OffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
        )
        resp = await conn.send(req, version)
        return {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}

    async def delete_groups(self, group_ids: list[str]) -> dict[str, int]:
        out = {}
        for group_id in group_ids:
            conn = await self.group_coordinator(group_id)
            version = _capped(conn, delete_groups.API_KEY, 2)
            resp = await conn.send(delete_groups.DeleteGroupsRequest(groups_names=[group_id]), version)
            out.update({r.group_id: r.error_code for r in resp.results})
        return out

    async def partitions_of(self, topics: list[str] | None = None) -> dict[str, list[int]]:
        meta = await self.cluster.refresh(topics)
        out = {}
        for t in meta.topics:
            if t.error_code:
                raise KafkaError(t.error_code, f"topic {t.name}: {ErrorCode(t.error_code).name}")
            out[t.name] = sorted(p.partition_index for p in t.partitions)
        return out

    async def list_offsets(
        self, tps: list[tuple[str, int]], timestamp: int, isolation_level: int = 0
    ) -> dict[tuple[str, int], tuple[int, int, int]]:
        """(error code, offset, timestamp) per partition for a timestamp or EARLIEST (-2) / LATEST (-1) / MAX_TIMESTAMP (-3)."""
        by_leader: dict[int, list[tuple[str, int]]] = {}
        for tp in tps:
            by_leader.setdefault(await self.cluster.leader_for(*tp), []).append(tp)
        out = {}
        for leader, items in by_leader.items():
            conn = await self.cluster.connection(leader)
            version = _capped(conn, list_offsets.API_KEY, 8 if timestamp == -3 else 7)
            topics: dict[str, list[Any]] = {}
            for t, p in items:
                topics.setdefault(t, []).append(list_offsets.ListOffsetsPartition(partition_index=p, timestamp=timestamp))
            resp = await conn.send(
                list_offsets.ListOffsetsRequest(
                    replica_id=-1,
                    isolation_level=isolation_level,
                    topics=[list_offsets.ListOffsetsTopic(name=t, partitions=ps) for t, ps in topics.items()],
                ),
                version,
            )
            for t in resp.topics:
                for p in t.partitions:
                    out[(t.name, p.partition_index)] = (p.error_code, p.offset, p.timestamp)
        return out

    async def delete_records(self, offsets: dict[tuple[str, int], int], timeout_ms: int = 30000) -> dict[tuple[str, int], tuple[int, int]]:
        """Moves log start offsets forward; returns (error code, low watermark) per partition."""
        by_leader: dict[int, dict[tuple[str, int], int]] = {}
        for tp, off in offsets.items():
            by_leader.setdefault(await self.cluster.leader_for(*tp), {})[tp] = off
        out = {}
        for leader, items in by_leader.items():
            conn = await self.cluster.connection(leader)
            topics: dict[str, list[Any]] = {}
            for (t, p), off in items.items():
                topics.setdefault(t, []).append(delete_records.DeleteRecordsPartition(partition_index=p, offset=off))
            resp = await conn.send(
                delete_records.DeleteRecordsRequest(
                    topics=[delete_records.DeleteRecordsTopic(name=t, partitions=ps) for t, ps in topics.items()], timeout_ms=timeout_ms
                ),
                _capped(conn, delete_records.API_KEY, 2),
            )
            for t in resp.topics:
                for p in t.partitions:
                    out[(t.name, p.partition_index)] = (p.error_code, p.low_watermark)
        return out

    async def describe_resource_configs(self, resource_type: int, name: str, node_id: int | None = None) -> Any:
        """One resource's configs with synonyms; broker configs must be asked of that broker."""
        conn = await self.cluster.connection(node_id) if node_id is not None else await self.cluster.any_connection()
        req = describe_configs.DescribeConfigsRequest(
            resources=[describe_configs.DescribeConfigsResource(resource_type=resource_type, resource_name=name, configuration_keys=None)],
            include_synonyms=True,
        )
        resp = await conn.send(req, _capped(conn, describe_configs.API_KEY, 4))
        result = resp.results[0]
        if result.error_code:
            raise KafkaError(result.error_code, result.error_message)
        return result

    async def incremental_alter_configs(
        self, resource_type: int, name: str, ops: list[tuple[str, int, str | None]], node_id: int | None = None
    ) -> None:
        """ops: (name, operation, value) with Kafka's operations SET=0, DELETE=1, APPEND=2, SUBTRACT=3."""
        conn = await self.cluster.connection(node_id) if node_id is not None else await self.cluster.any_connection()
        req = incremental_alter_configs.IncrementalAlterConfigsRequest(
            resources=[
                incremental_alter_configs.AlterConfigsResource(
                    resource_type=resource_type,
                    resource_name=name,
                    configs=[incremental_alter_configs.AlterableConfig(name=k, config_operation=op, value=v) for k, op, v in ops],
                )
            ],
            validate_only=False,
        )
        resp = await conn.send(req, _capped(conn, incremental_alter_configs.API_KEY, 1))
        result = resp.responses[0]
        if result.error_code:
            raise KafkaError(result.error_code, result.error_message)


def _capped(conn: BrokerConnection, api_key: int, cap: int) -> int:
    return min(conn.version_for(api_key), cap)
