"""AlterPartitionReassignments (45) and ListPartitionReassignments (46), handled by the controller (KIP-455)."""

from __future__ import annotations

from functools import partial

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.controller import Controller
from strom.cluster.metadata import TopicState
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import alter_partition_reassignments as alter
from strom.protocol.schema import list_partition_reassignments as listing
from strom.protocol.types import TP
from strom.security.acl import AclOperation

Ongoing = dict[TP, tuple[list[int], list[int], list[int]]]
"""Reassignments in progress: partition -> (replicas, adding, removing)."""


def _controller(ctx: RequestContext) -> Controller | None:
    cluster = ctx.broker.cluster
    controller: Controller | None = cluster.controller if cluster is not None else None
    return controller if controller is not None and controller.active else None


@handles(alter.API_KEY)
async def alter_reassignments(
    ctx: RequestContext, request: alter.AlterPartitionReassignmentsRequest
) -> alter.AlterPartitionReassignmentsResponse:
    broker = ctx.broker
    if not authorize_cluster(ctx, AclOperation.ALTER):
        return alter.AlterPartitionReassignmentsResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=None)
    changes: dict[TP, list[int] | None] = {
        (t.name, p.partition_index): (list(p.replicas) if p.replicas is not None else None) for t in request.topics for p in t.partitions
    }
    results: dict[TP, tuple[int, str | None]]
    if broker.cluster is None:
        results = {tp: _on_one_broker(broker.metadata.topics, broker.broker_id, tp, replicas) for tp, replicas in changes.items()}
    else:
        controller = _controller(ctx)
        if controller is None:
            return alter.AlterPartitionReassignmentsResponse(
                error_code=ErrorCode.NOT_CONTROLLER, error_message="This is not the controller."
            )
        try:
            results = await controller.submit(partial(controller.alter_reassignments, changes))
        except Exception:
            return alter.AlterPartitionReassignmentsResponse(error_code=ErrorCode.NOT_CONTROLLER)
    by_topic: dict[str, list[alter.ReassignablePartitionResponse]] = {}
    for (topic, index), (code, message) in results.items():
        by_topic.setdefault(topic, []).append(
            alter.ReassignablePartitionResponse(partition_index=index, error_code=code, error_message=message)
        )
    return alter.AlterPartitionReassignmentsResponse(
        error_code=0,
        responses=[alter.ReassignableTopicResponse(name=t, partitions=ps) for t, ps in by_topic.items()],
    )


def _on_one_broker(topics: dict[str, TopicState], broker_id: int, tp: TP, replicas: list[int] | None) -> tuple[int, str | None]:
    """One broker: its partitions can only be assigned to itself, so nothing is ever being reassigned."""
    state = topics.get(tp[0])
    if state is None or tp[1] not in state.partitions:
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The partition does not exist."
    if replicas is None:
        return ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "No ongoing reassignment for this partition."
    if replicas != [broker_id]:
        return ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Unknown broker(s) in replica assignment: {replicas}."
    return ErrorCode.NONE, None


@handles(listing.API_KEY)
async def list_reassignments(
    ctx: RequestContext, request: listing.ListPartitionReassignmentsRequest
) -> listing.ListPartitionReassignmentsResponse:
    broker = ctx.broker
    if not authorize_cluster(ctx, AclOperation.DESCRIBE):
        return listing.ListPartitionReassignmentsResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=None)
    wanted: list[TP] | None = None
    if request.topics is not None:
        wanted = [(t.name, p) for t in request.topics for p in t.partition_indexes]
    if broker.cluster is None:
        ongoing: Ongoing = {}
    else:
        controller = _controller(ctx)
        if controller is None:
            return listing.ListPartitionReassignmentsResponse(
                error_code=ErrorCode.NOT_CONTROLLER, error_message="This is not the controller."
            )
        ongoing = await controller.submit(partial(_ongoing, controller, wanted))
    by_topic: dict[str, list[listing.OngoingPartitionReassignment]] = {}
    for (topic, index), (replicas, adding, removing) in sorted(ongoing.items()):
        by_topic.setdefault(topic, []).append(
            listing.OngoingPartitionReassignment(
                partition_index=index, replicas=replicas, adding_replicas=adding, removing_replicas=removing
            )
        )
    return listing.ListPartitionReassignmentsResponse(
        error_code=0, topics=[listing.OngoingTopicReassignment(name=t, partitions=ps) for t, ps in by_topic.items()]
    )


async def _ongoing(controller: Controller, wanted: list[TP] | None) -> Ongoing:
    return controller.ongoing_reassignments(wanted)
