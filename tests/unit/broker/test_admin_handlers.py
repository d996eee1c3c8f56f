"""The admin handlers on an embedded broker, without sockets: each request goes through its route as the
server sends it (encoded at a version, decoded by the route's request class) and each response is read back
from its encoding at that version, so what is asserted is what a client would get."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.broker.handlers import HANDLERS
from strom.broker.request_context import RequestContext
from strom.broker.server import KafkaConnection
from strom.protocol.compiler import Message
from strom.protocol.errors import ErrorCode
from strom.protocol.headers import RequestHeader
from strom.protocol.messages import RESPONSE_TYPES
from strom.protocol.primitives import NULL_UUID
from strom.protocol.schema import alter_partition_reassignments as apr
from strom.protocol.schema import create_topics as ct
from strom.protocol.schema import delete_topics as dt
from strom.protocol.schema import describe_configs as dc
from strom.protocol.schema import elect_leaders as el
from strom.protocol.schema import incremental_alter_configs as iac
from strom.security.principal import ANONYMOUS

R = TypeVar("R", bound=Message)
TOPIC_RESOURCE = 2


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path)}))
    b.create_topic("kept", 2, 1, {})
    yield b
    b.log_manager.close()


def call(broker: Broker, request: Message, response_type: type[R], version: int) -> R:
    route = HANDLERS[request.API_KEY]
    decoded, _ = route.request_type.decode(request.encode(version), version)
    header = RequestHeader(request.API_KEY, version, 1, "admin-test")
    listener = broker.config.listeners[0]
    connection = KafkaConnection(broker, listener)
    ctx = RequestContext(broker, header, "127.0.0.1", "127.0.0.1", 9092, connection, ANONYMOUS, listener.name, listener.security_protocol)
    response = asyncio.run(route.handler(ctx, decoded))
    assert response is not None
    assert RESPONSE_TYPES[request.API_KEY] is response_type
    back, _ = response_type.decode(response.encode(version), version)
    return back


def test_delete_topics_by_name_deletes_what_exists_and_reports_what_does_not(broker: Broker) -> None:
    response = call(broker, dt.DeleteTopicsRequest(topic_names=["missing", "kept"]), dt.DeleteTopicsResponse, 5)
    missing, kept = response.responses
    assert (missing.name, missing.error_code) == ("missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert (kept.name, kept.error_code) == ("kept", ErrorCode.NONE)
    assert "kept" not in broker.metadata.topics


def test_delete_topics_by_id_echoes_an_unknown_id_and_finds_a_known_one(broker: Broker) -> None:
    unknown = uuid.uuid4()
    known = broker.metadata.topics["kept"].uuid
    request = dt.DeleteTopicsRequest(
        topics=[dt.DeleteTopicState(name=None, topic_id=unknown), dt.DeleteTopicState(name=None, topic_id=known)]
    )
    first, second = call(broker, request, dt.DeleteTopicsResponse, 6).responses
    assert (first.name, first.topic_id, first.error_code) == (None, unknown, ErrorCode.UNKNOWN_TOPIC_ID)
    assert (second.name, second.topic_id, second.error_code) == ("kept", known, ErrorCode.NONE)


def test_create_topics_refuses_duplicates_and_describes_what_it_created(broker: Broker) -> None:
    request = ct.CreateTopicsRequest(
        topics=[
            ct.CreatableTopic(name="twice", num_partitions=1, replication_factor=1),
            ct.CreatableTopic(name="twice", num_partitions=1, replication_factor=1),
            ct.CreatableTopic(
                name="both",
                num_partitions=1,
                replication_factor=-1,
                assignments=[ct.CreatableReplicaAssignment(partition_index=0, broker_ids=[broker.broker_id])],
            ),
            ct.CreatableTopic(
                name="new",
                num_partitions=3,
                replication_factor=1,
                configs=[ct.CreatableTopicConfig(name="cleanup.policy", value="compact")],
            ),
        ]
    )
    twice, again, both, new = call(broker, request, ct.CreateTopicsResponse, 7).topics  # topic ids from v7
    assert twice.error_code == again.error_code == both.error_code == ErrorCode.INVALID_REQUEST
    assert both.error_message is not None and "Both numPartitions" in both.error_message
    assert (new.error_code, new.num_partitions, new.replication_factor) == (ErrorCode.NONE, 3, 1)
    assert new.topic_id == broker.metadata.topics["new"].uuid != NULL_UUID
    assert new.configs is not None
    sources = {c.name: (c.value, c.config_source) for c in new.configs}
    assert sources["cleanup.policy"] == ("compact", 1)  # set on the topic
    assert sources["retention.ms"][1] == 5  # the default


def test_create_topics_validate_only_creates_nothing(broker: Broker) -> None:
    request = ct.CreateTopicsRequest(topics=[ct.CreatableTopic(name="dry", num_partitions=2, replication_factor=1)], validate_only=True)
    (result,) = call(broker, request, ct.CreateTopicsResponse, 7).topics
    assert (result.error_code, result.topic_id, result.num_partitions) == (ErrorCode.NONE, NULL_UUID, 2)
    assert "dry" not in broker.metadata.topics


@pytest.mark.parametrize(("version", "expected"), [(0, ErrorCode.NONE), (1, ErrorCode.ELECTION_NOT_NEEDED)])
def test_elect_leaders_on_one_broker_needs_no_election(broker: Broker, version: int, expected: ErrorCode) -> None:
    request = el.ElectLeadersRequest(topic_partitions=[el.TopicPartitions(topic="kept", partitions=[0, 7])])
    (result,) = call(broker, request, el.ElectLeadersResponse, version).replica_election_results
    assert [(p.partition_id, p.error_code) for p in result.partition_result] == [(0, expected), (7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]


def test_partition_reassignment_on_one_broker(broker: Broker) -> None:
    request = apr.AlterPartitionReassignmentsRequest(
        topics=[
            apr.ReassignableTopic(
                name="kept",
                partitions=[
                    apr.ReassignablePartition(partition_index=0, replicas=[broker.broker_id]),
                    apr.ReassignablePartition(partition_index=1, replicas=None),
                    apr.ReassignablePartition(partition_index=5, replicas=[broker.broker_id]),
                ],
            ),
            apr.ReassignableTopic(name="other", partitions=[apr.ReassignablePartition(partition_index=0, replicas=[broker.broker_id + 1])]),
        ]
    )
    response = call(broker, request, apr.AlterPartitionReassignmentsResponse, 0)
    codes = {(t.name, p.partition_index): (p.error_code, p.error_message) for t in response.responses for p in t.partitions}
    assert codes[("kept", 0)] == (ErrorCode.NONE, None)
    assert codes[("kept", 1)][0] == ErrorCode.NO_REASSIGNMENT_IN_PROGRESS
    assert codes[("kept", 5)][0] == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    assert codes[("other", 0)][0] == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_incremental_alter_configs_appends_and_subtracts_list_values(broker: Broker) -> None:
    def change(operation: int, value: str) -> None:
        alter = iac.AlterConfigsResource(
            resource_type=TOPIC_RESOURCE,
            resource_name="kept",
            configs=[iac.AlterableConfig(name="cleanup.policy", config_operation=operation, value=value)],
        )
        (result,) = call(broker, iac.IncrementalAlterConfigsRequest(resources=[alter]), iac.IncrementalAlterConfigsResponse, 1).responses
        assert result.error_code == ErrorCode.NONE, result.error_message

    def described() -> list[str]:
        resource = dc.DescribeConfigsResource(resource_type=TOPIC_RESOURCE, resource_name="kept", configuration_keys=["cleanup.policy"])
        (result,) = call(broker, dc.DescribeConfigsRequest(resources=[resource]), dc.DescribeConfigsResponse, 4).results
        (config,) = result.configs
        return sorted((config.value or "").split(","))

    change(2, "compact")  # APPEND
    assert described() == ["compact", "delete"]
    change(3, "delete")  # SUBTRACT
    assert described() == ["compact"]


def test_describe_configs_never_returns_a_password(tmp_path: Path) -> None:
    b = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path), "ssl.keystore.password": "secret"}))
    try:
        keys = ["ssl.keystore.password", "ssl.client.auth"]
        resource = dc.DescribeConfigsResource(resource_type=4, resource_name="0", configuration_keys=keys)
        request = dc.DescribeConfigsRequest(resources=[resource], include_synonyms=True)
        (result,) = call(b, request, dc.DescribeConfigsResponse, 4).results
        by_name = {c.name: c for c in result.configs}
        password = by_name["ssl.keystore.password"]
        assert (password.value, password.is_sensitive) == (None, True)
        assert all(s.value is None for s in password.synonyms)
        assert (by_name["ssl.client.auth"].value, by_name["ssl.client.auth"].is_sensitive) == ("none", False)
    finally:
        b.log_manager.close()
