"""UpdateMetadata (6): the controller's broadcast of live brokers and partition leaders into this broker's cache.

Metadata, FindCoordinator and DescribeCluster answer from this cache in ZooKeeper mode. A request from an
older controller epoch is refused (STALE_CONTROLLER_EPOCH), as Kafka does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.handlers.leader_and_isr import stale_broker_epoch
from strom.broker.request_context import RequestContext
from strom.cluster.metadata import BrokerEndpoint
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import update_metadata as schema
from strom.protocol.schema.update_metadata import UpdateMetadataRequest, UpdateMetadataResponse
from strom.security.acl import AclOperation
from strom.security.principal import SecurityProtocol


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: UpdateMetadataRequest) -> UpdateMetadataResponse:
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        return UpdateMetadataResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    broker = ctx.broker
    if broker.cluster is None:
        return _without_zookeeper(ctx, request)
    store = broker.cluster.store  # the ZooKeeper-fed cache (broker.metadata in this mode)
    if await stale_broker_epoch(broker, request):
        return UpdateMetadataResponse(error_code=ErrorCode.STALE_BROKER_EPOCH)
    inter_broker = broker.config.inter_broker_listener_name
    brokers = [_live_broker(b, ctx.api_version, inter_broker) for b in request.live_brokers]
    partitions: list[tuple[str, str | None, Any]] = []
    if ctx.api_version >= 5:
        for t in request.topic_states:
            topic_id = str(t.topic_id) if ctx.api_version >= 7 and t.topic_id.int else None
            partitions += [(t.topic_name, topic_id, p) for p in t.partition_states]
    else:
        partitions = [(p.topic_name, None, p) for p in request.ungrouped_partition_states]
    new_topics = sorted({t for t, _, _ in partitions if t not in store.topics})
    loop = asyncio.get_running_loop()
    configs = {t: await loop.run_in_executor(None, store.topic_configs_from_zk, t) for t in new_topics}
    if not store.apply_update_metadata(request.controller_id, request.controller_epoch, brokers, partitions, configs):
        return UpdateMetadataResponse(error_code=ErrorCode.STALE_CONTROLLER_EPOCH)
    manager = broker.replica_manager  # the replication half sends AlterIsr to the controller it learns here
    manager.update_brokers(request.controller_id, {b.broker_id: (b.host, b.port) for b in brokers})
    for topic, _, p in partitions:
        manager.purgatory.notify((topic, p.partition_index))
    return UpdateMetadataResponse(error_code=0)


def _without_zookeeper(ctx: RequestContext, request: UpdateMetadataRequest) -> UpdateMetadataResponse:
    """A broker without zookeeper.connect driven by an external controller (the replication tests do this): it
    learns only where brokers and the controller listen, for its fetchers and AlterIsr."""
    manager = ctx.broker.replica_manager
    try:
        manager.check_controller_epoch(request.controller_id, request.controller_epoch)
    except KafkaError as exc:
        return UpdateMetadataResponse(error_code=exc.code())
    inter_broker = ctx.broker.config.inter_broker_listener_name
    live = [_live_broker(b, ctx.api_version, inter_broker) for b in request.live_brokers]
    manager.update_brokers(request.controller_id, {b.broker_id: (b.host, b.port) for b in live if b.port >= 0})
    return UpdateMetadataResponse(error_code=0)


def _live_broker(b: Any, api_version: int, inter_broker_listener: str) -> BrokerEndpoint:
    """A live broker with every endpoint it advertises; its inter-broker address is the one on this broker's
    inter.broker.listener.name (every broker of a cluster uses the same), else its first endpoint."""
    if api_version == 0:
        return BrokerEndpoint(b.id, b.v0_host, b.v0_port, b.rack)
    listeners = tuple((ep.listener or SecurityProtocol(ep.security_protocol).name, ep.host, ep.port) for ep in b.endpoints)
    inter = next(((h, p) for name, h, p in listeners if name == inter_broker_listener), None)
    host, port = inter or ((listeners[0][1], listeners[0][2]) if listeners else ("", -1))
    return BrokerEndpoint(b.id, host, port, b.rack, listeners)
