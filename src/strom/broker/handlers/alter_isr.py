"""AlterIsr / AlterPartition (56), controller side: a leader asks to shrink or expand its partition's ISR.

The controller checks the leader epoch and partition epoch (the state znode's version) the leader based
its request on, writes the new ISR to ZooKeeper and broadcasts UpdateMetadata.
"""

from __future__ import annotations

from functools import partial

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import alter_partition as schema
from strom.security.acl import AclOperation


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.AlterPartitionRequest) -> schema.AlterPartitionResponse:
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        return schema.AlterPartitionResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    broker = ctx.broker
    controller = broker.cluster.controller if broker.cluster is not None else None
    if controller is None or not controller.active:
        return schema.AlterPartitionResponse(error_code=ErrorCode.NOT_CONTROLLER)
    names = {}
    if ctx.api_version >= 2:
        names = {t.uuid: t.name for t in broker.metadata.topics.values()}
    items = []
    for t in request.topics:
        name = t.topic_name if ctx.api_version < 2 else names.get(t.topic_id, "")
        for p in t.partitions:
            isr = list(p.new_isr) if ctx.api_version < 3 else [b.broker_id for b in p.new_isr_with_epochs]
            items.append(((name, p.partition_index), p.leader_epoch, isr, p.partition_epoch))
    try:
        results = await controller.submit(partial(controller.alter_isr, request.broker_id, request.broker_epoch, items))
    except Exception:
        return schema.AlterPartitionResponse(error_code=ErrorCode.NOT_CONTROLLER)
    by_topic: dict[str, list[schema.AlterPartitionResponsePartitionData]] = {}
    for (name, index), (code, state) in results.items():
        by_topic.setdefault(name, []).append(
            schema.AlterPartitionResponsePartitionData(
                partition_index=index,
                error_code=code,
                leader_id=state.leader if state else -1,
                leader_epoch=state.leader_epoch if state else -1,
                isr=list(state.isr) if state else [],
                partition_epoch=state.zk_version if state else -1,
            )
        )
    ids = {t.name: t.uuid for t in broker.metadata.topics.values()}
    topics = [
        schema.AlterPartitionResponseTopicData(
            topic_name=name, topic_id=ids.get(name, schema.AlterPartitionResponseTopicData().topic_id), partitions=parts
        )
        for name, parts in by_topic.items()
    ]
    return schema.AlterPartitionResponse(error_code=0, topics=topics)
