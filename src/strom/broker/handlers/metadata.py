"""Metadata (3): brokers, topics, partitions, leaders; auto-creates topics when the broker allows it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from strom.broker.authorizer import authorize, authorize_cluster, authorized_operations
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.partition_state import NO_LEADER
from strom.cluster.topic_admin import validate_topic_name
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import metadata as schema
from strom.protocol.schema.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from strom.security.acl import AclOperation, ResourceType

if TYPE_CHECKING:
    from strom.broker.broker import Broker


def advertised_endpoint(ctx: RequestContext) -> tuple[str, int]:
    """This broker's advertised endpoint of the listener the request came on, or the address the client
    reached us on when its host is empty or a wildcard (or its port 0) -- so a client that connected to
    127.0.0.1 or ::1 gets an address it can reach."""
    listener = ctx.broker.config.advertised_listener(ctx.listener_name)
    if listener is None:
        return ctx.local_host, ctx.local_port
    host = ctx.local_host if listener.host in ("", "0.0.0.0", "::") else listener.host
    return host, listener.port or ctx.local_port


def topic_metadata(broker: Broker, name: str, error: int = 0) -> MetadataResponseTopic:
    state = broker.metadata.topics.get(name)
    if state is None:
        return MetadataResponseTopic(error_code=error or ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name=name)
    live = broker.metadata.live_brokers if broker.cluster is not None else None
    # embedded mode has no controller to move leadership off a failed log dir: its partitions are leaderless
    # and this broker's replica offline, as a controller would publish them
    offline = broker.replica_manager.offline_partitions if broker.cluster is None else ()
    parts = []
    for p in sorted(state.partitions.values(), key=lambda p: p.partition):
        leader = NO_LEADER if offline and (name, p.partition) in offline else p.leader
        parts.append(
            MetadataResponsePartition(
                error_code=ErrorCode.LEADER_NOT_AVAILABLE if leader < 0 else 0,
                partition_index=p.partition,
                leader_id=leader,
                leader_epoch=p.leader_epoch,
                replica_nodes=list(p.replicas),
                isr_nodes=list(p.isr),
                offline_replicas=[r for r in p.replicas if (live is not None and r not in live) or (leader != p.leader and r == p.leader)],
            )
        )
    return MetadataResponseTopic(error_code=0, name=name, topic_id=state.uuid, is_internal=state.internal, partitions=parts)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: MetadataRequest) -> MetadataResponse:
    broker = ctx.broker
    host, port = advertised_endpoint(ctx)
    if request.topics is None or (ctx.api_version == 0 and not request.topics):
        names = sorted(broker.metadata.topics)
        if broker.authorizer is not None:  # topics the principal may not describe are left out, unlogged
            names = [n for n in names if authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, n, log_denied=False)]
        topics = [topic_metadata(broker, n) for n in names]
    else:
        by_id = {t.uuid: t.name for t in broker.metadata.topics.values()}
        allow_create = request.allow_auto_topic_creation if ctx.api_version >= 4 else True
        topics = [await _authorized_topic(ctx, t, by_id, allow_create) for t in request.topics]
    if ctx.api_version >= 8 and request.include_topic_authorized_operations:
        topics = [
            replace(t, topic_authorized_operations=authorized_operations(ctx, ResourceType.TOPIC, t.name))
            if not t.error_code and t.name
            else t
            for t in topics
        ]
    include_cluster_ops = 8 <= ctx.api_version <= 10 and request.include_cluster_authorized_operations
    return MetadataResponse(
        brokers=cluster_brokers(ctx, host, port),
        cluster_id=broker.metadata.cluster_id,
        controller_id=broker.metadata.controller_id if broker.cluster is not None else broker.broker_id,
        topics=topics,
        cluster_authorized_operations=authorized_operations(ctx, ResourceType.CLUSTER, "kafka-cluster")
        if include_cluster_ops
        else -(2**31),
    )


async def _authorized_topic(
    ctx: RequestContext, topic: MetadataRequestTopic, by_id: dict[uuid.UUID, str], allow_create: bool
) -> MetadataResponseTopic:
    """A requested topic the principal may not describe is TOPIC_AUTHORIZATION_FAILED; so is one that
    would be auto-created without CREATE on the cluster or the topic (KafkaApis.handleTopicMetadataRequest)."""
    broker = ctx.broker
    name = topic.name if topic.name is not None else by_id.get(topic.topic_id)
    if broker.authorizer is not None and name is not None:
        denied = MetadataResponseTopic(error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED, name=topic.name, topic_id=topic.topic_id)
        if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name):
            return denied
        creating = name not in broker.metadata.topics and allow_create and broker.config["auto.create.topics.enable"]
        if creating and not (
            authorize_cluster(ctx, AclOperation.CREATE, log_denied=False) or authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, name)
        ):
            return denied
    return await _requested_topic(broker, topic, by_id, allow_create)


async def _requested_topic(
    broker: Broker, topic: MetadataRequestTopic, by_id: dict[uuid.UUID, str], allow_create: bool
) -> MetadataResponseTopic:
    """One topic a client asked for, by name or (v10+) by id; a missing one is auto-created when allowed."""
    name = topic.name if topic.name is not None else by_id.get(topic.topic_id)
    if name is None:
        return MetadataResponseTopic(error_code=ErrorCode.UNKNOWN_TOPIC_ID, name=None, topic_id=topic.topic_id)
    if name not in broker.metadata.topics:
        try:
            if allow_create and broker.config["auto.create.topics.enable"] and not name.startswith("__"):
                # Kafka answers LEADER_NOT_AVAILABLE the first time; we have a leader at once
                await broker.admin(broker.create_topic, name, -1, -1, {})
            else:
                validate_topic_name(name)
        except KafkaError as exc:
            return MetadataResponseTopic(error_code=exc.code(), name=name)
    return topic_metadata(broker, name)


def cluster_brokers(ctx: RequestContext, host: str, port: int) -> list[MetadataResponseBroker]:
    """This broker alone, or in ZooKeeper mode every live broker from the UpdateMetadata cache."""
    broker = ctx.broker
    if broker.cluster is None:
        return [MetadataResponseBroker(node_id=broker.broker_id, host=host, port=port, rack=broker.config.get("broker.rack"))]
    out = []
    for b in sorted(broker.metadata.live_brokers.values(), key=lambda b: b.broker_id):
        endpoint = b.endpoint_for(ctx.listener_name)  # the listener the client came on, as Kafka answers
        if endpoint is not None:
            out.append(MetadataResponseBroker(node_id=b.broker_id, host=endpoint[0], port=endpoint[1], rack=b.rack))
    if broker.broker_id not in broker.metadata.live_brokers:  # before the first UpdateMetadata
        out.append(MetadataResponseBroker(node_id=broker.broker_id, host=host, port=port, rack=broker.config.get("broker.rack")))
    return out
