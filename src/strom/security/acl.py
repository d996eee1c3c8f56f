"""Kafka's ACL model: resource patterns, access control entries, bindings and filters, and the decision an
authorizer takes from them (Kafka's AclAuthorizer rules).

Pure code: the broker's authorizer stores bindings and asks `decide`; the client and the tools build the
same bindings and filters for CreateAcls / DescribeAcls / DeleteAcls. Wire ids are Kafka's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Self

from strom.security.principal import KafkaPrincipal

WILDCARD_RESOURCE = "*"
"""A LITERAL resource name matching every resource of its type."""
WILDCARD_PRINCIPAL = "User:*"
"""The principal matching every user."""
WILDCARD_HOST = "*"
CLUSTER_NAME = "kafka-cluster"
"""The one name of the CLUSTER resource."""


class _Named(IntEnum):
    """A Kafka ACL enum: parsed from its name case-insensitively (UNKNOWN for anything else)."""

    @classmethod
    def parse(cls, text: str) -> Self:
        key = text.strip().upper().replace("-", "_")
        if key in cls.__members__:
            return cls[key]
        return cls(0)  # UNKNOWN

    @property
    def pascal(self) -> str:
        """The name as Kafka writes it in ZooKeeper and its logs: TRANSACTIONAL_ID -> TransactionalId."""
        return "".join(part.capitalize() for part in self.name.split("_"))


class ResourceType(_Named):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(_Named):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class AclOperation(_Named):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class AclPermissionType(_Named):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


_DESCRIBE_IMPLIERS = frozenset({AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER})
_DESCRIBE_CONFIGS_IMPLIERS = frozenset({AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS})

SUPPORTED_OPERATIONS: dict[ResourceType, tuple[AclOperation, ...]] = {
    ResourceType.TOPIC: (
        AclOperation.READ,
        AclOperation.WRITE,
        AclOperation.CREATE,
        AclOperation.DESCRIBE,
        AclOperation.DELETE,
        AclOperation.ALTER,
        AclOperation.DESCRIBE_CONFIGS,
        AclOperation.ALTER_CONFIGS,
    ),
    ResourceType.GROUP: (AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE),
    ResourceType.CLUSTER: (
        AclOperation.CREATE,
        AclOperation.CLUSTER_ACTION,
        AclOperation.DESCRIBE_CONFIGS,
        AclOperation.ALTER_CONFIGS,
        AclOperation.IDEMPOTENT_WRITE,
        AclOperation.ALTER,
        AclOperation.DESCRIBE,
    ),
    ResourceType.TRANSACTIONAL_ID: (AclOperation.DESCRIBE, AclOperation.WRITE),
    ResourceType.DELEGATION_TOKEN: (AclOperation.DESCRIBE,),
    ResourceType.USER: (AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS),
}
"""The operations an ACL on each resource type can grant (Kafka's AclEntry.supportedOperations)."""


def _implying(operation: AclOperation) -> frozenset[AclOperation]:
    if operation is AclOperation.DESCRIBE:
        return _DESCRIBE_IMPLIERS | {AclOperation.ALL}
    if operation is AclOperation.DESCRIBE_CONFIGS:
        return _DESCRIBE_CONFIGS_IMPLIERS | {AclOperation.ALL}
    return frozenset({operation, AclOperation.ALL})


_IMPLYING = {op: _implying(op) for op in AclOperation}


def implied_by(operation: AclOperation) -> frozenset[AclOperation]:
    """The ALLOW operations that grant `operation`: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS
    implies DESCRIBE_CONFIGS, ALL implies everything."""
    return _IMPLYING[operation]


def operations_bitfield(operations: Iterable[AclOperation]) -> int:
    """The `*_authorized_operations` int32 of Metadata / DescribeCluster / DescribeGroups: bit `op` set."""
    bits = 0
    for op in operations:
        bits |= 1 << int(op)
    return bits


@dataclass(frozen=True, slots=True)
class ResourcePattern:
    """What an ACL applies to: a LITERAL name (or `*`), or a PREFIXED name."""

    resource_type: ResourceType
    name: str
    pattern_type: PatternType = PatternType.LITERAL

    def __str__(self) -> str:
        return f"ResourcePattern(resourceType={self.resource_type.name}, name={self.name}, patternType={self.pattern_type.name})"

    def matches_resource(self, name: str) -> bool:
        """Whether this ACL pattern covers the concrete resource `name` of its type."""
        if self.pattern_type is PatternType.PREFIXED:
            return name.startswith(self.name)
        return self.name == name or self.name == WILDCARD_RESOURCE


@dataclass(frozen=True, slots=True)
class AccessControlEntry:
    """Who may (ALLOW) or may not (DENY) do what, from where."""

    principal: str
    host: str
    operation: AclOperation
    permission_type: AclPermissionType

    def __str__(self) -> str:
        return (
            f"(principal={self.principal}, host={self.host}, operation={self.operation.name}, permissionType={self.permission_type.name})"
        )


@dataclass(frozen=True, slots=True)
class AclBinding:
    pattern: ResourcePattern
    entry: AccessControlEntry

    def validation_error(self) -> str | None:
        """Why this binding cannot be created (Kafka's InvalidRequestException messages), or None."""
        p, e = self.pattern, self.entry
        if p.resource_type in (ResourceType.ANY, ResourceType.UNKNOWN):
            return "Invalid ACL creation: the resource type must be specific"
        if p.pattern_type not in (PatternType.LITERAL, PatternType.PREFIXED):
            return f"Invalid ACL creation: pattern type {p.pattern_type.name} is not LITERAL or PREFIXED"
        if e.operation in (AclOperation.ANY, AclOperation.UNKNOWN):
            return "Invalid ACL creation: the operation must be specific"
        if e.permission_type not in (AclPermissionType.ALLOW, AclPermissionType.DENY):
            return "Invalid ACL creation: the permission type must be ALLOW or DENY"
        if not p.name:
            return "Invalid empty resource name"
        if p.resource_type is ResourceType.CLUSTER and p.name != CLUSTER_NAME:
            return f"The only valid name for the CLUSTER resource is {CLUSTER_NAME}"
        try:
            KafkaPrincipal.parse(e.principal)
        except ValueError:
            return f"Invalid ACL creation: invalid principal {e.principal!r}"
        return None


@dataclass(frozen=True, slots=True)
class AclBindingFilter:
    """What DescribeAcls / DeleteAcls select: None fields and ANY enums match anything; pattern type
    MATCH selects the patterns that would apply to the named resource (literal, wildcard and prefixed)."""

    resource_type: ResourceType = ResourceType.ANY
    name: str | None = None
    pattern_type: PatternType = PatternType.ANY
    principal: str | None = None
    host: str | None = None
    operation: AclOperation = AclOperation.ANY
    permission_type: AclPermissionType = AclPermissionType.ANY

    def matches(self, binding: AclBinding) -> bool:
        return self.matches_pattern(binding.pattern) and self.matches_entry(binding.entry)

    def matches_pattern(self, pattern: ResourcePattern) -> bool:
        if self.resource_type is not ResourceType.ANY and self.resource_type is not pattern.resource_type:
            return False
        if self.pattern_type not in (PatternType.ANY, PatternType.MATCH) and self.pattern_type is not pattern.pattern_type:
            return False
        if self.name is None:
            return True
        if self.pattern_type in (PatternType.ANY, pattern.pattern_type):
            return self.name == pattern.name
        return pattern.matches_resource(self.name)

    def matches_entry(self, entry: AccessControlEntry) -> bool:
        return (
            (self.principal is None or self.principal == entry.principal)
            and (self.host is None or self.host == entry.host)
            and (self.operation is AclOperation.ANY or self.operation is entry.operation)
            and (self.permission_type is AclPermissionType.ANY or self.permission_type is entry.permission_type)
        )

    def validation_error(self) -> str | None:
        """Why this filter cannot be used (an UNKNOWN field), or None."""
        for value in (self.resource_type, self.pattern_type, self.operation, self.permission_type):
            if int(value) == 0:
                return f"Invalid filter: {type(value).__name__} is UNKNOWN"
        return None


def applies_to(entry: AccessControlEntry, principal: str, host: str) -> bool:
    """Whether an entry names this principal (or User:*) and host (or *)."""
    return _principal_matches(entry.principal, principal) and _host_matches(entry.host, host)


def _principal_matches(acl_principal: str, principal: str) -> bool:
    return acl_principal == principal or acl_principal == WILDCARD_PRINCIPAL


def _host_matches(acl_host: str, host: str) -> bool:
    return acl_host == host or acl_host == WILDCARD_HOST


@dataclass(frozen=True, slots=True)
class AuthorizerRules:
    """The static part of a decision: `super.users` and `allow.everyone.if.no.acl.found`."""

    super_users: frozenset[str] = frozenset()
    allow_everyone_if_no_acl_found: bool = False


def decide(
    entries: Iterable[AccessControlEntry],
    principal: str,
    host: str,
    operation: AclOperation,
    rules: AuthorizerRules = AuthorizerRules(),
) -> bool:
    """Kafka's decision over the ACLs whose patterns match the resource: a super user is allowed; with no
    ACL on the resource at all, `allow.everyone.if.no.acl.found` decides; else a matching DENY wins and a
    matching ALLOW (or one implying the operation) is needed."""
    if principal in rules.super_users:
        return True
    allowing = implied_by(operation)
    any_acl = False
    allowed = False
    for e in entries:
        any_acl = True
        if not (_principal_matches(e.principal, principal) and _host_matches(e.host, host)):
            continue
        if e.permission_type is AclPermissionType.DENY:
            if e.operation is operation or e.operation is AclOperation.ALL:
                return False
        elif e.permission_type is AclPermissionType.ALLOW and e.operation in allowing:
            allowed = True
    if not any_acl:
        return rules.allow_everyone_if_no_acl_found
    return allowed


class AclIndex:
    """The ACLs an authorizer holds, indexed by pattern so a decision reads only the ACLs that can match:
    the resource's literal name, the `*` wildcard, and the prefixed patterns its name starts with."""

    def __init__(self) -> None:
        self._by_pattern: dict[ResourcePattern, set[AccessControlEntry]] = {}
        # the same sets by (type, pattern type) -> name, for lookups without building patterns
        self._by_name: dict[tuple[ResourceType, PatternType], dict[str, set[AccessControlEntry]]] = {}

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_pattern.values())

    def _set(self, pattern: ResourcePattern, entries: set[AccessControlEntry]) -> None:
        self._by_pattern[pattern] = entries
        self._by_name.setdefault((pattern.resource_type, pattern.pattern_type), {})[pattern.name] = entries

    def _drop(self, pattern: ResourcePattern) -> None:
        self._by_pattern.pop(pattern, None)
        names = self._by_name.get((pattern.resource_type, pattern.pattern_type))
        if names is not None:
            names.pop(pattern.name, None)

    def add(self, binding: AclBinding) -> bool:
        """Adds a binding; False when it was already there."""
        entries = self._by_pattern.get(binding.pattern)
        if entries is None:
            entries = set()
            self._set(binding.pattern, entries)
        if binding.entry in entries:
            return False
        entries.add(binding.entry)
        return True

    def remove(self, binding: AclBinding) -> bool:
        entries = self._by_pattern.get(binding.pattern)
        if entries is None or binding.entry not in entries:
            return False
        entries.discard(binding.entry)
        if not entries:
            self._drop(binding.pattern)
        return True

    def replace(self, pattern: ResourcePattern, entries: Iterable[AccessControlEntry]) -> None:
        """Sets the ACLs of one pattern as a whole (a ZooKeeper node read after a change notification)."""
        fresh = set(entries)
        if fresh:
            self._set(pattern, fresh)
        else:
            self._drop(pattern)

    def entries_of(self, pattern: ResourcePattern) -> frozenset[AccessControlEntry]:
        return frozenset(self._by_pattern.get(pattern, ()))

    def patterns(self) -> list[ResourcePattern]:
        return list(self._by_pattern)

    def bindings(self) -> list[AclBinding]:
        return [AclBinding(p, e) for p, entries in self._by_pattern.items() for e in entries]

    def matching(self, resource_type: ResourceType, name: str) -> list[AccessControlEntry]:
        """Every ACL whose pattern applies to the concrete resource (type, name)."""
        out: list[AccessControlEntry] = []
        literal = self._by_name.get((resource_type, PatternType.LITERAL))
        if literal:
            out.extend(literal.get(name, ()))
            if name != WILDCARD_RESOURCE:
                out.extend(literal.get(WILDCARD_RESOURCE, ()))
        prefixed = self._by_name.get((resource_type, PatternType.PREFIXED))
        if prefixed:
            if len(prefixed) < len(name):
                for prefix, entries in prefixed.items():
                    if name.startswith(prefix):
                        out.extend(entries)
            else:
                for end in range(1, len(name) + 1):
                    out.extend(prefixed.get(name[:end], ()))
        return out

    def select(self, acl_filter: AclBindingFilter) -> list[AclBinding]:
        return [b for b in self.bindings() if acl_filter.matches(b)]
