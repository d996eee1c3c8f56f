"""FindCoordinator (10): this broker coordinates every group and transactional id (single broker); v4+
answers batched keys."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.broker.handlers.metadata import advertised_endpoint
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import find_coordinator as schema

GROUP_KEY, TXN_KEY = 0, 1


async def _answer(ctx: Any, key_type: int, key: str = "") -> tuple[int, str | None, int, str, int]:
    """(error, message, node id, host, port) for one key."""
    if key_type not in (GROUP_KEY, TXN_KEY):
        return ErrorCode.INVALID_REQUEST, f"Unknown coordinator type {key_type}", -1, "", -1
    if key_type == TXN_KEY:
        if not key:
            return ErrorCode.INVALID_REQUEST, "transactional id must not be empty", -1, "", -1
        if ctx.broker.cluster is not None:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, "transactions are not supported in ZooKeeper mode yet", -1, "", -1
        service = ctx.broker.services.get("txn")
        if service is None:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the transaction coordinator is loading", -1, "", -1
        service.ensure_topic()
        host, port = advertised_endpoint(ctx)
        return ErrorCode.NONE, None, ctx.broker.broker_id, host, port
    if "group" not in ctx.broker.services:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the group coordinator is loading", -1, "", -1
    if ctx.broker.cluster is not None:
        return await _cluster_answer(ctx, key)
    host, port = advertised_endpoint(ctx)
    return ErrorCode.NONE, None, ctx.broker.broker_id, host, port


async def _cluster_answer(ctx: Any, key: str) -> tuple[int, str | None, int, str, int]:
    """ZooKeeper mode: the coordinator is the leader of the group's __consumer_offsets partition, from the
    UpdateMetadata cache; the topic is created on first use once enough brokers are live (as Kafka 2.8)."""
    from strom.broker.broker import OFFSETS_TOPIC
    from strom.coordination.offsets import partition_for

    broker = ctx.broker
    state = broker.metadata.topics.get(OFFSETS_TOPIC)
    if state is None:
        rf = int(broker.config["offsets.topic.replication.factor"])
        live = await broker.admin(broker.cluster.live_brokers)
        if len(live) < rf:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{len(live)} live broker(s) < offsets.topic.replication.factor={rf}", -1, "", -1
        try:
            await broker.admin(
                broker.create_topic,
                OFFSETS_TOPIC,
                int(broker.config["offsets.topic.num.partitions"]),
                rf,
                {
                    "cleanup.policy": "compact",
                    "compression.type": "producer",
                    "segment.bytes": str(broker.config["offsets.topic.segment.bytes"]),
                },
                internal=True,
            )
        except KafkaError:
            pass
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the offsets topic is being created", -1, "", -1
    leader = state.partitions.get(partition_for(key, len(state.partitions)))
    endpoint = broker.metadata.live_brokers.get(leader.leader) if leader is not None else None
    if endpoint is None:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the coordinator is not available", -1, "", -1
    return ErrorCode.NONE, None, endpoint.broker_id, endpoint.host, endpoint.port


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> Any:
    key_type = request.key_type if ctx.api_version >= 1 else GROUP_KEY
    if ctx.api_version >= 4:
        coordinators = []
        for key in request.coordinator_keys:
            code, message, node, host, port = await _answer(ctx, key_type, key)
            coordinators.append(schema.Coordinator(key=key, node_id=node, host=host, port=port, error_code=code, error_message=message))
        return schema.FindCoordinatorResponse(coordinators=coordinators)
    code, message, node, host, port = await _answer(ctx, key_type, request.key)
    return schema.FindCoordinatorResponse(error_code=code, error_message=message, node_id=node, host=host, port=port)
