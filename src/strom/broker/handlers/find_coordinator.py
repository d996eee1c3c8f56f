"""FindCoordinator (10): this broker coordinates every group and transactional id (single broker); v4+
answers batched keys."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.config import BrokerConfig
from strom.broker.group_service import OFFSETS_TOPIC
from strom.broker.handlers import handles
from strom.broker.handlers.metadata import advertised_endpoint
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import TXN_TOPIC
from strom.coordination.offsets import partition_for
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import find_coordinator as schema
from strom.security.acl import AclOperation, ResourceType

GROUP_KEY, TXN_KEY = 0, 1


async def _answer(ctx: RequestContext, key_type: int, key: str = "") -> tuple[int, str | None, int, str, int]:
    """(error, message, node id, host, port) for one key."""
    if key_type not in (GROUP_KEY, TXN_KEY):
        return ErrorCode.INVALID_REQUEST, f"Unknown coordinator type {key_type}", -1, "", -1
    resource = ResourceType.TRANSACTIONAL_ID if key_type == TXN_KEY else ResourceType.GROUP
    if not authorize(ctx, AclOperation.DESCRIBE, resource, key):
        if key_type == TXN_KEY:
            return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "Transactional Id authorization failed.", -1, "", -1
        return ErrorCode.GROUP_AUTHORIZATION_FAILED, "Group authorization failed.", -1, "", -1
    if key_type == TXN_KEY:
        if not key:
            return ErrorCode.INVALID_REQUEST, "transactional id must not be empty", -1, "", -1
        service = ctx.broker.transaction_service
        if not service.loaded:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the transaction coordinator is loading", -1, "", -1
        if ctx.broker.cluster is not None:
            return await _cluster_answer(ctx, key, TXN_KEY)
        service.ensure_topic()
        host, port = advertised_endpoint(ctx)
        return ErrorCode.NONE, None, ctx.broker.broker_id, host, port
    if not ctx.broker.group_service.loaded:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the group coordinator is loading", -1, "", -1
    if ctx.broker.cluster is not None:
        return await _cluster_answer(ctx, key, GROUP_KEY)
    host, port = advertised_endpoint(ctx)
    return ErrorCode.NONE, None, ctx.broker.broker_id, host, port


def _internal_topic(cfg: BrokerConfig, key_type: int) -> tuple[str, int, int, dict[str, str]]:
    """(name, partitions, replication factor, configs) of __consumer_offsets or __transaction_state."""
    if key_type == GROUP_KEY:
        configs = {"cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": str(cfg["offsets.topic.segment.bytes"])}
        return OFFSETS_TOPIC, int(cfg["offsets.topic.num.partitions"]), int(cfg["offsets.topic.replication.factor"]), configs
    configs = {
        "cleanup.policy": "compact",
        "compression.type": "uncompressed",
        "min.insync.replicas": str(cfg["transaction.state.log.min.isr"]),
        "unclean.leader.election.enable": "false",
        "segment.bytes": str(cfg["transaction.state.log.segment.bytes"]),
    }
    return (
        TXN_TOPIC,
        int(cfg["transaction.state.log.num.partitions"]),
        int(cfg["transaction.state.log.replication.factor"]),
        configs,
    )


async def _cluster_answer(ctx: RequestContext, key: str, key_type: int) -> tuple[int, str | None, int, str, int]:
    """ZooKeeper mode: the coordinator is the leader of the key's partition of __consumer_offsets (groups)
    or __transaction_state (transactional ids), from the UpdateMetadata cache; the topic is created on
    first use once enough brokers are live (as Kafka 2.8)."""
    broker = ctx.broker
    name, num_partitions, rf, configs = _internal_topic(broker.config, key_type)
    state = broker.metadata.topics.get(name)
    if state is None:
        live = await broker.admin(broker.admin_manager.live_brokers)
        if len(live) < rf:
            setting = "offsets.topic.replication.factor" if key_type == GROUP_KEY else "transaction.state.log.replication.factor"
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{len(live)} live broker(s) < {setting}={rf}", -1, "", -1
        try:
            await broker.admin(broker.create_topic, name, num_partitions, rf, configs, internal=True)
        except KafkaError:
            pass
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, f"the {name} topic is being created", -1, "", -1
    leader = state.partitions.get(partition_for(key, len(state.partitions)))
    endpoint = broker.metadata.live_brokers.get(leader.leader) if leader is not None else None
    if endpoint is None:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is not available", -1, "", -1
    address = endpoint.endpoint_for(ctx.listener_name)
    if address is None:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, f"the coordinator has no {ctx.listener_name} listener", -1, "", -1
    return ErrorCode.NONE, None, endpoint.broker_id, address[0], address[1]


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.FindCoordinatorRequest) -> schema.FindCoordinatorResponse:
    key_type = request.key_type if ctx.api_version >= 1 else GROUP_KEY
    if ctx.api_version >= 4:
        coordinators = []
        for key in request.coordinator_keys:
            code, message, node, host, port = await _answer(ctx, key_type, key)
            coordinators.append(schema.Coordinator(key=key, node_id=node, host=host, port=port, error_code=code, error_message=message))
        return schema.FindCoordinatorResponse(coordinators=coordinators)
    code, message, node, host, port = await _answer(ctx, key_type, request.key)
    return schema.FindCoordinatorResponse(error_code=code, error_message=message, node_id=node, host=host, port=port)
