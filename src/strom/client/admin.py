"""Admin operations over the Kafka protocol: topics, partitions, configs, groups, offsets, records, cluster.

AsyncAdmin holds the coroutines; AdminClient (confluent-kafka's shape) runs them on its own loop thread
and returns concurrent futures keyed by topic, resource or group, so one failing item does not hide
the others' results.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from strom.client.admin_types import (
    AclBinding,
    AclBindingFilter,
    AlterConfigOpType,
    ClusterMetadata,
    ConfigEntry,
    ConfigResource,
    ConsumerGroupDescription,
    ConsumerGroupListing,
    ConsumerGroupTopicPartitions,
    DeletedRecords,
    DescribeClusterResult,
    ListConsumerGroupsResult,
    MemberAssignment,
    MemberDescription,
    NewPartitions,
    NewTopic,
    Node,
    PartitionMetadata,
    ResourceType,
    TopicDescription,
)
from strom.client.cluster import Cluster, channel_security, cluster_metadata
from strom.client.config import resolve, sasl_login
from strom.client.consumer_protocol import decode_assignment
from strom.client.coordinator import coordinator_for, fetch_committed
from strom.client.loop_thread import LoopThread
from strom.client.reconnect_backoff import ReconnectBackoff
from strom.client.types import TopicPartition
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import (
    create_acls,
    create_partitions,
    create_topics,
    delete_acls,
    delete_groups,
    delete_records,
    delete_topics,
    describe_acls,
    describe_cluster,
    describe_configs,
    describe_groups,
    describe_log_dirs,
    find_coordinator,
    incremental_alter_configs,
    list_groups,
    list_offsets,
    offset_commit,
    offset_delete,
    offset_fetch,
)
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

T = TypeVar("T")
Result = dict[str, KafkaError | None]

__all__ = ["AdminClient", "AsyncAdmin", "ConfigResource", "NewPartitions", "NewTopic"]


def _err(code: int, message: str | None = None) -> KafkaError | None:
    return KafkaError(code, message) if code else None


class AsyncAdmin:
    def __init__(
        self, config: Mapping[str, Any] | str | None = None, client_id: str = "strom-admin", request_timeout_ms: int = 30000
    ) -> None:
        if isinstance(config, str):
            config = {"bootstrap.servers": config, "client.id": client_id, "request.timeout.ms": request_timeout_ms}
        self.config = c = resolve("admin", config)
        self.cluster = Cluster(
            c["bootstrap.servers"], c["client.id"], c["request.timeout.ms"], c["retry.backoff.ms"], sasl_login(c), channel_security(c)
        )
        self.cluster.on_error = c["error_cb"]
        self.cluster.socket_keepalive = c["socket.keepalive.enable"]
        self.cluster.reconnect_backoff = ReconnectBackoff.from_config(c)

    # -- topics --------------------------------------------------------------------------------------
    async def create_topics(self, topics: list[NewTopic], validate_only: bool = False, timeout_ms: int = 30000) -> Result:
        conn = await self.cluster.controller()
        creatable = []
        for t in topics:
            assignment = t.replica_assignment
            if isinstance(assignment, list):
                assignment = dict(enumerate(assignment))
            creatable.append(
                create_topics.CreatableTopic(
                    name=t.topic,
                    num_partitions=t.num_partitions if not assignment else -1,
                    replication_factor=t.replication_factor if not assignment else -1,
                    assignments=[
                        create_topics.CreatableReplicaAssignment(partition_index=p, broker_ids=b) for p, b in (assignment or {}).items()
                    ],
                    configs=[create_topics.CreatableTopicConfig(name=k, value=v) for k, v in (t.config or {}).items()],
                )
            )
        req = create_topics.CreateTopicsRequest(topics=creatable, timeout_ms=timeout_ms, validate_only=validate_only)
        resp = await conn.send(req)
        return {r.name: _err(r.error_code, r.error_message) for r in resp.topics}

    async def delete_topics(self, names: list[str], timeout_ms: int = 30000) -> Result:
        conn = await self.cluster.controller()
        version = conn.version_for(delete_topics.API_KEY)
        if version >= 6:
            req = delete_topics.DeleteTopicsRequest(topics=[delete_topics.DeleteTopicState(name=n) for n in names], timeout_ms=timeout_ms)
        else:
            req = delete_topics.DeleteTopicsRequest(topic_names=names, timeout_ms=timeout_ms)
        resp = await conn.send(req, version)
        return {r.name: _err(r.error_code, r.error_message) for r in resp.responses}

    async def create_partitions(
        self, counts: Mapping[str, int] | list[NewPartitions], validate_only: bool = False, timeout_ms: int = 30000
    ) -> Result:
        items = [NewPartitions(t, c) for t, c in counts.items()] if isinstance(counts, Mapping) else counts
        conn = await self.cluster.controller()
        req = create_partitions.CreatePartitionsRequest(
            topics=[
                create_partitions.CreatePartitionsTopic(
                    name=n.topic,
                    count=n.new_total_count,
                    assignments=None
                    if not n.replica_assignment
                    else [create_partitions.CreatePartitionsAssignment(broker_ids=b) for b in n.replica_assignment],
                )
                for n in items
            ],
            timeout_ms=timeout_ms,
            validate_only=validate_only,
        )
        resp = await conn.send(req)
        return {r.name: _err(r.error_code, r.error_message) for r in resp.results}

    async def list_topics(self, topics: list[str] | None = None) -> Any:
        """The raw Metadata response (the CLI tools read it); cluster_metadata() gives the typed view."""
        return await self.cluster.refresh(topics)

    async def describe_topics(self, names: list[str]) -> dict[str, TopicDescription | KafkaError]:
        resp = await self.cluster.refresh(names)
        out: dict[str, TopicDescription | KafkaError] = {}
        for t in resp.topics:
            if t.error_code:
                out[t.name] = KafkaError(t.error_code, f"topic {t.name}")
                continue
            parts = [
                PartitionMetadata(p.partition_index, p.leader_id, list(p.replica_nodes), list(p.isr_nodes), _err(p.error_code))
                for p in sorted(t.partitions, key=lambda p: p.partition_index)
            ]
            out[t.name] = TopicDescription(t.name, t.topic_id, t.is_internal, parts)
        return out

    # -- configs -------------------------------------------------------------------------------------
    async def describe_configs(self, resource_type: int, names: list[str]) -> Any:
        """The raw DescribeConfigs response for resources of one type (the CLI tools read it)."""
        conn = await self.cluster.any_connection()
        req = describe_configs.DescribeConfigsRequest(
            resources=[
                describe_configs.DescribeConfigsResource(resource_type=resource_type, resource_name=n, configuration_keys=None)
                for n in names
            ],
            include_synonyms=True,
        )
        return await conn.send(req)

    async def _config_connection(self, resource: ConfigResource) -> Any:
        """Broker configs are answered by that broker; topic configs by any."""
        if resource.restype in (ResourceType.BROKER, ResourceType.BROKER_LOGGER) and resource.name.lstrip("-").isdigit():
            return await self.cluster.connection(int(resource.name))
        return await self.cluster.any_connection()

    async def describe_config_resources(self, resources: list[ConfigResource]) -> dict[ConfigResource, dict[str, ConfigEntry] | KafkaError]:
        out: dict[ConfigResource, dict[str, ConfigEntry] | KafkaError] = {}
        for resource in resources:
            conn = await self._config_connection(resource)
            req = describe_configs.DescribeConfigsRequest(
                resources=[
                    describe_configs.DescribeConfigsResource(
                        resource_type=int(resource.restype), resource_name=resource.name, configuration_keys=None
                    )
                ],
                include_synonyms=True,
            )
            resp = await conn.send(req)
            for r in resp.results:
                if r.error_code:
                    out[resource] = KafkaError(r.error_code, r.error_message)
                    continue
                entries = {}
                for c in r.configs:
                    source = c.config_source if c.config_source >= 0 else (5 if getattr(c, "is_default", False) else 0)
                    entries[c.name] = ConfigEntry(
                        c.name,
                        c.value,
                        source,
                        c.read_only,
                        source == 5,
                        c.is_sensitive,
                        {s.name: ConfigEntry(s.name, s.value, s.source) for s in (c.synonyms or [])},
                    )
                out[resource] = entries
        return out

    async def incremental_alter_config_resources(
        self, resources: list[ConfigResource], validate_only: bool = False
    ) -> dict[ConfigResource, KafkaError | None]:
        out: dict[ConfigResource, KafkaError | None] = {}
        for resource in resources:
            ops = [
                incremental_alter_configs.AlterableConfig(
                    name=e.name, config_operation=int(e.incremental_operation or AlterConfigOpType.SET), value=e.value
                )
                for e in resource.incremental_configs
            ]
            ops += [
                incremental_alter_configs.AlterableConfig(name=k, config_operation=int(AlterConfigOpType.SET), value=v)
                for k, v in resource.set_config_dict.items()
            ]
            conn = await self._config_connection(resource)
            req = incremental_alter_configs.IncrementalAlterConfigsRequest(
                resources=[
                    incremental_alter_configs.AlterConfigsResource(
                        resource_type=int(resource.restype), resource_name=resource.name, configs=ops
                    )
                ],
                validate_only=validate_only,
            )
            resp = await conn.send(req)
            for r in resp.responses:
                out[resource] = _err(r.error_code, r.error_message)
        return out

    # -- groups --------------------------------------------------------------------------------------
    async def list_consumer_groups(self, states: list[str] | None = None) -> ListConsumerGroupsResult:
        """ListGroups on every broker (each lists the groups it coordinates)."""
        await self.cluster.refresh([])
        valid: list[ConsumerGroupListing] = []
        errors: list[KafkaError] = []
        for node in sorted(self.cluster.brokers):
            try:
                conn = await self.cluster.connection(node)
                version = conn.version_for(list_groups.API_KEY)
                resp = await conn.send(list_groups.ListGroupsRequest(states_filter=list(states or []), types_filter=[]), version)
            except KafkaError as exc:
                errors.append(exc)
                continue
            if resp.error_code:
                errors.append(KafkaError(resp.error_code, f"ListGroups on broker {node}"))
                continue
            for g in resp.groups:
                state = getattr(g, "group_state", None) if version >= 4 else None
                if states and version < 4 and state is None:
                    pass
                valid.append(ConsumerGroupListing(g.group_id, g.protocol_type == "", state or None, g.protocol_type))
        return ListConsumerGroupsResult(valid, errors)

    async def describe_consumer_groups(self, group_ids: list[str]) -> dict[str, ConsumerGroupDescription | KafkaError]:
        out: dict[str, ConsumerGroupDescription | KafkaError] = {}
        for gid in group_ids:
            try:
                conn = await coordinator_for(self.cluster, gid)
                resp = await conn.send(describe_groups.DescribeGroupsRequest(groups=[gid]))
            except KafkaError as exc:
                out[gid] = exc
                continue
            g = resp.groups[0]
            if g.error_code:
                out[gid] = KafkaError(g.error_code, f"group {gid}")
                continue
            members = []
            for m in g.members:
                try:
                    tps = (
                        [TopicPartition(t, p) for t, p in decode_assignment(m.member_assignment).partitions]
                        if g.protocol_type == "consumer"
                        else []
                    )
                except Exception:
                    tps = []
                members.append(MemberDescription(m.member_id, m.client_id, m.client_host, MemberAssignment(tps), m.group_instance_id))
            node = Node(-1, conn.host, conn.port)
            for nid, (h, p) in self.cluster.brokers.items():
                if (h, p) == (conn.host, conn.port):
                    node = Node(nid, h, p)
            out[gid] = ConsumerGroupDescription(gid, g.protocol_type == "", members, g.protocol_data, g.group_state, node)
        return out

    async def delete_consumer_groups(self, group_ids: list[str]) -> Result:
        out: Result = {}
        for gid in group_ids:
            try:
                conn = await coordinator_for(self.cluster, gid)
                resp = await conn.send(delete_groups.DeleteGroupsRequest(groups_names=[gid]))
            except KafkaError as exc:
                out[gid] = exc
                continue
            for r in resp.results:
                out[r.group_id] = _err(r.error_code, f"group {r.group_id}")
        return out

    async def list_consumer_group_offsets(self, group_id: str, partitions: list[TopicPartition] | None = None) -> list[TopicPartition]:
        conn = await coordinator_for(self.cluster, group_id)
        got = await fetch_committed(conn, group_id, None if partitions is None else [(p.topic, p.partition) for p in partitions])
        out = []
        for (t, p), (offset, metadata, epoch) in sorted(got.items()):
            tp = TopicPartition(t, p, offset, metadata or None, epoch if epoch >= 0 else None)
            out.append(tp)
        return out

    async def alter_consumer_group_offsets(self, group_id: str, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """Commits offsets for a group with no active members (generation -1, as Kafka's admin does)."""
        conn = await coordinator_for(self.cluster, group_id)
        by_topic: dict[str, list[offset_commit.OffsetCommitRequestPartition]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(
                offset_commit.OffsetCommitRequestPartition(
                    partition_index=tp.partition,
                    committed_offset=tp.offset,
                    committed_leader_epoch=-1 if tp.leader_epoch is None else tp.leader_epoch,
                    committed_metadata=tp.metadata or "",
                )
            )
        req = offset_commit.OffsetCommitRequest(
            group_id=group_id,
            generation_id_or_member_epoch=-1,
            member_id="",
            group_instance_id=None,
            topics=[offset_commit.OffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
        )
        resp = await conn.send(req)
        codes = {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}
        out = []
        for tp in partitions:
            r = TopicPartition(tp.topic, tp.partition, tp.offset, tp.metadata)
            code = codes.get((tp.topic, tp.partition), 0)
            if code:
                raise KafkaError(code, f"committing {tp.topic}-{tp.partition} for group {group_id} failed")
            out.append(r)
        return out

    # -- records and cluster -------------------------------------------------------------------------
    async def delete_records_before(
        self, partitions: list[TopicPartition], timeout_ms: int = 30000
    ) -> dict[TP, DeletedRecords | KafkaError]:
        """Moves log start offsets forward (offset -1 means the high watermark), on each partition's leader."""
        out: dict[TP, DeletedRecords | KafkaError] = {}
        by_leader: dict[int, list[TopicPartition]] = {}
        for tp in partitions:
            try:
                by_leader.setdefault(await self.cluster.leader_for(tp.topic, tp.partition), []).append(tp)
            except KafkaError as exc:
                out[(tp.topic, tp.partition)] = exc
        for leader, tps in by_leader.items():
            by_topic: dict[str, list[delete_records.DeleteRecordsPartition]] = {}
            for tp in tps:
                by_topic.setdefault(tp.topic, []).append(
                    delete_records.DeleteRecordsPartition(partition_index=tp.partition, offset=tp.offset)
                )
            conn = await self.cluster.connection(leader)
            resp = await conn.send(
                delete_records.DeleteRecordsRequest(
                    topics=[delete_records.DeleteRecordsTopic(name=t, partitions=ps) for t, ps in by_topic.items()], timeout_ms=timeout_ms
                )
            )
            for t in resp.topics:
                for p in t.partitions:
                    key = (t.name, p.partition_index)
                    out[key] = (
                        KafkaError(p.error_code, f"{t.name}-{p.partition_index}") if p.error_code else DeletedRecords(p.low_watermark)
                    )
        return out

    async def describe_cluster(self) -> DescribeClusterResult:
        conn = await self.cluster.any_connection()
        if describe_cluster.API_KEY in conn.versions:
            resp = await conn.send(describe_cluster.DescribeClusterRequest(include_cluster_authorized_operations=False))
            if resp.error_code:
                raise KafkaError(resp.error_code, resp.error_message)
            nodes = [Node(b.broker_id, b.host, b.port, b.rack) for b in resp.brokers]
            controller = next((n for n in nodes if n.id == resp.controller_id), None)
            return DescribeClusterResult(resp.cluster_id, controller, nodes)
        meta = await self.cluster.refresh([])
        nodes = [Node(b.node_id, b.host, b.port, b.rack) for b in meta.brokers]
        return DescribeClusterResult(meta.cluster_id, next((n for n in nodes if n.id == meta.controller_id), None), nodes)

    # -- ACLs (CreateAcls / DescribeAcls / DeleteAcls, sent to any broker: every broker holds them all) ----

    async def create_acls(self, bindings: list[AclBinding]) -> dict[AclBinding, KafkaError | None]:
        conn = await self.cluster.any_connection()
        creations = [
            create_acls.AclCreation(
                resource_type=b.restype,
                resource_name=b.name or "",
                resource_pattern_type=b.resource_pattern_type,
                principal=b.principal or "",
                host=b.host or "",
                operation=b.operation,
                permission_type=b.permission_type,
            )
            for b in bindings
        ]
        resp = await conn.send(create_acls.CreateAclsRequest(creations=creations))
        return {b: _err(r.error_code, r.error_message) for b, r in zip(bindings, resp.results, strict=True)}

    async def describe_acls(self, acl_filter: AclBindingFilter) -> list[AclBinding]:
        conn = await self.cluster.any_connection()
        resp = await conn.send(
            describe_acls.DescribeAclsRequest(
                resource_type_filter=acl_filter.restype,
                resource_name_filter=acl_filter.name,
                pattern_type_filter=acl_filter.resource_pattern_type,
                principal_filter=acl_filter.principal,
                host_filter=acl_filter.host,
                operation=acl_filter.operation,
                permission_type=acl_filter.permission_type,
            )
        )
        if resp.error_code:
            raise KafkaError(resp.error_code, resp.error_message)
        return [
            AclBinding(r.resource_type, r.resource_name, r.pattern_type, a.principal, a.host, a.operation, a.permission_type)
            for r in resp.resources
            for a in r.acls
        ]

    async def delete_acls(self, filters: list[AclBindingFilter]) -> dict[AclBindingFilter, list[AclBinding] | KafkaError]:
        conn = await self.cluster.any_connection()
        wire = [
            delete_acls.DeleteAclsFilter(
                resource_type_filter=f.restype,
                resource_name_filter=f.name,
                pattern_type_filter=f.resource_pattern_type,
                principal_filter=f.principal,
                host_filter=f.host,
                operation=f.operation,
                permission_type=f.permission_type,
            )
            for f in filters
        ]
        resp = await conn.send(delete_acls.DeleteAclsRequest(filters=wire))
        out: dict[AclBindingFilter, list[AclBinding] | KafkaError] = {}
        for f, r in zip(filters, resp.filter_results, strict=True):
            if r.error_code:
                out[f] = KafkaError(r.error_code, r.error_message)
                continue
            out[f] = [
                AclBinding(m.resource_type, m.resource_name, m.pattern_type, m.principal, m.host, m.operation, m.permission_type)
                for m in r.matching_acls
            ]
        return out

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

    async def fetch_committed(self, group_id: str, topics: dict[str, list[int]] | None = None) -> dict[TP, int]:
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

    async def commit_offsets(self, group_id: str, offsets: dict[TP, int]) -> dict[TP, int]:
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

    async def list_offsets(self, tps: list[TP], timestamp: int, isolation_level: int = 0) -> dict[TP, tuple[int, int, int]]:
        """(error code, offset, timestamp) per partition for a timestamp or EARLIEST (-2) / LATEST (-1) / MAX_TIMESTAMP (-3)."""
        by_leader: dict[int, list[TP]] = {}
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

    async def delete_records(self, offsets: dict[TP, int], timeout_ms: int = 30000) -> dict[TP, tuple[int, int]]:
        """Moves log start offsets forward; returns (error code, low watermark) per partition."""
        by_leader: dict[int, dict[TP, int]] = {}
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

    async def describe_log_dirs(self, node_id: int) -> list[Any]:
        """One broker's log directories (DescribeLogDirs with every partition): the bytes each partition holds
        there, and from v4 the directory's total and usable bytes (Java's Admin.describeLogDirs)."""
        conn = await self.cluster.connection(node_id)
        resp = await conn.send(describe_log_dirs.DescribeLogDirsRequest(topics=None), _capped(conn, describe_log_dirs.API_KEY, 4))
        if resp.error_code:
            raise KafkaError(resp.error_code, f"DescribeLogDirs on broker {node_id}")
        return list(resp.results)

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


def _settle(fut: concurrent.futures.Future[Any], value: Any) -> None:
    if isinstance(value, BaseException):
        fut.set_exception(value)
    else:
        fut.set_result(value)


class AdminClient:
    """confluent-kafka's AdminClient: each call returns futures (a dict of them per topic/resource/group)."""

    def __init__(self, config: Mapping[str, Any] | None = None, **kw: Any) -> None:
        conf = {**(config or {}), **kw}
        resolve("admin", conf)
        self._runner = LoopThread("strom-admin")
        self._aio: AsyncAdmin = self._runner.run(_make_admin(conf))
        self._runner.stop_with(self)  # a client never closed stops its thread when dropped
        self._runner.closers.append(self._aio.cluster.close)

    def _fan_out(
        self, keys: list[Any], coro: Coroutine[Any, Any, Mapping[Any, Any]], mapper: Any = None
    ) -> dict[Any, concurrent.futures.Future[Any]]:
        """One future per key, settled from one request's per-key results (or all failed together)."""
        futures: dict[Any, concurrent.futures.Future[Any]] = {k: concurrent.futures.Future() for k in keys}
        whole = self._runner.submit(coro)

        def done(f: concurrent.futures.Future[Mapping[Any, Any]]) -> None:
            exc = f.exception()
            for k, fut in futures.items():
                if exc is not None:
                    fut.set_exception(exc)
                    continue
                result = f.result()
                lookup = mapper(k) if mapper else k
                if lookup not in result:
                    fut.set_exception(KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, f"no result for {k}"))
                else:
                    _settle(fut, result[lookup])

        whole.add_done_callback(done)
        return futures

    def _one(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return self._runner.submit(coro)

    def create_topics(
        self, new_topics: list[NewTopic], operation_timeout: float = 30, request_timeout: float = 30, validate_only: bool = False
    ) -> dict[str, concurrent.futures.Future[None]]:
        return self._fan_out(
            [t.topic for t in new_topics], self._aio.create_topics(new_topics, validate_only, int(operation_timeout * 1000))
        )

    def delete_topics(
        self, topics: list[str], operation_timeout: float = 30, request_timeout: float = 30
    ) -> dict[str, concurrent.futures.Future[None]]:
        return self._fan_out(list(topics), self._aio.delete_topics(list(topics), int(operation_timeout * 1000)))

    def create_partitions(
        self, new_partitions: list[NewPartitions], operation_timeout: float = 30, request_timeout: float = 30, validate_only: bool = False
    ) -> dict[str, concurrent.futures.Future[None]]:
        return self._fan_out(
            [n.topic for n in new_partitions], self._aio.create_partitions(new_partitions, validate_only, int(operation_timeout * 1000))
        )

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        async def fetch() -> ClusterMetadata:
            await self._aio.cluster.refresh([topic] if topic else None)
            return cluster_metadata(self._aio.cluster)

        return self._runner.run(fetch(), None if timeout < 0 else timeout)

    def cluster_id(self, timeout: float = -1) -> str | None:
        """confluent-kafka's cluster_id(): the id from the cluster's metadata, None when none came in time."""
        try:
            return self.list_topics(timeout=timeout).cluster_id
        except (KafkaError, TimeoutError):
            return None

    def describe_topics(self, topics: list[str]) -> dict[str, concurrent.futures.Future[TopicDescription]]:
        return self._fan_out(list(topics), self._aio.describe_topics(list(topics)))

    def describe_configs(
        self, resources: list[ConfigResource], request_timeout: float = 30
    ) -> dict[ConfigResource, concurrent.futures.Future[dict[str, ConfigEntry]]]:
        return self._fan_out(list(resources), self._aio.describe_config_resources(list(resources)))

    def incremental_alter_configs(
        self, resources: list[ConfigResource], request_timeout: float = 30, validate_only: bool = False
    ) -> dict[ConfigResource, concurrent.futures.Future[None]]:
        return self._fan_out(list(resources), self._aio.incremental_alter_config_resources(list(resources), validate_only))

    def list_consumer_groups(
        self, states: list[str] | None = None, request_timeout: float = 30
    ) -> concurrent.futures.Future[ListConsumerGroupsResult]:
        return self._one(self._aio.list_consumer_groups(states))

    def describe_consumer_groups(
        self, group_ids: list[str], request_timeout: float = 30
    ) -> dict[str, concurrent.futures.Future[ConsumerGroupDescription]]:
        return self._fan_out(list(group_ids), self._aio.describe_consumer_groups(list(group_ids)))

    def delete_consumer_groups(self, group_ids: list[str], request_timeout: float = 30) -> dict[str, concurrent.futures.Future[None]]:
        return self._fan_out(list(group_ids), self._aio.delete_consumer_groups(list(group_ids)))

    def list_consumer_group_offsets(
        self,
        list_consumer_group_offsets_request: list[ConsumerGroupTopicPartitions],
        require_stable: bool = False,
        request_timeout: float = 30,
    ) -> dict[str, concurrent.futures.Future[ConsumerGroupTopicPartitions]]:
        out = {}
        for req in list_consumer_group_offsets_request:
            out[req.group_id] = self._one(
                _wrap_group(req.group_id, self._aio.list_consumer_group_offsets(req.group_id, req.topic_partitions))
            )
        return out

    def alter_consumer_group_offsets(
        self, alter_consumer_group_offsets_request: list[ConsumerGroupTopicPartitions], request_timeout: float = 30
    ) -> dict[str, concurrent.futures.Future[ConsumerGroupTopicPartitions]]:
        out = {}
        for req in alter_consumer_group_offsets_request:
            out[req.group_id] = self._one(
                _wrap_group(req.group_id, self._aio.alter_consumer_group_offsets(req.group_id, req.topic_partitions or []))
            )
        return out

    def delete_records(
        self, topic_partition_offsets: list[TopicPartition], request_timeout: float = 30, operation_timeout: float = 30
    ) -> dict[TopicPartition, concurrent.futures.Future[DeletedRecords]]:
        return self._fan_out(
            list(topic_partition_offsets),
            self._aio.delete_records_before(list(topic_partition_offsets), int(operation_timeout * 1000)),
            mapper=lambda tp: (tp.topic, tp.partition),
        )

    def describe_cluster(self, request_timeout: float = 30) -> concurrent.futures.Future[DescribeClusterResult]:
        return self._one(self._aio.describe_cluster())

    def create_acls(self, acls: list[AclBinding], request_timeout: float = 30) -> dict[AclBinding, concurrent.futures.Future[None]]:
        return self._fan_out(list(acls), self._aio.create_acls(list(acls)))

    def describe_acls(
        self, acl_binding_filter: AclBindingFilter, request_timeout: float = 30
    ) -> concurrent.futures.Future[list[AclBinding]]:
        return self._one(self._aio.describe_acls(acl_binding_filter))

    def delete_acls(
        self, acl_binding_filters: list[AclBindingFilter], request_timeout: float = 30
    ) -> dict[AclBindingFilter, concurrent.futures.Future[list[AclBinding]]]:
        return self._fan_out(list(acl_binding_filters), self._aio.delete_acls(list(acl_binding_filters)))

    def close(self) -> None:
        if not self._runner.loop.is_closed():
            self._runner.run(self._aio.close())
            self._runner.stop()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _make_admin(conf: dict[str, Any]) -> AsyncAdmin:
    return AsyncAdmin(conf)


async def _wrap_group(group_id: str, coro: Coroutine[Any, Any, list[TopicPartition]]) -> ConsumerGroupTopicPartitions:
    return ConsumerGroupTopicPartitions(group_id, await coro)


_ = asyncio


async def delete_committed_offsets(admin: AsyncAdmin, group_id: str, tps: list[TP]) -> tuple[int, dict[TP, int]]:
    """OffsetDelete (KIP-496): drops a group's committed offsets for partitions it no longer consumes.
    Returns the group-level error code and one per partition."""
    conn = await admin.group_coordinator(group_id)
    by_topic: dict[str, list[Any]] = {}
    for t, p in tps:
        by_topic.setdefault(t, []).append(offset_delete.OffsetDeleteRequestPartition(partition_index=p))
    resp = await conn.send(
        offset_delete.OffsetDeleteRequest(
            group_id=group_id, topics=[offset_delete.OffsetDeleteRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()]
        ),
        0,
    )
    return resp.error_code, {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}
