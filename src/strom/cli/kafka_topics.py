"""kafka-topics.sh: create, list, describe, alter (partitions) and delete topics, with Kafka's flags
and output lines."""

from __future__ import annotations

import argparse
import base64
import sys
import uuid

from strom.cli.common import KafkaArgumentParser, admin_config, parse_properties, run
from strom.client.admin import AsyncAdmin, NewTopic
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import describe_topic_partitions
from strom.protocol.schema.describe_configs import DescribeConfigsResponse, DescribeConfigsResult
from strom.protocol.schema.metadata import MetadataResponse, MetadataResponseTopic
from strom.protocol.types import TP

TOPIC_RESOURCE = 2


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-topics.sh", description="Create, delete, describe, or change a topic.")
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The Kafka server to connect to.")
    actions = p.add_mutually_exclusive_group(required=True)
    actions.add_argument("--create", action="store_true", help="Create a new topic.")
    actions.add_argument("--list", action="store_true", help="List all available topics.")
    actions.add_argument("--describe", action="store_true", help="List details for the given topics.")
    actions.add_argument("--alter", action="store_true", help="Alter the number of partitions of a topic.")
    actions.add_argument("--delete", action="store_true", help="Delete a topic.")
    p.add_argument("--topic", help="The topic to create, alter, describe or delete.")
    p.add_argument("--partitions", type=int, help="The number of partitions for the topic being created or altered.")
    p.add_argument("--replication-factor", type=int, help="The replication factor for each partition in the topic being created.")
    p.add_argument("--config", action="append", default=[], help="A topic configuration override: name=value.")
    p.add_argument("--if-not-exists", action="store_true", help="Only create the topic if it does not already exist.")
    p.add_argument("--if-exists", action="store_true", help="Only alter or delete the topic if it exists.")
    p.add_argument("--exclude-internal", action="store_true", help="Exclude internal topics when listing or describing.")
    p.add_argument("--under-replicated-partitions", action="store_true", help="Only show under-replicated partitions.")
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


def topic_id_string(topic_id: uuid.UUID) -> str:
    """Kafka prints topic ids as URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


# a partition's eligible leader replicas and last known ones (KIP-966); None where the broker sent none
Elr = tuple[list[int] | None, list[int] | None]


async def eligible_leader_replicas(admin: AsyncAdmin, names: list[str]) -> dict[TP, Elr] | None:
    """(ELR, last known ELR) per partition from DescribeTopicPartitions (KIP-966), or None when the broker lacks the API
    -- Kafka 3.9's tool then prints N/A, as here."""
    conn = await admin.cluster.any_connection()
    if describe_topic_partitions.API_KEY not in conn.versions or not names:
        return None
    resp: describe_topic_partitions.DescribeTopicPartitionsResponse = await conn.send(
        describe_topic_partitions.DescribeTopicPartitionsRequest(
            topics=[describe_topic_partitions.TopicRequest(name=n) for n in names], response_partition_limit=2000
        ),
        0,
    )
    return {
        (t.name, p.partition_index): (p.eligible_leader_replicas, p.last_known_elr)
        for t in resp.topics
        if t.name is not None  # the response names every topic asked for; a nameless one matches none
        for p in t.partitions
    }


def elr_text(elr: dict[TP, Elr] | None, topic: str, partition: int) -> str:
    if elr is None:
        return "Elr: N/A\tLastKnownElr: N/A"
    current, last = elr.get((topic, partition), (None, None))
    return f"Elr: {','.join(map(str, current or []))}\tLastKnownElr: {','.join(map(str, last or []))}"


def command_failed(err: KafkaError, tolerated: ErrorCode, tolerate: bool, message: str) -> int:
    """The exit code for a topic the command failed on: 0 when --if-exists / --if-not-exists (`tolerate`)
    covers the error, else 1 after Kafka's error line."""
    if err.code() == tolerated and tolerate:
        return 0
    print(f"Error while executing topic command : {message}", file=sys.stderr)
    return 1


async def create_topic(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    if not a.topic:
        print('Missing required argument "[topic]"', file=sys.stderr)
        return 1
    topic_configs = parse_properties(a.config, "--config")
    partitions = a.partitions if a.partitions is not None else -1
    replication_factor = a.replication_factor if a.replication_factor is not None else -1
    result = await admin.create_topics([NewTopic(a.topic, partitions, replication_factor, topic_configs)])
    err = result.get(a.topic)
    if err is not None:
        return command_failed(err, ErrorCode.TOPIC_ALREADY_EXISTS, a.if_not_exists, err.message)
    print(f"Created topic {a.topic}.")
    return 0


async def list_topics(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    meta: MetadataResponse = await admin.list_topics()
    for t in sorted(meta.topics, key=lambda t: t.name or ""):
        if a.exclude_internal and t.is_internal:
            continue
        if a.topic and t.name != a.topic:
            continue
        print(t.name)
    return 0


async def describe_topics(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    meta: MetadataResponse = await admin.list_topics([a.topic] if a.topic else None)
    topics = sorted(meta.topics, key=lambda t: t.name or "")
    if a.topic and (not topics or topics[0].error_code):
        print(f"Error while executing topic command : Topic '{a.topic}' does not exist as expected", file=sys.stderr)
        return 1
    # topics are named in a Metadata response unless asked for by id, which this tool never does
    names = [t.name for t in topics if t.name is not None and not (a.exclude_internal and t.is_internal)]
    elr = await eligible_leader_replicas(admin, names)
    configs: DescribeConfigsResponse | None = await admin.describe_configs(TOPIC_RESOURCE, names) if names else None
    by_name = {r.resource_name: r for r in (configs.results if configs else [])}
    for t in topics:
        if t.name is not None and t.name in names:
            print_topic(t, t.name, by_name.get(t.name), elr, a.under_replicated_partitions)
    return 0


def print_topic(
    t: MetadataResponseTopic, name: str, configs: DescribeConfigsResult | None, elr: dict[TP, Elr] | None, under_replicated_only: bool
) -> None:
    """One topic as Kafka's --describe prints it: a summary line, then a line per partition (with
    --under-replicated-partitions only the partitions short of their ISR, and no summary)."""
    parts = sorted(t.partitions, key=lambda p: p.partition_index)
    rf = len(parts[0].replica_nodes) if parts else 0
    # Kafka shows every config not at its built-in default (topic overrides and broker settings), in the broker's order
    overrides = ",".join(f"{c.name}={c.value}" for c in (configs.configs if configs else []) if c.config_source not in (5, -1))
    under = [p for p in parts if len(p.isr_nodes) < len(p.replica_nodes)]
    if under_replicated_only and not under:
        return
    if not under_replicated_only:
        print(
            f"Topic: {name}\tTopicId: {topic_id_string(t.topic_id)}\tPartitionCount: {len(parts)}\t"
            f"ReplicationFactor: {rf}\tConfigs: {overrides}"
        )
    for p in under if under_replicated_only else parts:
        print(
            f"\tTopic: {name}\tPartition: {p.partition_index}\tLeader: {p.leader_id if p.leader_id >= 0 else 'none'}\t"
            f"Replicas: {','.join(map(str, p.replica_nodes))}\tIsr: {','.join(map(str, p.isr_nodes))}\t"
            + elr_text(elr, name, p.partition_index)
        )


async def alter_topic(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    if not a.topic or a.partitions is None:
        print("Error: --alter needs --topic and --partitions", file=sys.stderr)
        return 1
    err = (await admin.create_partitions({a.topic: a.partitions})).get(a.topic)
    return 0 if err is None else command_failed(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, a.if_exists, err.message)


async def delete_topic(admin: AsyncAdmin, a: argparse.Namespace) -> int:
    if not a.topic:
        print('Missing required argument "[topic]"', file=sys.stderr)
        return 1
    err = (await admin.delete_topics([a.topic])).get(a.topic)
    missing = f"Topic '{a.topic}' does not exist as expected"
    return 0 if err is None else command_failed(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, a.if_exists, missing)


# the actions by their flag, in the order the first one given wins
ACTIONS = (("create", create_topic), ("list", list_topics), ("describe", describe_topics), ("alter", alter_topic), ("delete", delete_topic))


async def main_async(args: argparse.Namespace) -> int:
    admin = AsyncAdmin(admin_config(args.bootstrap_server, args.command_config, "adminclient-topics"))
    try:
        for flag, action in ACTIONS:
            if getattr(args, flag):
                return await action(admin, args)
        return 1
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(main_async(args), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
