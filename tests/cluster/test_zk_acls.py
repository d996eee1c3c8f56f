"""ACLs in a ZooKeeper cluster: stored as Kafka 2.8 stores them, and an ACL created through one broker is
applied by every broker within seconds (each follows /kafka-acl-changes and /kafka-acl-extended-changes)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from strom.cluster import zk_acl
from strom.cluster.zookeeper import ZkClient
from strom.protocol.schema import create_acls as ca
from strom.protocol.schema import delete_acls as da
from strom.protocol.schema import describe_acls as dsa
from strom.security.acl import AccessControlEntry, AclOperation, AclPermissionType, ResourcePattern, ResourceType
from strom.testing.zookeeper import ZooKeeperProcess
from strom.transport.connection import BrokerConnection
from tests.cluster.conftest import Cluster, wait_until

ANY_FILTER = {
    "resource_type_filter": 1,
    "resource_name_filter": None,
    "pattern_type_filter": 1,
    "principal_filter": None,
    "host_filter": None,
    "operation": 1,
    "permission_type": 1,
}


def send(cluster: Cluster, broker_id: int, request: Any) -> Any:
    async def go() -> Any:
        conn = BrokerConnection("127.0.0.1", cluster.brokers[broker_id].port)
        await conn.connect()
        try:
            return await conn.send(request)
        finally:
            conn.close()

    return asyncio.run(go())


def described(cluster: Cluster, broker_id: int) -> set[tuple[str, int, str, int]]:
    resp = send(cluster, broker_id, dsa.DescribeAclsRequest(**ANY_FILTER))
    assert resp.error_code == 0
    return {(r.resource_name, r.pattern_type, a.principal, a.operation) for r in resp.resources for a in r.acls}


def test_an_acl_created_on_one_broker_is_applied_by_all(cluster_factory: Any) -> None:
    cluster = cluster_factory(3, authorizer_class_name="kafka.security.authorizer.AclAuthorizer", super_users="User:ANONYMOUS")
    creations = [
        ca.AclCreation(
            resource_type=2,
            resource_name="orders",
            resource_pattern_type=3,
            principal="User:alice",
            host="*",
            operation=3,
            permission_type=3,
        ),
        ca.AclCreation(
            resource_type=3, resource_name="app-", resource_pattern_type=4, principal="User:bob", host="*", operation=3, permission_type=3
        ),
    ]
    resp = send(cluster, 0, ca.CreateAclsRequest(creations=creations))
    assert [r.error_code for r in resp.results] == [0, 0]
    expected = {("orders", 3, "User:alice", 3), ("app-", 4, "User:bob", 3)}
    for broker_id in (1, 2):
        wait_until(lambda b=broker_id: described(cluster, b) == expected, timeout=10, message=f"broker {broker_id} applies the ACLs")
    zk = cluster.zk_client()
    data, _ = zk.get("/kafka-acl/Topic/orders")
    assert json.loads(data) == {
        "version": 1,
        "acls": [{"principal": "User:alice", "permissionType": "Allow", "operation": "Read", "host": "*"}],
    }
    assert zk.get("/kafka-acl-extended/prefixed/Group/app-") is not None
    assert zk.children("/kafka-acl-changes") and zk.children("/kafka-acl-extended-changes")
    deleted = send(cluster, 2, da.DeleteAclsRequest(filters=[da.DeleteAclsFilter(**ANY_FILTER)]))
    assert len(deleted.filter_results[0].matching_acls) == 2
    wait_until(lambda: described(cluster, 0) == set() and described(cluster, 1) == set(), timeout=10, message="deletes applied")
    assert zk.get("/kafka-acl/Topic/orders") is None


def test_old_change_notifications_are_purged(zookeeper: ZooKeeperProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zk_acl, "KEEP_CHANGES", 5)
    monkeypatch.setattr(zk_acl, "PURGE_EVERY", 10)
    zk = ZkClient(f"{zookeeper.connect}/strom-acl-purge-{uuid.uuid4().hex[:6]}", 10000)
    zk.start()
    try:
        store = zk_acl.ZkAclStore(zk)
        entry = AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ALLOW)
        for i in range(11):
            store.update(ResourcePattern(ResourceType.TOPIC, f"t{i}"), lambda current, e=entry: current | {e})
        left = sorted(zk_acl._sequence(n) for n in zk.children(zk_acl.LITERAL_CHANGES))
        assert left == [5, 6, 7, 8, 9, 10]  # the 10th change dropped those more than 5 older
        assert len(store.load_all()) == 11
    finally:
        zk.close()
