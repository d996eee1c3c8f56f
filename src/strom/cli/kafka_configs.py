"""kafka-configs.sh: describe and alter topic and broker configs (IncrementalAlterConfigs), Kafka's lines."""

from __future__ import annotations

import argparse
import shlex
import sys

from strom.cli import quota_configs
from strom.cli.common import KafkaArgumentParser, admin_config, java_error, read_properties_file, run
from strom.client.admin import AsyncAdmin
from strom.protocol.errors import KafkaError
from strom.protocol.schema.describe_configs import DescribeConfigsResourceResult

TOPIC, BROKER = 2, 4
SET, DELETE = 0, 1
SOURCE_NAMES = {
    0: "UNKNOWN",
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
    6: "DYNAMIC_BROKER_LOGGER_CONFIG",
    7: "CLIENT_METRICS_CONFIG",
}


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-configs.sh", description="This tool helps to manipulate and describe entity config for a topic or broker"
    )
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The Kafka server to connect to.")
    actions = p.add_mutually_exclusive_group(required=True)
    actions.add_argument("--describe", action="store_true", help="List configs for the given entity.")
    actions.add_argument("--alter", action="store_true", help="Alter the configuration for the entity.")
    p.add_argument(
        "--entity-type",
        choices=["topics", "brokers", "users", "clients"],
        action=_Positional,
        help="Type of entity (topics/brokers/users/clients); users and clients may be given together",
    )
    p.add_argument("--entity-name", action=_Positional, help="Name of entity (topic name/broker id/user principal/client id)")
    p.add_argument(
        "--entity-default",
        action=_Positional,
        nargs=0,
        help="Default entity name for clients/users/brokers (applies to the corresponding entity type)",
    )
    p.add_argument("--topic", help="The topic's name (same as --entity-type topics --entity-name <topic>)")
    p.add_argument("--broker", help="The broker's ID (same as --entity-type brokers --entity-name <id>)")
    p.add_argument("--broker-defaults", action="store_true", help="The config defaults for all brokers.")
    p.set_defaults(entity_types=[], entity_names=[])
    p.add_argument("--add-config", help="Key Value pairs of configs to add: k1=v1,k2=[v1,v2,v2],k3=v3")
    p.add_argument("--add-config-file", help="Path to a properties file with configs to add.")
    p.add_argument("--delete-config", help="config keys to remove 'k1,k2'")
    p.add_argument("--all", action="store_true", help="List all configs for the given entity, including static configs and defaults.")
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


class _Positional(argparse.Action):
    """--entity-type / --entity-name / --entity-default as Kafka pairs them: by position. The last value is
    kept as before (topics, brokers); `entity_types` and `entity_names` (None for --entity-default) keep all."""

    def __call__(self, parser: argparse.ArgumentParser, ns: argparse.Namespace, values: object, option: str | None = None) -> None:
        if option == "--entity-type":
            ns.entity_type = values
            ns.entity_types = [*(getattr(ns, "entity_types", None) or []), values]
            return
        ns.entity_names = [*(getattr(ns, "entity_names", None) or []), None if option == "--entity-default" else values]
        if option == "--entity-default":
            ns.entity_default = True
        else:
            ns.entity_name = values


def split_config_list(text: str) -> list[str]:
    """Splits 'a=1,b=[x,y],c=2' on the commas outside square brackets."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]


def parse_add_config(text: str) -> dict[str, str]:
    out = {}
    for item in split_config_list(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f'Invalid entity config: all configs to be added must be in the format "key=val": {item}')
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        out[key.strip()] = value
    return out


def format_entry(c: DescribeConfigsResourceResult) -> str:
    value = "null" if c.value is None else c.value
    synonyms = ", ".join(f"{SOURCE_NAMES.get(s.source, 'UNKNOWN')}:{s.name}={'null' if s.value is None else s.value}" for s in c.synonyms)
    sensitive = "true" if c.is_sensitive else "false"
    return f"  {c.name}={value} sensitive={sensitive} synonyms={{{synonyms}}}"


def resolve_entity(a: argparse.Namespace) -> tuple[str, str | None]:
    """(entity type, name or None for all; '' for broker defaults) from either flag style."""
    if a.topic:
        return "topics", a.topic
    if a.broker:
        return "brokers", a.broker
    if a.broker_defaults:
        return "brokers", ""
    if not a.entity_type:
        raise ValueError("an entity type must be specified: --entity-type topics|brokers (or --topic, --broker, --broker-defaults)")
    if a.entity_default:
        if a.entity_type != "brokers":
            raise ValueError("--entity-default is only valid with --entity-type brokers")
        return a.entity_type, ""
    return a.entity_type, a.entity_name


async def describe(admin: AsyncAdmin, entity_type: str, name: str | None, show_all: bool) -> int:
    if entity_type == "topics":
        names = [name] if name is not None else sorted(t.name for t in (await admin.list_topics()).topics)
        for topic in names:
            print(f"{'All' if show_all else 'Dynamic'} configs for topic {topic} are:")
            result = await admin.describe_resource_configs(TOPIC, topic)
            for c in sorted(result.configs, key=lambda c: c.name):
                if show_all or c.config_source == 1:
                    print(format_entry(c))
        return 0
    await admin.cluster.refresh([])
    if name == "":
        print("Default configs for brokers in the cluster are:")
        result = await admin.describe_resource_configs(BROKER, "")
        for c in sorted(result.configs, key=lambda c: c.name):
            if c.config_source == 3:
                print(format_entry(c))
        return 0
    ids = [name] if name is not None else [str(b) for b in sorted(admin.cluster.brokers)]
    for broker in ids:
        if not broker.isdigit():
            raise ValueError(f"The entity name for brokers must be a valid integer broker id, but it is: {broker}")
        print(f"{'All' if show_all else 'Dynamic'} configs for broker {broker} are:")
        node = int(broker) if int(broker) in admin.cluster.brokers else None
        result = await admin.describe_resource_configs(BROKER, broker, node)
        for c in sorted(result.configs, key=lambda c: c.name):
            if show_all or c.config_source == 2:
                print(format_entry(c))
    return 0


def configs_to_alter(a: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    """--add-config / --add-config-file / --delete-config: (keys to set, keys to delete)."""
    to_add = parse_add_config(a.add_config) if a.add_config else {}
    if a.add_config_file:
        to_add.update(read_properties_file(a.add_config_file))
    to_delete = [k.strip() for k in (a.delete_config or "").split(",") if k.strip()]
    if not to_add and not to_delete:
        raise ValueError("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
    both = set(to_add) & set(to_delete)
    if both:
        raise ValueError(f"Invalid alter: a config cannot be both added and deleted: {', '.join(sorted(both))}")
    return to_add, to_delete


async def alter(admin: AsyncAdmin, a: argparse.Namespace, entity_type: str, name: str | None) -> int:
    if name is None:
        raise ValueError("an entity name must be specified with --alter (--entity-name, --topic or --broker)")
    to_add, to_delete = configs_to_alter(a)
    ops: list[tuple[str, int, str | None]] = [(k, SET, v) for k, v in to_add.items()] + [(k, DELETE, None) for k in to_delete]
    if entity_type == "topics":
        await admin.incremental_alter_configs(TOPIC, name, ops)
        print(f"Completed updating config for topic {name}.")
        return 0
    if name != "" and not name.isdigit():
        raise ValueError(f"The entity name for brokers must be a valid integer broker id, but it is: {name}")
    await admin.cluster.refresh([])
    node = int(name) if name and int(name) in admin.cluster.brokers else None
    await admin.incremental_alter_configs(BROKER, name, ops, node)
    print(
        "Completed updating default config for brokers in the cluster." if name == "" else f"Completed updating config for broker {name}."
    )
    return 0


async def users_and_clients(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    """--entity-type users and/or clients: quotas (cli/quota_configs.py) and users' SCRAM credentials."""
    if set(a.entity_types) - {"users", "clients"}:
        raise ValueError(
            f"--entity-type users/clients cannot be combined with {', '.join(sorted(set(a.entity_types) - {'users', 'clients'}))}"
        )
    entities = quota_configs.entity_args(a.entity_types, a.entity_names)
    if a.describe:
        return await quota_configs.describe(admin, entities)
    return await quota_configs.alter(admin, entities, *configs_to_alter(a))


async def main_async(a: argparse.Namespace, argv: list[str]) -> int:
    users_or_clients = bool({"users", "clients"} & set(a.entity_types))
    entity_type, name = ("", None) if users_or_clients else resolve_entity(a)
    admin = AsyncAdmin(admin_config(a.bootstrap_server, a.command_config, "configs-command"))
    try:
        if users_or_clients:
            return await users_and_clients(admin, a)
        if a.describe:
            return await describe(admin, entity_type, name, a.all)
        return await alter(admin, a, entity_type, name)
    except KafkaError as exc:
        print(f"Error while executing config command with args '{shlex.join(argv)}'", file=sys.stderr)
        print(f"java.util.concurrent.ExecutionException: {java_error(exc.code(), exc.message)}", file=sys.stderr)
        return 1
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    return run(main_async(args, argv), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
