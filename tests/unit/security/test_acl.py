"""ACL matching and the authorizer's decision, checked against a slow reference written from Kafka's rules
(AclAuthorizer: super users, no ACL -> allow.everyone.if.no.acl.found, DENY wins, implied operations)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.security.acl import (
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclIndex,
    AclOperation,
    AclPermissionType,
    AuthorizerRules,
    PatternType,
    ResourcePattern,
    ResourceType,
    decide,
    operations_bitfield,
)

OPS = [op for op in AclOperation if op not in (AclOperation.UNKNOWN, AclOperation.ANY)]
TYPES = [ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID]
names = st.sampled_from(["t", "t1", "t12", "u", "*", "tx"])
principals = st.sampled_from(["User:alice", "User:bob", "User:*"])
hosts = st.sampled_from(["*", "127.0.0.1", "10.0.0.1"])
entries = st.builds(
    AccessControlEntry, principals, hosts, st.sampled_from(OPS), st.sampled_from([AclPermissionType.ALLOW, AclPermissionType.DENY])
)
patterns = st.builds(ResourcePattern, st.sampled_from(TYPES), names, st.sampled_from([PatternType.LITERAL, PatternType.PREFIXED]))
bindings = st.builds(AclBinding, patterns, entries)


def reference(
    acls: list[AclBinding], rtype: ResourceType, name: str, principal: str, host: str, op: AclOperation, rules: AuthorizerRules
) -> bool:
    """Kafka's rules spelled out one by one, over every binding (no index)."""
    if principal in rules.super_users:
        return True

    def applies(p: ResourcePattern) -> bool:
        if p.resource_type != rtype:
            return False
        if p.pattern_type == PatternType.LITERAL:
            return p.name in (name, "*")
        return name.startswith(p.name)

    relevant = [b.entry for b in acls if applies(b.pattern)]
    if not relevant:
        return rules.allow_everyone_if_no_acl_found
    mine = [e for e in relevant if e.principal in (principal, "User:*") and e.host in (host, "*")]
    if any(e.permission_type == AclPermissionType.DENY and e.operation in (op, AclOperation.ALL) for e in mine):
        return False
    granting = {op, AclOperation.ALL}
    if op == AclOperation.DESCRIBE:
        granting |= {AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER}
    if op == AclOperation.DESCRIBE_CONFIGS:
        granting |= {AclOperation.ALTER_CONFIGS}
    return any(e.permission_type == AclPermissionType.ALLOW and e.operation in granting for e in mine)


@settings(max_examples=250, deadline=None)
@given(
    acls=st.lists(bindings, max_size=8),
    rtype=st.sampled_from(TYPES),
    name=st.sampled_from(["t", "t1", "t12", "u", "tx", "x"]),
    principal=st.sampled_from(["User:alice", "User:bob", "User:carol"]),
    host=st.sampled_from(["127.0.0.1", "10.0.0.1"]),
    op=st.sampled_from([op for op in OPS if op is not AclOperation.ALL]),
    super_users=st.sets(st.sampled_from(["User:alice", "User:carol"])),
    allow_everyone=st.booleans(),
)
def test_decision_matches_the_reference_rules(
    acls: list[AclBinding],
    rtype: ResourceType,
    name: str,
    principal: str,
    host: str,
    op: AclOperation,
    super_users: set[str],
    allow_everyone: bool,
) -> None:
    index = AclIndex()
    for b in acls:
        index.add(b)
    rules = AuthorizerRules(frozenset(super_users), allow_everyone)
    expected = reference(acls, rtype, name, principal, host, op, rules)
    assert decide(index.matching(rtype, name), principal, host, op, rules) is expected


def _reference_filter(f: AclBindingFilter, b: AclBinding) -> bool:
    p, e = b.pattern, b.entry
    if f.resource_type not in (ResourceType.ANY, p.resource_type):
        return False
    if f.pattern_type == PatternType.MATCH:
        if f.name is not None and not (
            (p.pattern_type == PatternType.LITERAL and p.name in (f.name, "*"))
            or (p.pattern_type == PatternType.PREFIXED and f.name.startswith(p.name))
        ):
            return False
    elif f.pattern_type != PatternType.ANY and f.pattern_type != p.pattern_type:
        return False
    elif f.name is not None and f.name != p.name:
        return False
    return (
        f.principal in (None, e.principal)
        and f.host in (None, e.host)
        and f.operation in (AclOperation.ANY, e.operation)
        and f.permission_type in (AclPermissionType.ANY, e.permission_type)
    )


filters = st.builds(
    AclBindingFilter,
    st.sampled_from([ResourceType.ANY, *TYPES]),
    st.one_of(st.none(), names),
    st.sampled_from([PatternType.ANY, PatternType.MATCH, PatternType.LITERAL, PatternType.PREFIXED]),
    st.one_of(st.none(), principals),
    st.one_of(st.none(), hosts),
    st.sampled_from([AclOperation.ANY, *OPS]),
    st.sampled_from(list(AclPermissionType)[1:]),
)


@settings(max_examples=250, deadline=None)
@given(acl_filter=filters, binding=bindings)
def test_filter_matches_the_reference(acl_filter: AclBindingFilter, binding: AclBinding) -> None:
    assert acl_filter.matches(binding) is _reference_filter(acl_filter, binding)


def test_add_and_remove_are_idempotent_and_empty_patterns_vanish() -> None:
    index = AclIndex()
    b = AclBinding(ResourcePattern(ResourceType.TOPIC, "t1"), AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ALLOW))
    assert index.add(b) and not index.add(b)
    assert len(index) == 1
    assert index.remove(b) and not index.remove(b)
    assert index.patterns() == []


def test_operation_names_and_bitfield() -> None:
    assert AclOperation.parse("IdempotentWrite") is AclOperation.UNKNOWN  # Pascal names are parsed by the ZooKeeper codec
    assert AclOperation.parse("idempotent_write") is AclOperation.IDEMPOTENT_WRITE
    assert AclOperation.IDEMPOTENT_WRITE.pascal == "IdempotentWrite"
    assert ResourceType.TRANSACTIONAL_ID.pascal == "TransactionalId"
    assert operations_bitfield([AclOperation.READ, AclOperation.DESCRIBE]) == (1 << 3) | (1 << 8)


def test_binding_validation_names_the_problem() -> None:
    entry = AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ALLOW)
    assert AclBinding(ResourcePattern(ResourceType.TOPIC, "t"), entry).validation_error() is None
    assert "kafka-cluster" in (AclBinding(ResourcePattern(ResourceType.CLUSTER, "c"), entry).validation_error() or "")
    assert AclBinding(ResourcePattern(ResourceType.TOPIC, "t", PatternType.MATCH), entry).validation_error()
    bad_principal = AccessControlEntry("alice", "*", AclOperation.READ, AclPermissionType.ALLOW)
    assert AclBinding(ResourcePattern(ResourceType.TOPIC, "t"), bad_principal).validation_error()
