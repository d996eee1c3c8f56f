"""The broker's ACL authorizer (Kafka's AclAuthorizer / StandardAuthorizer): holds the cluster's ACLs in an
index, answers "may this principal from this host do this operation on this resource", and creates and
deletes ACLs through its store.

Stores: embedded mode keeps the bindings in the broker's metadata file; ZooKeeper mode keeps them where
Kafka 2.8 does (cluster/zk_acl.py) and follows other brokers' changes. Decisions are cached per
(principal, host, resource, operation) and the cache is dropped on any ACL change, so the produce and
fetch paths pay one dict lookup; with no authorizer configured `authorize` returns at its first line.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from strom.cluster.metadata import LocalMetadataStore
from strom.protocol.messages import api_name
from strom.security.acl import (
    SUPPORTED_OPERATIONS,
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
    applies_to,
    decide,
    operations_bitfield,
)

if TYPE_CHECKING:
    from strom.broker.config import BrokerConfig
    from strom.broker.request_context import RequestContext

log = logging.getLogger("kafka.security.authorizer.AclAuthorizer")
authz_log = logging.getLogger("kafka.authorizer.logger")
_T = TypeVar("_T")
_CACHE_LIMIT = 100_000

Entries = frozenset[AccessControlEntry]
PatternListener = Callable[[ResourcePattern, Entries], None]


class AclStore(Protocol):
    """Where the ACLs live: read whole at start, updated one pattern at a time, changes from elsewhere
    reported to a listener."""

    blocking: bool

    def load_all(self) -> dict[ResourcePattern, Entries]: ...

    def update(self, pattern: ResourcePattern, change: Callable[[Entries], Entries]) -> Entries: ...

    def watch(self, listener: PatternListener) -> None: ...


class LocalAclStore:
    """Embedded mode: the bindings in the broker's metadata file, next to its topics (one broker: nothing
    to watch)."""

    blocking = False

    def __init__(self, metadata: LocalMetadataStore) -> None:
        self.metadata = metadata
        self._acls: dict[ResourcePattern, Entries] = {}

    def load_all(self) -> dict[ResourcePattern, Entries]:
        out: dict[ResourcePattern, set[AccessControlEntry]] = {}
        for row in self.metadata.acls:
            pattern = ResourcePattern(ResourceType[row["resourceType"]], row["name"], PatternType[row["patternType"]])
            entry = AccessControlEntry(
                row["principal"], row["host"], AclOperation[row["operation"]], AclPermissionType[row["permissionType"]]
            )
            out.setdefault(pattern, set()).add(entry)
        self._acls = {p: frozenset(e) for p, e in out.items()}
        return dict(self._acls)

    def update(self, pattern: ResourcePattern, change: Callable[[Entries], Entries]) -> Entries:
        current = self._acls.get(pattern, frozenset())
        fresh = change(current)
        if fresh == current:
            return current
        if fresh:
            self._acls[pattern] = fresh
        else:
            self._acls.pop(pattern, None)
        self.metadata.set_acls([_row(p, e) for p, entries in self._acls.items() for e in sorted(entries, key=str)])
        return fresh

    def watch(self, listener: PatternListener) -> None:
        return None


def _row(pattern: ResourcePattern, entry: AccessControlEntry) -> dict[str, str]:
    return {
        "resourceType": pattern.resource_type.name,
        "name": pattern.name,
        "patternType": pattern.pattern_type.name,
        "principal": entry.principal,
        "host": entry.host,
        "operation": entry.operation.name,
        "permissionType": entry.permission_type.name,
    }


def rules_from_config(config: BrokerConfig) -> AuthorizerRules:
    """`super.users` ("User:admin;User:ops") and `allow.everyone.if.no.acl.found`."""
    supers = frozenset(s.strip() for s in str(config["super.users"]).split(";") if s.strip())
    return AuthorizerRules(supers, bool(config["allow.everyone.if.no.acl.found"]))


class Authorizer:
    def __init__(self, rules: AuthorizerRules, store: AclStore) -> None:
        self.rules = rules
        self.store = store
        self.index = AclIndex()
        self._decisions: dict[tuple[str, str, ResourceType, str, AclOperation], bool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._load()

    def _load(self) -> None:
        loaded = self.store.load_all()
        fresh = AclIndex()
        for pattern, entries in loaded.items():
            fresh.replace(pattern, entries)
        self.index = fresh
        self._decisions.clear()
        log.info("Loaded %d ACL(s) on %d resource pattern(s)", len(fresh), len(loaded))

    async def start(self) -> None:
        """Follows other brokers' ACL changes (ZooKeeper mode), then re-reads the whole tree so a change
        made between the construction-time load and the watch is not missed."""
        self._loop = asyncio.get_running_loop()
        await self._run(self.store.watch, self._on_store_change)
        await self._run(self._load)

    def _on_store_change(self, pattern: ResourcePattern, entries: Entries) -> None:
        """From the store's thread (kazoo): applied on the event loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._apply, pattern, entries)

    def _apply(self, pattern: ResourcePattern, entries: Entries) -> None:
        self.index.replace(pattern, entries)
        self._decisions.clear()
        log.info("Processing ACL change notification for %s, versionedAcls : %s", pattern, ", ".join(map(str, sorted(entries, key=str))))

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        if not self.store.blocking:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))

    # ---- decisions --------------------------------------------------------------------------------------

    def authorize(
        self,
        principal: str,
        host: str,
        operation: AclOperation,
        resource_type: ResourceType,
        name: str,
        api_key: int,
        log_denied: bool = True,
    ) -> bool:
        key = (principal, host, resource_type, name, operation)
        allowed = self._decisions.get(key)
        if allowed is None:
            allowed = decide(self.index.matching(resource_type, name), principal, host, operation, self.rules)
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = allowed
        if not allowed:
            if log_denied:
                _audit(logging.INFO, principal, "Denied", operation, host, resource_type, name, api_key)
        elif authz_log.isEnabledFor(logging.DEBUG):
            _audit(logging.DEBUG, principal, "Allowed", operation, host, resource_type, name, api_key)
        return allowed

    def authorized_operations(self, principal: str, host: str, resource_type: ResourceType, name: str) -> int:
        """The `*_authorized_operations` bit field: the supported operations this principal may perform."""
        entries = self.index.matching(resource_type, name)
        ops = [op for op in SUPPORTED_OPERATIONS[resource_type] if decide(entries, principal, host, op, self.rules)]
        return operations_bitfield(ops)

    def may_on_some(self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType) -> bool:
        """Kafka's authorizeByResourceType: whether some resource of the type would allow the operation (an
        ALLOW the principal matches that no wildcard DENY cancels)."""
        if principal in self.rules.super_users:
            return True
        wildcard = self.index.entries_of(ResourcePattern(resource_type, "*"))
        if any(
            e.permission_type is AclPermissionType.DENY and e.operation in (operation, AclOperation.ALL) and applies_to(e, principal, host)
            for e in wildcard
        ):
            return False
        patterns = [p for p in self.index.patterns() if p.resource_type is resource_type]
        if not patterns:
            return self.rules.allow_everyone_if_no_acl_found
        return any(decide(self.index.entries_of(p), principal, host, operation, self.rules) for p in patterns)

    # ---- administration ---------------------------------------------------------------------------------

    def describe(self, acl_filter: AclBindingFilter) -> list[AclBinding]:
        return self.index.select(acl_filter)

    async def create(self, bindings: list[AclBinding]) -> None:
        """Stores the bindings, one pattern at a time (ZkError / OSError propagate to the caller)."""
        by_pattern: dict[ResourcePattern, set[AccessControlEntry]] = {}
        for b in bindings:
            by_pattern.setdefault(b.pattern, set()).add(b.entry)
        for pattern, added in by_pattern.items():
            entries = await self._run(self.store.update, pattern, lambda current, added=added: current | added)
            self._apply(pattern, entries)

    async def delete(self, filters: list[AclBindingFilter]) -> list[list[AclBinding]]:
        """Deletes what each filter matches; returns the bindings each filter deleted."""
        deleted: list[list[AclBinding]] = [[] for _ in filters]
        patterns = {p for f in filters for p in self.index.patterns() if f.matches_pattern(p)}
        for pattern in patterns:
            gone: dict[AccessControlEntry, list[int]] = {}

            def change(current: Entries, pattern: ResourcePattern = pattern, gone: dict[AccessControlEntry, list[int]] = gone) -> Entries:
                gone.clear()
                for e in current:
                    hits = [i for i, f in enumerate(filters) if f.matches(AclBinding(pattern, e))]
                    if hits:
                        gone[e] = hits
                return current - gone.keys()

            entries = await self._run(self.store.update, pattern, change)
            self._apply(pattern, entries)
            for e, hits in gone.items():
                for i in hits:
                    deleted[i].append(AclBinding(pattern, e))
        return deleted


def _audit(
    level: int, principal: str, result: str, operation: AclOperation, host: str, resource_type: ResourceType, name: str, api_key: int
) -> None:
    """Kafka's authorizer log line (kafka.authorizer.logger)."""
    authz_log.log(
        level,
        "Principal = %s is %s Operation = %s from host = %s on resource = %s:LITERAL:%s for request = %s with resourceRefCount = 1",
        principal,
        result,
        operation.pascal,
        host,
        resource_type.pascal,
        name,
        api_name(api_key),
    )


@functools.lru_cache(maxsize=4096)
def acl_host(address: str) -> str:
    """The client address as Kafka's ACLs name it (Java's InetAddress.getHostAddress): IPv6 in full groups
    without leading zeros ("0:0:0:0:0:0:0:1", a scope kept), an IPv4-mapped IPv6 address as IPv4."""
    if ":" not in address:
        return address
    bare, percent, scope = address.partition("%")
    try:
        ip = ipaddress.IPv6Address(bare)
    except ValueError:
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return ":".join(format(int(group, 16), "x") for group in ip.exploded.split(":")) + percent + scope


def authorize(ctx: RequestContext, operation: AclOperation, resource_type: ResourceType, name: str, log_denied: bool = True) -> bool:
    """The handlers' check: True when no authorizer is configured, else the authorizer's decision for the
    request's principal and client host."""
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return True
    host = acl_host(ctx.client_host)
    return authorizer.authorize(str(ctx.principal), host, operation, resource_type, name, ctx.header.api_key, log_denied)


def authorize_cluster(ctx: RequestContext, operation: AclOperation, log_denied: bool = True) -> bool:
    return authorize(ctx, operation, ResourceType.CLUSTER, "kafka-cluster", log_denied)


def authorized_operations(ctx: RequestContext, resource_type: ResourceType, name: str) -> int:
    """What the principal may do on the resource, as a bit field; with no authorizer every operation the
    resource type supports (as Kafka answers)."""
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return operations_bitfield(SUPPORTED_OPERATIONS[resource_type])
    return authorizer.authorized_operations(str(ctx.principal), acl_host(ctx.client_host), resource_type, name)


def denied_topics(ctx: RequestContext, operation: AclOperation, names: Iterable[str]) -> set[str]:
    """The topics among `names` the request's principal may not perform `operation` on (each checked
    once); empty at once with no authorizer."""
    if ctx.broker.authorizer is None:
        return set()
    return {name for name in set(names) if not authorize(ctx, operation, ResourceType.TOPIC, name)}


def authorize_any_topic_write(ctx: RequestContext) -> bool:
    """KIP-679 (Kafka 3.0+): an idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some
    topic."""
    authorizer = ctx.broker.authorizer
    if authorizer is None or authorize_cluster(ctx, AclOperation.IDEMPOTENT_WRITE):
        return True
    return authorizer.may_on_some(str(ctx.principal), acl_host(ctx.client_host), AclOperation.WRITE, ResourceType.TOPIC)
