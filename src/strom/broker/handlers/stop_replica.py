"""StopReplica (5): the controller stops this broker's replica of partitions (reassigned away, broker shutting
down, topic deleted); with delete_partition the local log goes too."""

from __future__ import annotations

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.handlers.leader_and_isr import stale_broker_epoch
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import stop_replica as schema
from strom.protocol.schema.stop_replica import StopReplicaPartitionError, StopReplicaRequest, StopReplicaResponse
from strom.security.acl import AclOperation

NO_EPOCH = -1


def _targets(request: StopReplicaRequest, version: int) -> list[tuple[str, int, int, bool]]:
    """(topic, partition, leader epoch, delete) whatever the request version."""
    if version == 0:
        return [(p.topic_name, p.partition_index, NO_EPOCH, request.delete_partitions) for p in request.ungrouped_partitions]
    if version <= 2:
        return [(t.name, i, NO_EPOCH, request.delete_partitions) for t in request.topics for i in t.partition_indexes]
    return [(t.topic_name, p.partition_index, p.leader_epoch, p.delete_partition) for t in request.topic_states for p in t.partition_states]


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: StopReplicaRequest) -> StopReplicaResponse:
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        return StopReplicaResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, partition_errors=[])
    manager = ctx.broker.replica_manager
    targets = _targets(request, ctx.api_version)
    if await stale_broker_epoch(ctx.broker, request):
        return StopReplicaResponse(error_code=ErrorCode.STALE_BROKER_EPOCH, partition_errors=[])
    try:
        manager.check_controller_epoch(request.controller_id, request.controller_epoch)
    except KafkaError as exc:
        return StopReplicaResponse(error_code=exc.code(), partition_errors=[])
    errors = []
    for topic, index, epoch, delete in targets:
        try:
            code = manager.stop_replica(topic, index, epoch, delete)
        except KafkaError as exc:
            code = exc.code()
        errors.append(StopReplicaPartitionError(topic_name=topic, partition_index=index, error_code=code))
    return StopReplicaResponse(error_code=0, partition_errors=errors)
