"""kafka-acls.sh: add, remove and list ACLs through the admin API (CreateAcls / DescribeAcls / DeleteAcls),
with Kafka's AclCommand flags, convenience options (--producer, --consumer, --idempotent) and output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from strom.cli.common import KafkaArgumentParser, client_config, java_error, read_properties_file, run
from strom.client.admin import AsyncAdmin
from strom.client.admin_types import AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from strom.protocol.errors import KafkaError

CLUSTER_NAME = "kafka-cluster"
_TYPE_NAMES = {ResourceType.BROKER: "CLUSTER"}  # confluent's BROKER is Kafka's CLUSTER resource

OPERATIONS = {
    "read": AclOperation.READ,
    "write": AclOperation.WRITE,
    "create": AclOperation.CREATE,
    "delete": AclOperation.DELETE,
    "alter": AclOperation.ALTER,
    "describe": AclOperation.DESCRIBE,
    "clusteraction": AclOperation.CLUSTER_ACTION,
    "describeconfigs": AclOperation.DESCRIBE_CONFIGS,
    "alterconfigs": AclOperation.ALTER_CONFIGS,
    "idempotentwrite": AclOperation.IDEMPOTENT_WRITE,
    "all": AclOperation.ALL,
}
SUPPORTED = {
    ResourceType.TOPIC: ("Read", "All", "AlterConfigs", "DescribeConfigs", "Delete", "Write", "Alter", "Create", "Describe"),
    ResourceType.GROUP: ("Read", "All", "Delete", "Describe"),
    ResourceType.BROKER: ("All", "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "Alter", "ClusterAction", "Create", "Describe"),
    ResourceType.TRANSACTIONAL_ID: ("All", "Write", "Describe"),
}
"""The operations kafka-acls accepts per resource type (Kafka's AclEntry.supportedOperations)."""

Pattern = tuple[ResourceType, str, ResourcePatternType]


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-acls.sh", description="This tool helps to manage acls on kafka.")
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: A list of host/port pairs to use for the connection.")
    p.add_argument("--command-config", help="A property file containing configs to be passed to Admin Client.")
    actions = p.add_mutually_exclusive_group(required=True)
    actions.add_argument("--add", action="store_true", help="Indicates you are trying to add ACLs.")
    actions.add_argument("--remove", action="store_true", help="Indicates you are trying to remove ACLs.")
    actions.add_argument("--list", action="store_true", help="List ACLs for the specified resource.")
    p.add_argument("--topic", action="append", default=[], help="topic to which ACLs should be added or removed.")
    p.add_argument("--group", action="append", default=[], help="Consumer Group to which the ACLs should be added or removed.")
    p.add_argument("--cluster", action="store_true", help="Add/Remove cluster ACLs.")
    p.add_argument("--transactional-id", action="append", default=[], help="The transactionalId to which ACLs should be added or removed.")
    p.add_argument(
        "--resource-pattern-type",
        default=None,
        help="The type of the resource pattern: literal (default), prefixed, or for --list and --remove also any and match.",
    )
    p.add_argument("--allow-principal", action="append", default=[], help="principal in PrincipalType:name format (User:alice).")
    p.add_argument("--deny-principal", action="append", default=[], help="principal in PrincipalType:name format to deny.")
    p.add_argument("--principal", action="append", default=[], help="List ACLs for the specified principal (with --list).")
    p.add_argument("--allow-host", action="append", default=[], help="Host from which --allow-principal has access (default *).")
    p.add_argument("--deny-host", action="append", default=[], help="Host from which --deny-principal is denied (default *).")
    p.add_argument("--operation", action="append", default=[], help="Operation that is being allowed or denied (default All).")
    p.add_argument("--producer", action="store_true", help="Convenience option to add/remove ACLs for producer role.")
    p.add_argument("--consumer", action="store_true", help="Convenience option to add/remove ACLs for consumer role.")
    p.add_argument("--idempotent", action="store_true", help="Enable idempotence for the producer (with --producer).")
    p.add_argument("--force", action="store_true", help="Assume Yes to all queries and do not prompt.")
    return p


def pattern_type(a: argparse.Namespace) -> ResourcePatternType:
    text = (a.resource_pattern_type or "literal").strip().upper()
    if text not in ("LITERAL", "PREFIXED", "ANY", "MATCH"):
        raise ValueError(f"Invalid --resource-pattern-type {a.resource_pattern_type!r}: use literal, prefixed, any or match")
    kind = ResourcePatternType[text]
    if a.add and kind not in (ResourcePatternType.LITERAL, ResourcePatternType.PREFIXED):
        raise ValueError(f"A '--resource-pattern-type' value of '{text.lower()}' is not valid when adding acls.")
    return kind


def resources(a: argparse.Namespace, kind: ResourcePatternType) -> list[Pattern]:
    """The resources the flags name; --producer / --consumer add the ones their roles need."""
    if a.producer and not (a.topic or a.transactional_id):
        raise ValueError("With --producer you must specify a --topic")
    if a.consumer and not (a.topic and a.group):
        raise ValueError(
            "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified."
        )
    out: list[Pattern] = [(ResourceType.TOPIC, t, kind) for t in a.topic]
    out += [(ResourceType.GROUP, g, kind) for g in a.group]
    out += [(ResourceType.TRANSACTIONAL_ID, t, kind) for t in a.transactional_id]
    if a.cluster or (a.producer and a.idempotent):
        out.append((ResourceType.BROKER, CLUSTER_NAME, ResourcePatternType.LITERAL))
    return out


def role_operations(a: argparse.Namespace, rtype: ResourceType) -> list[AclOperation]:
    """Kafka's --producer / --consumer operation sets per resource type."""
    ops: list[AclOperation] = []
    if a.producer:
        ops += {
            ResourceType.TOPIC: [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE],
            ResourceType.TRANSACTIONAL_ID: [AclOperation.WRITE, AclOperation.DESCRIBE],
            ResourceType.BROKER: [AclOperation.IDEMPOTENT_WRITE] if a.idempotent else [],
        }.get(rtype, [])
    if a.consumer:
        ops += {ResourceType.TOPIC: [AclOperation.READ, AclOperation.DESCRIBE], ResourceType.GROUP: [AclOperation.READ]}.get(rtype, [])
    return ops


def operations(a: argparse.Namespace, rtype: ResourceType) -> list[AclOperation]:
    if a.producer or a.consumer:
        return role_operations(a, rtype)
    names = [o.strip().lower() for o in a.operation] or ["all"]
    supported = {op.lower() for op in SUPPORTED[rtype]}
    for name in names:
        if name not in supported:
            raise ValueError(f"ResourceType {_type_name(rtype)} only supports operations {', '.join(SUPPORTED[rtype])}")
    return [OPERATIONS[n] for n in names]


def entries(a: argparse.Namespace) -> list[tuple[str, str, AclPermissionType]]:
    """(principal, host, permission) for each --allow/--deny principal and host."""
    for p in a.allow_principal + a.deny_principal:
        if ":" not in p or p.startswith(":") or p.endswith(":"):
            raise ValueError(f"Invalid principal {p!r}: expected PrincipalType:name, e.g. User:alice")
    out = [(p, h, AclPermissionType.ALLOW) for p in a.allow_principal for h in (a.allow_host or ["*"])]
    out += [(p, h, AclPermissionType.DENY) for p in a.deny_principal for h in (a.deny_host or ["*"])]
    return out


def _type_name(rtype: ResourceType) -> str:
    return _TYPE_NAMES.get(rtype, rtype.name)


def pattern_text(rtype: ResourceType, name: str | None, kind: ResourcePatternType) -> str:
    return f"ResourcePattern(resourceType={_type_name(rtype)}, name={'<any>' if name is None else name}, patternType={kind.name})"


def entry_text(b: AclBinding) -> str:
    return f"(principal={b.principal}, host={b.host}, operation={b.operation.name}, permissionType={b.permission_type.name})"


def print_acls(by_pattern: dict[Pattern, list[AclBinding]]) -> None:
    for (rtype, name, kind), acls in by_pattern.items():
        lines = "\n".join("\t" + entry_text(b) for b in acls)
        print(f"Current ACLs for resource `{pattern_text(rtype, name, kind)}`: \n {lines} \n")


def bindings_for(a: argparse.Namespace, patterns: list[Pattern]) -> dict[Pattern, list[AclBinding]]:
    who = entries(a)
    out: dict[Pattern, list[AclBinding]] = {}
    for rtype, name, kind in patterns:
        out[(rtype, name, kind)] = [
            AclBinding(rtype, name, kind, principal, host, op, perm) for op in operations(a, rtype) for principal, host, perm in who
        ]
    return out


async def fetch_acls(admin: AsyncAdmin, patterns: Iterable[Pattern]) -> dict[Pattern, list[AclBinding]]:
    """Describes the ACLs of each pattern filter (all ACLs when none), grouped by the pattern they are on."""
    filters = [AclBindingFilter(t, n, k, None, None, AclOperation.ANY, AclPermissionType.ANY) for t, n, k in patterns] or [
        AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY)
    ]
    out: dict[Pattern, list[AclBinding]] = {}
    for f in filters:
        for b in await admin.describe_acls(f):
            acls = out.setdefault((b.restype, b.name or "", b.resource_pattern_type), [])
            if b not in acls:
                acls.append(b)
    return out


async def list_acls(admin: AsyncAdmin, a: argparse.Namespace, patterns: list[Pattern]) -> None:
    found = await fetch_acls(admin, patterns)
    if not a.principal:
        print_acls(found)
        return
    for principal in a.principal:
        print(f"ACLs for principal `{principal}`")
        mine = {p: [b for b in acls if b.principal == principal] for p, acls in found.items()}
        print_acls({p: acls for p, acls in mine.items() if acls})


def confirm(a: argparse.Namespace, question: str) -> bool:
    if a.force:
        return True
    print(question)
    return sys.stdin.readline().strip().lower() == "y"


async def add(admin: AsyncAdmin, a: argparse.Namespace, patterns: list[Pattern]) -> int:
    wanted = bindings_for(a, patterns)
    for (rtype, name, kind), acls in wanted.items():
        lines = "\n".join("\t" + entry_text(b) for b in acls)
        print(f"Adding ACLs for resource `{pattern_text(rtype, name, kind)}`: \n {lines} \n")
        results = await admin.create_acls(acls)
        for error in results.values():
            if error is not None:
                raise error
    return 0


async def remove(admin: AsyncAdmin, a: argparse.Namespace, patterns: list[Pattern]) -> int:
    who = entries(a)
    for rtype, name, kind in patterns:
        target = pattern_text(rtype, name, kind)
        if who:
            acls = bindings_for(a, [(rtype, name, kind)])[(rtype, name, kind)]
            lines = "\n".join("\t" + entry_text(b) for b in acls)
            question = f"Are you sure you want to remove ACLs: \n {lines} \n from resource filter `{target}`? (y/n)"
            filters = [
                AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type)
                for b in acls
            ]
        else:
            question = f"Are you sure you want to delete all ACLs for resource filter `{target}`? (y/n)"
            filters = [AclBindingFilter(rtype, name, kind, None, None, AclOperation.ANY, AclPermissionType.ANY)]
        if not confirm(a, question):
            continue
        for result in (await admin.delete_acls(filters)).values():
            if isinstance(result, KafkaError):
                raise result
    return 0


def admin_config(a: argparse.Namespace) -> dict[str, object]:
    props = read_properties_file(a.command_config) if a.command_config else {}
    conf = client_config("admin", props)
    conf.update({"bootstrap.servers": a.bootstrap_server, "client.id": "adminclient-acls"})
    return conf


def check(a: argparse.Namespace) -> list[Pattern]:
    """The flags' resources, after Kafka's option checks (ValueError with Kafka's message)."""
    patterns = resources(a, pattern_type(a))
    if (a.add or a.remove) and not patterns:
        raise ValueError("You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --transactional-id")
    if a.add and not a.allow_principal and not a.deny_principal:
        raise ValueError("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
    if a.add or a.remove:
        entries(a)
        for rtype, _, _ in patterns:
            operations(a, rtype)
    return patterns


async def main_async(a: argparse.Namespace, patterns: list[Pattern]) -> int:
    admin = AsyncAdmin(admin_config(a))
    try:
        if a.list:
            await list_acls(admin, a, patterns)
            return 0
        if a.add:
            return await add(admin, a, patterns)
        return await remove(admin, a, patterns)
    except KafkaError as exc:
        print(f"Error while executing ACL command: {java_error(exc.code(), exc.message)}")  # on stdout, as Kafka's tool
        return 1
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        patterns = check(args)
    except ValueError as exc:  # Kafka's tool prints the message, then its options, and exits 1
        print(exc, file=sys.stderr)
        parser.print_usage(sys.stderr)
        return 1
    return run(main_async(args, patterns), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
