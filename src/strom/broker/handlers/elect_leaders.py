"""ElectLeaders (43): preferred (0) or unclean (1) leader election, run by the controller (kafka-leader-election.sh)."""

from __future__ import annotations

from functools import partial

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.metadata import TopicState
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import elect_leaders as schema
from strom.protocol.schema.elect_leaders import ElectLeadersRequest, ElectLeadersResponse, PartitionResult, ReplicaElectionResult
from strom.protocol.types import TP
from strom.security.acl import AclOperation


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: ElectLeadersRequest) -> ElectLeadersResponse:
    broker = ctx.broker
    if not authorize_cluster(ctx, AclOperation.ALTER):  # every named partition carries it too (v0 has no top-level code)
        denied = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        return ElectLeadersResponse(
            error_code=denied,
            replica_election_results=[
                ReplicaElectionResult(
                    topic=t.topic, partition_result=[PartitionResult(partition_id=p, error_code=denied) for p in t.partitions]
                )
                for t in request.topic_partitions or []
            ],
        )
    election_type = request.election_type if ctx.api_version >= 1 else 0
    wanted: list[TP] | None = None
    if request.topic_partitions is not None:
        wanted = [(t.topic, p) for t in request.topic_partitions for p in t.partitions]
    results: dict[TP, tuple[int, str | None]]
    if broker.cluster is None:
        results = _on_one_broker(broker.metadata.topics, wanted)
    else:
        controller = broker.cluster.controller
        if controller is None or not controller.active:
            return ElectLeadersResponse(error_code=ErrorCode.NOT_CONTROLLER)
        if election_type not in (0, 1):
            return ElectLeadersResponse(error_code=ErrorCode.INVALID_REQUEST)
        try:
            results = await controller.submit(partial(controller.elect_leaders, election_type, wanted))
        except Exception:
            return ElectLeadersResponse(error_code=ErrorCode.NOT_CONTROLLER)
    by_topic: dict[str, list[PartitionResult]] = {}
    for (topic, p), (code, message) in sorted(results.items()):
        if ctx.api_version == 0 and code == ErrorCode.ELECTION_NOT_NEEDED:
            code, message = ErrorCode.NONE, None  # v0 had no ELECTION_NOT_NEEDED
        by_topic.setdefault(topic, []).append(PartitionResult(partition_id=p, error_code=code, error_message=message))
    return ElectLeadersResponse(
        error_code=0,
        replica_election_results=[ReplicaElectionResult(topic=t, partition_result=ps) for t, ps in by_topic.items()],
    )


def _on_one_broker(topics: dict[str, TopicState], wanted: list[TP] | None) -> dict[TP, tuple[int, str | None]]:
    """One broker leads every partition already: no election is needed for any partition it has."""
    targets = wanted if wanted is not None else [(t, p) for t, s in topics.items() for p in s.partitions]
    results: dict[TP, tuple[int, str | None]] = {}
    for topic, index in targets:
        known = topic in topics and index in topics[topic].partitions
        results[(topic, index)] = (ErrorCode.ELECTION_NOT_NEEDED if known else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None)
    return results
