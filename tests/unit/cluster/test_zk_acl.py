"""The ZooKeeper ACL formats are Kafka 2.8's byte for byte: paths, the ACL JSON and both change events."""

from __future__ import annotations

import json

from strom.cluster.zk_acl import EXTENDED_CHANGES, LITERAL_CHANGES, decode_acls, decode_change, encode_acls, encode_change, pattern_path
from strom.security.acl import AccessControlEntry, AclOperation, AclPermissionType, PatternType, ResourcePattern, ResourceType


def test_paths_follow_kafkas_layout() -> None:
    assert pattern_path(ResourcePattern(ResourceType.TOPIC, "t1")) == "/kafka-acl/Topic/t1"
    assert (
        pattern_path(ResourcePattern(ResourceType.TRANSACTIONAL_ID, "tx", PatternType.PREFIXED))
        == "/kafka-acl-extended/prefixed/TransactionalId/tx"
    )


def test_acl_json_uses_kafkas_names_and_round_trips() -> None:
    entries = frozenset({AccessControlEntry("User:alice", "*", AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW)})
    data = encode_acls(entries)
    assert json.loads(data) == {
        "version": 1,
        "acls": [{"principal": "User:alice", "permissionType": "Allow", "operation": "IdempotentWrite", "host": "*"}],
    }
    assert decode_acls(data) == entries


def test_change_events_round_trip() -> None:
    literal = ResourcePattern(ResourceType.GROUP, "g:1")
    parent, data = encode_change(literal)
    assert (parent, data) == (LITERAL_CHANGES, b"GROUP:g:1")
    assert decode_change(parent, data) == literal
    prefixed = ResourcePattern(ResourceType.TOPIC, "p", PatternType.PREFIXED)
    parent, data = encode_change(prefixed)
    assert parent == EXTENDED_CHANGES
    assert json.loads(data) == {"version": 1, "resourceType": "TOPIC", "name": "p", "patternType": "PREFIXED"}
    assert decode_change(parent, data) == prefixed
