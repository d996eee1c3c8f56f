"""ACLs in ZooKeeper as Kafka 2.8's AclAuthorizer keeps them, so Kafka's tools and brokers read the same tree.

- `/kafka-acl/<Type>/<name>` (LITERAL) and `/kafka-acl-extended/prefixed/<Type>/<name>` (PREFIXED) hold
  `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}`.
- Each change leaves a sequential `acl_changes_<seq>` znode: under `/kafka-acl-changes` with "TOPIC:name"
  for a literal pattern, under `/kafka-acl-extended-changes` with a JSON event for a prefixed one. Every
  broker watches both and re-reads the pattern named.

Blocking calls (kazoo): the broker runs them in its executor.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable

from strom.cluster.zookeeper import ZkBadVersion, ZkClient, ZkNodeExists
from strom.security.acl import AccessControlEntry, AclOperation, AclPermissionType, PatternType, ResourcePattern, ResourceType

log = logging.getLogger("kafka.security.authorizer.AclAuthorizer")

LITERAL_ROOT = "/kafka-acl"
EXTENDED_ROOT = "/kafka-acl-extended"
LITERAL_CHANGES = "/kafka-acl-changes"
EXTENDED_CHANGES = "/kafka-acl-extended-changes"
CHANGE_PREFIX = "acl_changes_"
KEEP_CHANGES = 1000
PURGE_EVERY = 100
_ROOTS = {PatternType.LITERAL: LITERAL_ROOT, PatternType.PREFIXED: f"{EXTENDED_ROOT}/prefixed"}
_STORED_TYPES = [t for t in ResourceType if t not in (ResourceType.UNKNOWN, ResourceType.ANY)]

PatternListener = Callable[[ResourcePattern, frozenset[AccessControlEntry]], None]


def _parse_pascal(enum: type[ResourceType] | type[AclOperation] | type[AclPermissionType], text: str) -> int:
    """Kafka's names in ZooKeeper are PascalCase ("IdempotentWrite"); the enums' names are UPPER_SNAKE."""
    for member in enum:
        if member.pascal.lower() == text.lower() or member.name.lower() == text.lower():
            return int(member)
    raise ValueError(f"unknown {enum.__name__} {text!r}")


def pattern_path(pattern: ResourcePattern) -> str:
    return f"{_ROOTS[pattern.pattern_type]}/{pattern.resource_type.pascal}/{pattern.name}"


def encode_acls(entries: frozenset[AccessControlEntry]) -> bytes:
    acls = [
        {"principal": e.principal, "permissionType": e.permission_type.pascal, "operation": e.operation.pascal, "host": e.host}
        for e in sorted(entries, key=str)
    ]
    return json.dumps({"version": 1, "acls": acls}).encode()


def decode_acls(data: bytes) -> frozenset[AccessControlEntry]:
    if not data:
        return frozenset()
    doc = json.loads(data)
    return frozenset(
        AccessControlEntry(
            a["principal"],
            a["host"],
            AclOperation(_parse_pascal(AclOperation, a["operation"])),
            AclPermissionType(_parse_pascal(AclPermissionType, a["permissionType"])),
        )
        for a in doc.get("acls", [])
    )


def encode_change(pattern: ResourcePattern) -> tuple[str, bytes]:
    """The change znode's parent and data for a pattern (Kafka's Literal/ExtendedAclChangeStore)."""
    if pattern.pattern_type is PatternType.LITERAL:
        return LITERAL_CHANGES, f"{pattern.resource_type.name}:{pattern.name}".encode()
    event = {"version": 1, "resourceType": pattern.resource_type.name, "name": pattern.name, "patternType": pattern.pattern_type.name}
    return EXTENDED_CHANGES, json.dumps(event).encode()


def decode_change(parent: str, data: bytes) -> ResourcePattern:
    text = data.decode()
    if parent == LITERAL_CHANGES:
        rtype, _, name = text.partition(":")
        return ResourcePattern(ResourceType(_parse_pascal(ResourceType, rtype)), name, PatternType.LITERAL)
    event = json.loads(text)
    return ResourcePattern(
        ResourceType(_parse_pascal(ResourceType, event["resourceType"])), event["name"], PatternType.parse(event["patternType"])
    )


class ZkAclStore:
    """The ACL tree of one cluster: read it whole, update one pattern at a time (optimistic, by znode
    version, as AclAuthorizer does), and follow other brokers' changes."""

    blocking = True

    def __init__(self, zk: ZkClient) -> None:
        self.zk = zk
        self._last_seen: dict[str, int] = {}

    def load_all(self) -> dict[ResourcePattern, frozenset[AccessControlEntry]]:
        out: dict[ResourcePattern, frozenset[AccessControlEntry]] = {}
        for pattern_type, root in _ROOTS.items():
            for rtype in _STORED_TYPES:
                for name in self.zk.children(f"{root}/{rtype.pascal}"):
                    pattern = ResourcePattern(rtype, name, pattern_type)
                    entries = self.read(pattern)
                    if entries:
                        out[pattern] = entries
        return out

    def read(self, pattern: ResourcePattern) -> frozenset[AccessControlEntry]:
        got = self.zk.get(pattern_path(pattern))
        return decode_acls(got[0]) if got is not None else frozenset()

    def update(
        self, pattern: ResourcePattern, change: Callable[[frozenset[AccessControlEntry]], frozenset[AccessControlEntry]]
    ) -> frozenset[AccessControlEntry]:
        """Applies `change` to the pattern's stored ACLs, retrying on a concurrent write; deletes the znode
        when nothing is left; leaves a change notification. Returns the ACLs now stored."""
        path = pattern_path(pattern)
        while True:
            got = self.zk.get(path)
            current = decode_acls(got[0]) if got is not None else frozenset()
            fresh = change(current)
            if fresh == current:
                return current
            try:
                if got is None:
                    self.zk.create(path, encode_acls(fresh))
                elif fresh:
                    self.zk.set(path, encode_acls(fresh), version=got[1].version)
                else:
                    self.zk.delete(path, version=got[1].version)
            except (ZkBadVersion, ZkNodeExists):
                continue
            parent, data = encode_change(pattern)
            created = self.zk.create(f"{parent}/{CHANGE_PREFIX}", data, sequence=True)
            self._purge(parent, _sequence(created.rsplit("/", 1)[-1]))
            return fresh

    def _purge(self, parent: str, newest: int) -> None:
        """Every PURGE_EVERY changes, drops the notifications more than KEEP_CHANGES older than the newest
        (Kafka drops them after 15 minutes): a broker that far behind reloads every ACL when it starts."""
        if newest < 0 or newest % PURGE_EVERY:
            return
        for name in self.zk.children(parent):
            if 0 <= _sequence(name) < newest - KEEP_CHANGES:
                self.zk.delete(f"{parent}/{name}")

    def watch(self, listener: PatternListener) -> None:
        """Calls listener(pattern, acls) on kazoo's thread for every change notification written after now."""
        for parent in (LITERAL_CHANGES, EXTENDED_CHANGES):
            self.zk.ensure_path(parent)
            self._last_seen[parent] = max((_sequence(n) for n in self.zk.children(parent)), default=-1)
            self.zk.watch_children(parent, functools.partial(self._on_changes, parent, listener=listener))

    def _on_changes(self, parent: str, children: list[str], *, listener: PatternListener) -> bool:
        for name in children:
            seq = _sequence(name)
            if seq <= self._last_seen[parent]:
                continue
            self._last_seen[parent] = seq
            got = self.zk.get(f"{parent}/{name}")
            if got is None:
                continue
            try:
                pattern = decode_change(parent, got[0])
            except (ValueError, KeyError) as exc:
                log.warning("Ignoring an ACL change notification %s/%s that cannot be read: %s", parent, name, exc)
                continue
            listener(pattern, self.read(pattern))
        return True


def _sequence(name: str) -> int:
    if not name.startswith(CHANGE_PREFIX):
        return -1
    try:
        return int(name[len(CHANGE_PREFIX) :])
    except ValueError:
        return -1
