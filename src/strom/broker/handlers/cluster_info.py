"""DescribeCluster (60), DescribeLogDirs (35), DeleteRecords (21)."""

from __future__ import annotations

import shutil

from strom.broker.authorizer import authorize, authorize_cluster, authorized_operations
from strom.broker.handlers import handles
from strom.broker.handlers.metadata import advertised_endpoint, cluster_brokers
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import delete_records as delete_records_schema
from strom.protocol.schema import describe_cluster as describe_cluster_schema
from strom.protocol.schema import describe_log_dirs as describe_log_dirs_schema
from strom.protocol.schema.delete_records import (
    DeleteRecordsPartitionResult,
    DeleteRecordsRequest,
    DeleteRecordsResponse,
    DeleteRecordsTopicResult,
)
from strom.protocol.schema.describe_cluster import DescribeClusterBroker, DescribeClusterRequest, DescribeClusterResponse
from strom.protocol.schema.describe_log_dirs import (
    DescribeLogDirsPartition,
    DescribeLogDirsRequest,
    DescribeLogDirsResponse,
    DescribeLogDirsResult,
    DescribeLogDirsTopic,
)
from strom.protocol.types import TP
from strom.security.acl import AclOperation, ResourceType


@handles(describe_cluster_schema.API_KEY)
async def describe_cluster(ctx: RequestContext, request: DescribeClusterRequest) -> DescribeClusterResponse:
    broker = ctx.broker
    if ctx.api_version >= 1 and request.endpoint_type != 1:
        return DescribeClusterResponse(
            error_code=ErrorCode.MISMATCHED_ENDPOINT_TYPE,
            error_message="The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
            endpoint_type=1,
        )
    host, port = advertised_endpoint(ctx)
    return DescribeClusterResponse(
        error_code=0,
        cluster_authorized_operations=authorized_operations(ctx, ResourceType.CLUSTER, "kafka-cluster")
        if request.include_cluster_authorized_operations
        else -(2**31),
        cluster_id=broker.metadata.cluster_id,
        controller_id=broker.metadata.controller_id if broker.cluster is not None else broker.broker_id,
        brokers=[
            DescribeClusterBroker(broker_id=b.node_id, host=b.host, port=b.port, rack=b.rack) for b in cluster_brokers(ctx, host, port)
        ],
    )


@handles(describe_log_dirs_schema.API_KEY)
async def describe_log_dirs(ctx: RequestContext, request: DescribeLogDirsRequest) -> DescribeLogDirsResponse:
    broker = ctx.broker
    if not authorize_cluster(ctx, AclOperation.DESCRIBE):
        return DescribeLogDirsResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results=[])
    wanted: set[TP] | None = None
    if request.topics is not None:
        wanted = {(t.topic, p) for t in request.topics for p in t.partitions}
    results: list[DescribeLogDirsResult] = []
    for d in broker.log_manager.log_dirs:
        if broker.log_manager.failure_channel.is_offline(d):  # as Kafka: the dir with its error, no partitions, sizes unknown
            results.append(
                DescribeLogDirsResult(
                    error_code=ErrorCode.KAFKA_STORAGE_ERROR, log_dir=str(d.resolve()), topics=[], total_bytes=-1, usable_bytes=-1
                )
            )
            continue
        by_topic: dict[str, list[DescribeLogDirsPartition]] = {}
        for (topic, index), plog in broker.log_manager.logs.items():
            if plog.directory.parent != d or (wanted is not None and (topic, index) not in wanted):
                continue
            by_topic.setdefault(topic, []).append(
                DescribeLogDirsPartition(partition_index=index, partition_size=plog.size_bytes, offset_lag=0, is_future_key=False)
            )
        usage = shutil.disk_usage(d)
        results.append(
            DescribeLogDirsResult(
                error_code=0,
                log_dir=str(d.resolve()),
                topics=[
                    DescribeLogDirsTopic(name=t, partitions=sorted(ps, key=lambda p: p.partition_index))
                    for t, ps in sorted(by_topic.items())
                ],
                total_bytes=usage.total,
                usable_bytes=usage.free,
            )
        )
    return DescribeLogDirsResponse(error_code=0, results=results)


@handles(delete_records_schema.API_KEY)
async def delete_records(ctx: RequestContext, request: DeleteRecordsRequest) -> DeleteRecordsResponse:
    broker = ctx.broker
    topics: list[DeleteRecordsTopicResult] = []
    for t in request.topics:
        parts: list[DeleteRecordsPartitionResult] = []
        if not authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name):
            denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            parts = [
                DeleteRecordsPartitionResult(partition_index=p.partition_index, low_watermark=-1, error_code=denied) for p in t.partitions
            ]
            topics.append(DeleteRecordsTopicResult(name=t.name, partitions=parts))
            continue
        for p in t.partitions:
            part = broker.replica_manager.partition(t.name, p.partition_index)
            if part is None:
                parts.append(
                    DeleteRecordsPartitionResult(
                        partition_index=p.partition_index, low_watermark=-1, error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                    )
                )
                continue
            offset = part.log.high_watermark if p.offset == -1 else p.offset
            try:
                if offset < 0:
                    raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE)
                low = part.log.delete_records_before(offset)
            except KafkaError as exc:
                parts.append(DeleteRecordsPartitionResult(partition_index=p.partition_index, low_watermark=-1, error_code=exc.code()))
                continue
            parts.append(DeleteRecordsPartitionResult(partition_index=p.partition_index, low_watermark=low, error_code=0))
        topics.append(DeleteRecordsTopicResult(name=t.name, partitions=parts))
    return DeleteRecordsResponse(topics=topics)
