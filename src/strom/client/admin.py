"""Async admin operations over the Kafka protocol (topics, configs, groups, offsets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strom.client.cluster import Cluster
from strom.protocol.errors import KafkaError
from strom.protocol.schema import create_partitions, create_topics, delete_topics, describe_configs


@dataclass(frozen=True, slots=True)
class NewTopic:
    topic: str
    num_partitions: int = -1
    replication_factor: int = -1
    config: dict[str, str] | None = None
    replica_assignment: dict[int, list[int]] | None = None


class AsyncAdmin:
    def __init__(self, bootstrap_servers: str, client_id: str = "strom-admin", request_timeout_ms: int = 30000) -> None:
        self.cluster = Cluster(bootstrap_servers, client_id, request_timeout_ms)

    async def create_topics(
        self, topics: list[NewTopic], validate_only: bool = False, timeout_ms: int = 30000
    ) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        req = create_topics.CreateTopicsRequest(
            topics=[
                create_topics.CreatableTopic(
                    name=t.topic,
                    num_partitions=t.num_partitions if not t.replica_assignment else -1,
                    replication_factor=t.replication_factor if not t.replica_assignment else -1,
                    assignments=[
                        create_topics.CreatableReplicaAssignment(partition_index=p, broker_ids=b)
                        for p, b in (t.replica_assignment or {}).items()
                    ],
                    configs=[create_topics.CreatableTopicConfig(name=k, value=v) for k, v in (t.config or {}).items()],
                )
                for t in topics
            ],
            timeout_ms=timeout_ms,
            validate_only=validate_only,
        )
        resp = await conn.send(req)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.topics}

    async def delete_topics(self, names: list[str], timeout_ms: int = 30000) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        version = conn.version_for(20)
        if version >= 6:
            req = delete_topics.DeleteTopicsRequest(topics=[delete_topics.DeleteTopicState(name=n) for n in names], timeout_ms=timeout_ms)
        else:
            req = delete_topics.DeleteTopicsRequest(topic_names=names, timeout_ms=timeout_ms)
        resp = await conn.send(req, version)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.responses}

    async def create_partitions(self, counts: dict[str, int], validate_only: bool = False) -> dict[str, KafkaError | None]:
        conn = await self.cluster.controller()
        req = create_partitions.CreatePartitionsRequest(
            topics=[create_partitions.CreatePartitionsTopic(name=n, count=c, assignments=None) for n, c in counts.items()],
            timeout_ms=30000,
            validate_only=validate_only,
        )
        resp = await conn.send(req)
        return {r.name: (KafkaError(r.error_code, r.error_message) if r.error_code else None) for r in resp.results}

    async def list_topics(self, topics: list[str] | None = None) -> Any:
        return await self.cluster.refresh(topics)

    async def describe_configs(self, resource_type: int, names: list[str]) -> Any:
        conn = await self.cluster.any_connection()
        req = describe_configs.DescribeConfigsRequest(
            resources=[
                describe_configs.DescribeConfigsResource(resource_type=resource_type, resource_name=n, configuration_keys=None)
                for n in names
            ],
            include_synonyms=True,
        )
        return await conn.send(req)

    async def close(self) -> None:
        self.cluster.close()
