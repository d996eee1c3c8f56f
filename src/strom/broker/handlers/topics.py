"""CreateTopics (19), DeleteTopics (20), CreatePartitions (37)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import TYPE_CHECKING

from strom.broker.authorizer import authorize, authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.primitives import NULL_UUID
from strom.protocol.schema import create_partitions as create_partitions_schema
from strom.protocol.schema import create_topics as create_topics_schema
from strom.protocol.schema import delete_topics as delete_topics_schema
from strom.protocol.schema.create_partitions import CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopicResult
from strom.protocol.schema.create_topics import (
    CreatableTopic,
    CreatableTopicConfigs,
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
)
from strom.protocol.schema.delete_topics import DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse
from strom.security.acl import AclOperation, ResourceType
from strom.storage.clock import Clock
from strom.storage.config import TOPIC_CONFIGS

if TYPE_CHECKING:
    from strom.broker.broker import Broker
    from strom.cluster.metadata import TopicState
    from strom.cluster.zk_broker import ClusterMember

DEFAULT_CONFIG_SOURCE = 5
TOPIC_CONFIG_SOURCE = 1


@handles(create_topics_schema.API_KEY)
async def create_topics(ctx: RequestContext, request: CreateTopicsRequest) -> CreateTopicsResponse:
    counts = Counter(t.name for t in request.topics)
    cluster_create = authorize_cluster(ctx, AclOperation.CREATE, log_denied=False)
    return CreateTopicsResponse(
        topics=[
            await _create_topic(ctx.broker, t, request, counts[t.name] > 1)
            if cluster_create or authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)
            else CreatableTopicResult(name=t.name, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED, error_message=_AUTHZ_FAILED)
            for t in request.topics
        ]
    )


_AUTHZ_FAILED = "Authorization failed."


async def _create_topic(broker: Broker, t: CreatableTopic, request: CreateTopicsRequest, duplicate: bool) -> CreatableTopicResult:
    if duplicate:
        return _invalid(t.name, "Create topics request from client contains a duplicate topic")
    configs = {c.name: c.value for c in t.configs}
    assignment = {a.partition_index: list(a.broker_ids) for a in t.assignments} or None
    if assignment and (t.num_partitions != -1 or t.replication_factor != -1):
        return _invalid(
            t.name, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."
        )
    try:
        await broker.admin(broker.create_topic, t.name, t.num_partitions, t.replication_factor, configs, assignment, request.validate_only)
    except KafkaError as exc:
        return CreatableTopicResult(name=t.name, error_code=exc.code(), error_message=exc.message)
    state = broker.metadata.topics.get(t.name)
    if state is None:  # validate_only: what would have been created
        n = t.num_partitions if t.num_partitions > 0 else broker.config["num.partitions"]
        return CreatableTopicResult(name=t.name, topic_id=NULL_UUID, error_code=0, num_partitions=n, replication_factor=1, configs=[])
    if broker.cluster is not None:
        await _await_leaders(broker.cluster, broker.clock, t.name, len(state.partitions), request.timeout_ms)
    return CreatableTopicResult(
        name=t.name,
        topic_id=state.uuid,
        error_code=0,
        num_partitions=len(state.partitions),
        replication_factor=len(state.partitions[0].replicas) if 0 in state.partitions else 1,
        configs=_described_configs(broker, state),
    )


def _invalid(name: str, message: str) -> CreatableTopicResult:
    return CreatableTopicResult(name=name, error_code=ErrorCode.INVALID_REQUEST, error_message=message)


def _described_configs(broker: Broker, state: TopicState) -> list[CreatableTopicConfigs]:
    """Every topic config of the new topic with its value and source (CreateTopics v5+ returns them)."""
    cfg = broker.topic_log_config(state.name)
    return [
        CreatableTopicConfigs(
            name=key,
            value=cfg.value_of(key),
            read_only=False,
            config_source=TOPIC_CONFIG_SOURCE if key in state.configs else DEFAULT_CONFIG_SOURCE,
            is_sensitive=False,
        )
        for key in sorted(TOPIC_CONFIGS)
    ]


async def _await_leaders(cluster: ClusterMember, clock: Clock, name: str, count: int, timeout_ms: int) -> None:
    """ZooKeeper mode: answer once this broker's metadata has leaders for the new topic (Kafka's
    DelayedCreatePartitions), so a client may produce right after CreateTopics returns."""
    deadline = clock.monotonic_ms() + max(0, min(timeout_ms, 30000))
    while not cluster.wait_for_partitions(name, count) and clock.monotonic_ms() < deadline:
        await asyncio.sleep(0.01)


@handles(delete_topics_schema.API_KEY)
async def delete_topics(ctx: RequestContext, request: DeleteTopicsRequest) -> DeleteTopicsResponse:
    broker = ctx.broker
    results: list[DeletableTopicResult] = []
    targets: list[tuple[str | None, uuid.UUID]]  # (name, the id the client named the topic by: zero before v6)
    if ctx.api_version >= 6:
        by_id = {t.uuid: t.name for t in broker.metadata.topics.values()}
        targets = [(t.name if t.name is not None else by_id.get(t.topic_id), t.topic_id) for t in request.topics]
    else:
        targets = [(n, NULL_UUID) for n in request.topic_names]
    for name, topic_id in targets:
        if name is None:
            results.append(DeletableTopicResult(name=None, topic_id=topic_id, error_code=ErrorCode.UNKNOWN_TOPIC_ID))
            continue
        state = broker.metadata.topics.get(name)
        tid = state.uuid if state else topic_id
        if not authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, name):
            results.append(DeletableTopicResult(name=name, topic_id=tid, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED))
            continue
        try:
            if state is not None and state.internal:
                raise KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "internal topics cannot be deleted")
            await broker.admin(broker.delete_topic, name)
        except KafkaError as exc:
            results.append(DeletableTopicResult(name=name, topic_id=tid, error_code=exc.code(), error_message=exc.message))
            continue
        results.append(DeletableTopicResult(name=name, topic_id=tid, error_code=0))
    return DeleteTopicsResponse(responses=results)


@handles(create_partitions_schema.API_KEY)
async def create_partitions(ctx: RequestContext, request: CreatePartitionsRequest) -> CreatePartitionsResponse:
    broker = ctx.broker
    results: list[CreatePartitionsTopicResult] = []
    for t in request.topics:
        if not authorize(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name):
            results.append(
                CreatePartitionsTopicResult(name=t.name, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED, error_message=_AUTHZ_FAILED)
            )
            continue
        try:
            if t.assignments is not None and broker.cluster is not None:
                assignment = [list(a.broker_ids) for a in t.assignments]
                await broker.admin(broker.add_partitions, t.name, t.count, request.validate_only, assignment)
                results.append(CreatePartitionsTopicResult(name=t.name, error_code=0))
                continue
            if t.assignments is not None:
                for a in t.assignments:
                    if any(b != broker.broker_id for b in a.broker_ids):
                        raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Unknown broker(s) in replica assignment: {a.broker_ids}.")
            await broker.admin(broker.add_partitions, t.name, t.count, request.validate_only)
        except KafkaError as exc:
            results.append(CreatePartitionsTopicResult(name=t.name, error_code=exc.code(), error_message=exc.message))
            continue
        results.append(CreatePartitionsTopicResult(name=t.name, error_code=0))
    return CreatePartitionsResponse(results=results)
