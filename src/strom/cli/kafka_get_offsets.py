"""kafka-get-offsets.sh (GetOffsetShell): offsets of topic partitions by time spec, one 'topic:partition:offset' line each."""

from __future__ import annotations

import argparse
import re
import sys

from strom.cli.common import KafkaArgumentParser, admin_config, run
from strom.client.admin import AsyncAdmin

TIME_NAMES = {"latest": -1, "earliest": -2, "max-timestamp": -3, "earliest-local": -4, "latest-tiered": -5}


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-get-offsets.sh", description="An interactive shell for getting topic-partition offsets.")
    servers = p.add_mutually_exclusive_group(required=True)
    servers.add_argument("--bootstrap-server", help="REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.")
    servers.add_argument("--broker-list", help="DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.")
    p.add_argument("--topic", help="The topic to get the offsets for. It also accepts a regular expression.")
    p.add_argument("--partitions", help="Comma separated list of partition ids to get the offsets for.")
    p.add_argument(
        "--topic-partitions",
        help="Comma separated list of topic-partition patterns to get the offsets for: topic-regex:partitions, "
        "partitions being a number, a range 0-5, an open range 3- or -3.",
    )
    p.add_argument(
        "--time",
        default="latest",
        help="timestamp of the offsets before that; -1 or latest, -2 or earliest, -3 or max-timestamp, or a timestamp in ms.",
    )
    p.add_argument("--exclude-internal-topics", action="store_true", help="By default, internal topics are included.")
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


def parse_time(text: str) -> int:
    if text.lower() in TIME_NAMES:
        return TIME_NAMES[text.lower()]
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"Malformed time argument {text}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp, "
            "or a specified long format timestamp"
        ) from None


def partition_filter(spec: str | None) -> list[tuple[int, int]]:
    """'0,2-4,7-' -> inclusive ranges; None means every partition."""
    if not spec:
        return [(0, 2**31 - 1)]
    out = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d*)-(\d*)", part)
        if m and (m.group(1) or m.group(2)):
            lo = int(m.group(1)) if m.group(1) else 0
            hi = int(m.group(2)) - (1 if not m.group(1) else 0) if m.group(2) else 2**31 - 1
            out.append((lo, hi))
        elif part.isdigit():
            out.append((int(part), int(part)))
        else:
            raise ValueError(f"Invalid partition '{part}': expected a number or a range like 0-5")
    return out


def topic_partition_filters(a: argparse.Namespace) -> list[tuple[re.Pattern[str], list[tuple[int, int]]]]:
    if a.topic_partitions:
        if a.topic or a.partitions:
            raise ValueError("--topic-partitions cannot be used with --topic or --partitions")
        filters = []
        for item in _split_tp_list(a.topic_partitions):
            topic, _, parts = item.rpartition(":") if ":" in item else (item, "", "")
            filters.append((re.compile(topic or ".*"), partition_filter(parts or None)))
        return filters
    if a.partitions and not re.fullmatch(r"\d+(,\d+)*", a.partitions.replace(" ", "")):
        raise ValueError(f"--partitions expects a comma separated list of numeric partition ids, but received: {a.partitions}")
    return [(re.compile(a.topic or ".*"), partition_filter(a.partitions))]


def _split_tp_list(text: str) -> list[str]:
    """'t1:0,t2:1-3,t3' split on commas that start a new topic pattern (a comma followed by a partition spec stays)."""
    items: list[str] = []
    for chunk in text.split(","):
        chunk = chunk.strip()
        if items and ":" in items[-1] and re.fullmatch(r"\d*-?\d*", chunk):
            items[-1] += "," + chunk
        else:
            items.append(chunk)
    return [i for i in items if i]


async def main_async(a: argparse.Namespace) -> int:
    spec = parse_time(a.time)
    filters = topic_partition_filters(a)
    admin = AsyncAdmin(admin_config(a.bootstrap_server or a.broker_list, a.command_config, "get-offsets-shell"))
    try:
        meta = await admin.list_topics()
        tps = []
        for t in meta.topics:
            if t.error_code or (a.exclude_internal_topics and t.is_internal):
                continue
            for p in t.partitions:
                if any(rx.fullmatch(t.name) and any(lo <= p.partition_index <= hi for lo, hi in ranges) for rx, ranges in filters):
                    tps.append((t.name, p.partition_index))
        if not tps:
            print("Error occurred: Could not match any topic-partitions with the specified filters", file=sys.stderr)
            return 1
        offsets = await admin.list_offsets(tps, spec)
        for (topic, partition), (err, offset, _) in sorted(offsets.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            print(f"{topic}:{partition}:{offset if not err and offset >= 0 else ''}")
        return 0
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    return run(main_async(build_parser().parse_args(argv)), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
