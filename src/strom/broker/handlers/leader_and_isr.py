"""LeaderAndIsr (4): the controller tells this broker, per partition, who leads at which leader epoch with which
ISR; the replica manager makes the local replica leader or follower (truncating and fetching as a follower)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.replica_manager import PartitionStateView
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import leader_and_isr as schema
from strom.protocol.schema.leader_and_isr import (
    LeaderAndIsrPartitionError,
    LeaderAndIsrRequest,
    LeaderAndIsrResponse,
    LeaderAndIsrResponseLeaderAndIsrPartitionError,
    LeaderAndIsrTopicError,
)
from strom.protocol.schema.stop_replica import StopReplicaRequest
from strom.protocol.schema.update_metadata import UpdateMetadataRequest
from strom.security.acl import AclOperation

if TYPE_CHECKING:
    from strom.broker.broker import Broker

States = list[tuple[str, uuid.UUID, PartitionStateView]]
NO_TOPIC_ID = uuid.UUID(int=0)  # v0-1 name topics only; their responses (v0-4) carry no topic ids


def _states(request: LeaderAndIsrRequest, version: int) -> States:
    """(topic name, topic id or None, partition state) for every partition, whatever the request version."""
    if version <= 1:
        return [(s.topic_name, NO_TOPIC_ID, s) for s in request.ungrouped_partition_states]
    return [(t.topic_name, t.topic_id, s) for t in request.topic_states for s in t.partition_states]


def _response(version: int, states: States, codes: list[int], error: int = 0) -> LeaderAndIsrResponse:
    if version <= 4:
        errors = [
            LeaderAndIsrPartitionError(topic_name=name, partition_index=s.partition_index, error_code=code)
            for (name, _, s), code in zip(states, codes, strict=True)
        ]
        return LeaderAndIsrResponse(error_code=error, partition_errors=errors)
    by_topic: dict[uuid.UUID, list[LeaderAndIsrResponseLeaderAndIsrPartitionError]] = {}
    for (_, topic_id, s), code in zip(states, codes, strict=True):
        by_topic.setdefault(topic_id, []).append(
            LeaderAndIsrResponseLeaderAndIsrPartitionError(partition_index=s.partition_index, error_code=code)
        )
    return LeaderAndIsrResponse(
        error_code=error, topics=[LeaderAndIsrTopicError(topic_id=tid, partition_errors=errs) for tid, errs in by_topic.items()]
    )


REGISTRATION_WAIT_S = 30.0  # the controller's request timeout


async def stale_broker_epoch(broker: Broker, request: LeaderAndIsrRequest | StopReplicaRequest | UpdateMetadataRequest) -> bool:
    """Kafka's isBrokerEpochStale: a request the controller meant for an earlier registration of this broker id
    (a process since restarted) must not act on this one. A request that arrives while this process is still
    registering waits for the registration: the controller learns the new epoch from the znode, which can be
    before this process does, and a request answered STALE_BROKER_EPOCH then is not sent again (the replicas
    it names would never be followed)."""
    epoch = getattr(request, "broker_epoch", -1)
    if epoch == -1:
        return False
    cluster = getattr(broker, "cluster", None)
    if cluster is None:
        return False
    if not await cluster.wait_registered(REGISTRATION_WAIT_S):
        return True
    return bool(epoch < broker.broker_epoch)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: LeaderAndIsrRequest) -> LeaderAndIsrResponse:
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        denied = _states(request, ctx.api_version)
        return _response(
            ctx.api_version, denied, [ErrorCode.CLUSTER_AUTHORIZATION_FAILED] * len(denied), ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        )
    manager = ctx.broker.replica_manager
    version = ctx.api_version
    states = _states(request, version)
    if await stale_broker_epoch(ctx.broker, request):
        return _response(version, states, [ErrorCode.STALE_BROKER_EPOCH] * len(states), ErrorCode.STALE_BROKER_EPOCH)
    try:
        manager.check_controller_epoch(request.controller_id, request.controller_epoch)
    except KafkaError as exc:
        return _response(version, states, [exc.code()] * len(states), exc.code())
    manager.update_brokers(request.controller_id, {b.broker_id: (b.host_name, b.port) for b in request.live_leaders}, replace=False)
    codes: list[int] = []
    for name, _, state in states:
        try:
            codes.append(manager.apply_partition_state(name, state, bool(getattr(state, "is_new", False))))
        except KafkaError as exc:
            codes.append(exc.code())
        except OSError:
            codes.append(ErrorCode.KAFKA_STORAGE_ERROR)
    return _response(version, states, codes)
