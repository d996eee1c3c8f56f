"""CreateAcls / DescribeAcls / DeleteAcls and the authorization checks of the handlers on an embedded broker
with an authorizer, without sockets: requests go through their routes at a version, as principals chosen
per call (RequestContext carries the principal a TLS or SASL handshake would have set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from strom.broker import handlers as handler_modules
from strom.broker.authorizer import acl_host
from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig, ConfigError
from strom.broker.handlers import HANDLERS
from strom.broker.request_context import RequestContext
from strom.broker.server import KafkaConnection
from strom.protocol.compiler import Message
from strom.protocol.errors import ErrorCode
from strom.protocol.headers import RequestHeader
from strom.protocol.records import BatchBuilder
from strom.protocol.schema import create_acls as ca
from strom.protocol.schema import create_topics as ct
from strom.protocol.schema import delete_acls as da
from strom.protocol.schema import delete_groups as dg
from strom.protocol.schema import delete_topics as dt
from strom.protocol.schema import describe_acls as dsa
from strom.protocol.schema import describe_cluster as dcl
from strom.protocol.schema import describe_configs as dc
from strom.protocol.schema import elect_leaders as el
from strom.protocol.schema import end_txn as et
from strom.protocol.schema import fetch as fe
from strom.protocol.schema import find_coordinator as fc
from strom.protocol.schema import init_producer_id as pi
from strom.protocol.schema import join_group as jg
from strom.protocol.schema import list_offsets as lo
from strom.protocol.schema import metadata as md
from strom.protocol.schema import produce as pr
from strom.protocol.schema import update_metadata as um
from strom.security.acl import SUPPORTED_OPERATIONS, AclOperation, AclPermissionType, PatternType, ResourceType, operations_bitfield
from strom.security.principal import KafkaPrincipal

R = TypeVar("R", bound=Message)
ADMIN = KafkaPrincipal("User", "admin")
ALICE = KafkaPrincipal("User", "alice")
BOB = KafkaPrincipal("User", "bob")


def make_broker(path: Path, **extra: str) -> Broker:
    overrides = {
        "log.dirs": str(path),
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "super.users": "User:admin",
        "num.partitions": "1",
    }
    overrides.update(extra)
    return Broker(BrokerConfig.load(None, overrides))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = make_broker(tmp_path)
    b.create_topic("t1", 1, 1, {})
    yield b
    b.log_manager.close()


def call(broker: Broker, request: Message, version: int, principal: KafkaPrincipal = ADMIN, host: str = "127.0.0.1") -> Message:
    route = HANDLERS[request.API_KEY]
    decoded, _ = route.request_type.decode(request.encode(version), version)
    header = RequestHeader(request.API_KEY, version, 1, "acl-test")
    listener = broker.config.listeners[0]
    ctx = RequestContext(
        broker, header, host, "127.0.0.1", 9092, KafkaConnection(broker, listener), principal, listener.name, listener.security_protocol
    )
    response = asyncio.run(route.handler(ctx, decoded))
    assert response is not None
    back, _ = type(response).decode(response.encode(version), version)
    return back


def creation(name: str, principal: str, op: AclOperation, perm: AclPermissionType = AclPermissionType.ALLOW, **kw: int) -> ca.AclCreation:
    return ca.AclCreation(
        resource_type=kw.get("resource_type", ResourceType.TOPIC),
        resource_name=name,
        resource_pattern_type=kw.get("pattern_type", PatternType.LITERAL),
        principal=principal,
        host="*",
        operation=op,
        permission_type=perm,
    )


def describe_all(broker: Broker) -> dsa.DescribeAclsResponse:
    request = dsa.DescribeAclsRequest(
        resource_type_filter=ResourceType.ANY,
        resource_name_filter=None,
        pattern_type_filter=PatternType.ANY,
        principal_filter=None,
        host_filter=None,
        operation=AclOperation.ANY,
        permission_type=AclPermissionType.ANY,
    )
    response = call(broker, request, 3)
    assert isinstance(response, dsa.DescribeAclsResponse)
    return response


def test_unknown_authorizer_class_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="authorizer.class.name"):
        BrokerConfig.load(None, {"log.dirs": str(tmp_path), "authorizer.class.name": "com.example.Nope"})


def test_no_authorizer_answers_security_disabled(tmp_path: Path) -> None:
    b = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path)}))
    try:
        response = call(b, ca.CreateAclsRequest(creations=[creation("t1", "User:alice", AclOperation.READ)]), 3)
        assert isinstance(response, ca.CreateAclsResponse)
        assert response.results[0].error_code == ErrorCode.SECURITY_DISABLED
    finally:
        b.log_manager.close()


def test_create_describe_delete_round_trip_and_per_binding_errors(broker: Broker) -> None:
    request = ca.CreateAclsRequest(
        creations=[
            creation("t1", "User:alice", AclOperation.READ),
            creation("t", "User:alice", AclOperation.WRITE, pattern_type=PatternType.PREFIXED),
            creation("other", "User:alice", AclOperation.READ, resource_type=ResourceType.CLUSTER),
            creation("t1", "alice-without-type", AclOperation.READ),
        ]
    )
    response = call(broker, request, 3)
    assert isinstance(response, ca.CreateAclsResponse)
    assert [r.error_code for r in response.results] == [0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]
    resources = {(r.resource_name, r.pattern_type): [a.operation for a in r.acls] for r in describe_all(broker).resources}
    assert resources == {("t1", PatternType.LITERAL): [AclOperation.READ], ("t", PatternType.PREFIXED): [AclOperation.WRITE]}
    delete = da.DeleteAclsRequest(
        filters=[
            da.DeleteAclsFilter(
                resource_type_filter=ResourceType.TOPIC,
                resource_name_filter="t1",
                pattern_type_filter=PatternType.MATCH,
                principal_filter=None,
                host_filter=None,
                operation=AclOperation.ANY,
                permission_type=AclPermissionType.ANY,
            )
        ]
    )
    deleted = call(broker, delete, 3)
    assert isinstance(deleted, da.DeleteAclsResponse)
    assert sorted(m.resource_name for m in deleted.filter_results[0].matching_acls) == ["t", "t1"]
    assert describe_all(broker).resources == []


def test_acl_apis_need_cluster_permissions(broker: Broker) -> None:
    response = call(broker, ca.CreateAclsRequest(creations=[creation("t1", "User:bob", AclOperation.READ)]), 1, principal=BOB)
    assert isinstance(response, ca.CreateAclsResponse)
    assert response.results[0].error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    describe = dsa.DescribeAclsRequest(
        resource_type_filter=ResourceType.ANY, operation=AclOperation.ANY, permission_type=AclPermissionType.ANY
    )
    described = call(broker, describe, 1, principal=BOB)
    assert isinstance(described, dsa.DescribeAclsResponse)
    assert described.error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED


def test_acls_persist_across_a_restart(tmp_path: Path) -> None:
    b = make_broker(tmp_path)
    call(b, ca.CreateAclsRequest(creations=[creation("t1", "User:alice", AclOperation.READ)]), 3)
    b.log_manager.close()
    again = make_broker(tmp_path)
    try:
        assert again.authorizer is not None
        assert again.authorizer.authorize("User:alice", "1.2.3.4", AclOperation.READ, ResourceType.TOPIC, "t1", 0)
        assert not again.authorizer.authorize("User:bob", "1.2.3.4", AclOperation.READ, ResourceType.TOPIC, "t1", 0)
    finally:
        again.log_manager.close()


def test_a_denial_logs_kafkas_authorizer_line(broker: Broker, caplog: pytest.LogCaptureFixture) -> None:
    assert broker.authorizer is not None
    with caplog.at_level(logging.INFO, logger="kafka.authorizer.logger"):
        assert not broker.authorizer.authorize("User:bob", "127.0.0.1", AclOperation.WRITE, ResourceType.TOPIC, "t1", 0)
    assert (
        "Principal = User:bob is Denied Operation = Write from host = 127.0.0.1 on resource = Topic:LITERAL:t1 for request = Produce"
        in caplog.text
    )


def grant(broker: Broker, *creations: ca.AclCreation) -> None:
    response = call(broker, ca.CreateAclsRequest(creations=list(creations)), 3)
    assert isinstance(response, ca.CreateAclsResponse)
    assert [r.error_code for r in response.results] == [0] * len(creations)


def test_metadata_hides_undescribable_topics_and_fills_authorized_operations(broker: Broker) -> None:
    broker.create_topic("t2", 1, 1, {})
    grant(broker, creation("t1", "User:alice", AclOperation.READ))
    listing = call(broker, md.MetadataRequest(topics=None, include_topic_authorized_operations=True), 12, principal=ALICE)
    assert isinstance(listing, md.MetadataResponse)
    assert [t.name for t in listing.topics] == ["t1"]
    assert listing.topics[0].topic_authorized_operations == (1 << AclOperation.READ) | (1 << AclOperation.DESCRIBE)
    asked = call(
        broker, md.MetadataRequest(topics=[md.MetadataRequestTopic(name="t2")], allow_auto_topic_creation=True), 12, principal=ALICE
    )
    assert isinstance(asked, md.MetadataResponse)
    assert asked.topics[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    everything = call(broker, md.MetadataRequest(topics=None, include_cluster_authorized_operations=True), 10)
    assert isinstance(everything, md.MetadataResponse)
    assert [t.name for t in everything.topics] == ["t1", "t2"]
    assert everything.cluster_authorized_operations == operations_bitfield(SUPPORTED_OPERATIONS[ResourceType.CLUSTER])


def test_metadata_without_authorizer_reports_every_applicable_operation(tmp_path: Path) -> None:
    b = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path)}))
    b.create_topic("t1", 1, 1, {})
    try:
        request = md.MetadataRequest(topics=None, include_cluster_authorized_operations=True, include_topic_authorized_operations=True)
        response = call(b, request, 9, principal=BOB)
        assert isinstance(response, md.MetadataResponse)
        assert response.cluster_authorized_operations == operations_bitfield(SUPPORTED_OPERATIONS[ResourceType.CLUSTER])
        assert response.topics[0].topic_authorized_operations == operations_bitfield(SUPPORTED_OPERATIONS[ResourceType.TOPIC])
    finally:
        b.log_manager.close()


def test_produce_fetch_and_list_offsets_answer_topic_authorization_failed(broker: Broker) -> None:
    builder = BatchBuilder()
    builder.append(b"v", key=b"k", timestamp=1)
    produce = pr.ProduceRequest(
        acks=1,
        timeout_ms=1000,
        topic_data=[pr.TopicProduceData(name="t1", partition_data=[pr.PartitionProduceData(index=0, records=builder.build())])],
    )
    produced = call(broker, produce, 8, principal=BOB)
    assert isinstance(produced, pr.ProduceResponse)
    assert produced.responses[0].partition_responses[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    assert broker.replica_manager.partitions[("t1", 0)].log.log_end_offset == 0
    txn = pr.ProduceRequest(transactional_id="tx", acks=1, timeout_ms=1000, topic_data=produce.topic_data)
    refused = call(broker, txn, 8, principal=BOB)
    assert isinstance(refused, pr.ProduceResponse)
    assert refused.responses[0].partition_responses[0].error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    fetch = fe.FetchRequest(
        max_wait_ms=0,
        topics=[fe.FetchTopic(topic="t1", partitions=[fe.FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1024)])],
    )
    fetched = call(broker, fetch, 11, principal=BOB)
    assert isinstance(fetched, fe.FetchResponse)
    assert fetched.responses[0].partitions[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    offsets = lo.ListOffsetsRequest(
        replica_id=-1, topics=[lo.ListOffsetsTopic(name="t1", partitions=[lo.ListOffsetsPartition(partition_index=0, timestamp=-1)])]
    )
    listed = call(broker, offsets, 5, principal=BOB)
    assert isinstance(listed, lo.ListOffsetsResponse)
    assert listed.topics[0].partitions[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    grant(broker, creation("t", "User:bob", AclOperation.READ, pattern_type=PatternType.PREFIXED))
    listed = call(broker, offsets, 5, principal=BOB)
    assert isinstance(listed, lo.ListOffsetsResponse)
    assert listed.topics[0].partitions[0].error_code == ErrorCode.NONE  # READ implies DESCRIBE


def test_group_and_transaction_apis_answer_their_authorization_errors(broker: Broker) -> None:
    join = jg.JoinGroupRequest(
        group_id="g", session_timeout_ms=10000, rebalance_timeout_ms=10000, member_id="", protocol_type="consumer", protocols=[]
    )
    joined = call(broker, join, 7, principal=BOB)
    assert isinstance(joined, jg.JoinGroupResponse)
    assert joined.error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED
    found = call(broker, fc.FindCoordinatorRequest(key="tx", key_type=1), 3, principal=BOB)
    assert isinstance(found, fc.FindCoordinatorResponse)
    assert found.error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    init = pi.InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=60000)
    refused = call(broker, init, 4, principal=BOB)
    assert isinstance(refused, pi.InitProducerIdResponse)
    assert refused.error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    grant(broker, creation("t1", "User:bob", AclOperation.WRITE))  # KIP-679: WRITE on a topic is enough
    allowed = call(broker, init, 4, principal=BOB)
    assert isinstance(allowed, pi.InitProducerIdResponse)
    assert allowed.error_code == ErrorCode.NONE and allowed.producer_id >= 0
    end = et.EndTxnRequest(transactional_id="tx", producer_id=1, producer_epoch=0, committed=True)
    ended = call(broker, end, 3, principal=BOB)
    assert isinstance(ended, et.EndTxnResponse)
    assert ended.error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    deleted = call(broker, dg.DeleteGroupsRequest(groups_names=["g"]), 2, principal=BOB)
    assert isinstance(deleted, dg.DeleteGroupsResponse)
    assert deleted.results[0].error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED


def test_admin_and_inter_broker_apis_need_their_cluster_and_topic_permissions(broker: Broker) -> None:
    topic = dc.DescribeConfigsResource(resource_type=2, resource_name="t1", configuration_keys=None)
    node = dc.DescribeConfigsResource(resource_type=4, resource_name="0", configuration_keys=None)
    described = call(broker, dc.DescribeConfigsRequest(resources=[topic, node]), 4, principal=BOB)
    assert isinstance(described, dc.DescribeConfigsResponse)
    assert [r.error_code for r in described.results] == [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]
    grant(broker, creation("t1", "User:bob", AclOperation.ALTER_CONFIGS))  # implies DESCRIBE_CONFIGS
    described = call(broker, dc.DescribeConfigsRequest(resources=[topic]), 4, principal=BOB)
    assert isinstance(described, dc.DescribeConfigsResponse)
    assert described.results[0].error_code == ErrorCode.NONE
    deleted = call(broker, dt.DeleteTopicsRequest(topic_names=["t1"]), 5, principal=BOB)
    assert isinstance(deleted, dt.DeleteTopicsResponse)
    assert deleted.responses[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED and "t1" in broker.metadata.topics
    created = call(broker, ct.CreateTopicsRequest(topics=[ct.CreatableTopic(name="new", num_partitions=1, replication_factor=1)]), 5, BOB)
    assert isinstance(created, ct.CreateTopicsResponse)
    assert created.topics[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    updated = call(broker, um.UpdateMetadataRequest(controller_id=1, controller_epoch=1), 7, principal=BOB)
    assert isinstance(updated, um.UpdateMetadataResponse)
    assert updated.error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    cluster = call(broker, dcl.DescribeClusterRequest(include_cluster_authorized_operations=True), 0, principal=BOB)
    assert isinstance(cluster, dcl.DescribeClusterResponse)
    assert cluster.cluster_authorized_operations == 0


def test_elect_leaders_denied_names_every_partition_for_v0_clients(broker: Broker) -> None:
    request = el.ElectLeadersRequest(topic_partitions=[el.TopicPartitions(topic="t1", partitions=[0])])
    response = call(broker, request, 0, principal=BOB)
    assert isinstance(response, el.ElectLeadersResponse)
    [result] = response.replica_election_results
    assert [p.error_code for p in result.partition_result] == [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]


def test_client_addresses_are_named_as_kafkas_acls_name_them() -> None:
    assert acl_host("127.0.0.1") == "127.0.0.1"
    assert acl_host("::1") == "0:0:0:0:0:0:0:1"
    assert acl_host("fe80::1%eth0") == "fe80:0:0:0:0:0:0:1%eth0"
    assert acl_host("::ffff:10.0.0.7") == "10.0.0.7"


def test_every_handler_module_authorizes_its_requests() -> None:
    """A new API must say what it checks (Kafka's KafkaApis checks every API but these, which run before
    or without authentication)."""
    unchecked = {"__init__.py", "api_versions.py", "sasl_handshake.py", "sasl_authenticate.py"}
    handlers_dir = Path(handler_modules.__file__ or "").parent
    missing = [p.name for p in sorted(handlers_dir.glob("*.py")) if p.name not in unchecked and "authoriz" not in p.read_text()]
    assert missing == []
