"""kafka-console-consumer.sh: print records of a topic; Ctrl-C (or --max-messages / --timeout-ms) ends it
with Kafka's "Processed a total of N messages" line."""

from __future__ import annotations

import argparse
import sys
import time

from strom.cli.common import KafkaArgumentParser, parse_properties, run
from strom.client.consumer import EARLIEST, LATEST, AsyncConsumer


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-console-consumer.sh", description="Consume messages from a topic and print them to standard output."
    )
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The server(s) to connect to.")
    p.add_argument("--topic", help="The topic to consume on.")
    p.add_argument(
        "--from-beginning", action="store_true", help="Start with the earliest message present in the log rather than the latest message."
    )
    p.add_argument(
        "--partition",
        type=int,
        help="The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.",
    )
    p.add_argument(
        "--offset", default="latest", help="The offset to consume from (a non-negative number), or 'earliest' / 'latest' (default: latest)"
    )
    p.add_argument("--group", help="The consumer group id of the consumer (not supported by this tool yet).")
    p.add_argument("--max-messages", type=int, help="The maximum number of messages to consume before exiting.")
    p.add_argument(
        "--timeout-ms", type=int, help="If specified, exit if no message is available for consumption for the specified interval."
    )
    p.add_argument(
        "--property",
        action="append",
        default=[],
        help="print.key, print.timestamp, print.partition, print.offset, print.headers, key.separator, line.separator",
    )
    p.add_argument(
        "--consumer-property",
        action="append",
        default=[],
        help="A mechanism to pass user-defined properties in the form key=value to the consumer.",
    )
    p.add_argument(
        "--isolation-level",
        default="read_uncommitted",
        choices=["read_uncommitted", "read_committed"],
        help="Set to read_committed in order to filter out transactional messages which are not committed.",
    )
    p.add_argument(
        "--skip-message-on-error", action="store_true", help="If there is an error when processing a message, skip it instead of halt."
    )
    return p


def _on(props: dict[str, str], key: str) -> bool:
    return props.get(key, "false").lower() == "true"


def format_record(r: object, props: dict[str, str]) -> str:
    sep = props.get("key.separator", "\t")
    parts = []
    if _on(props, "print.timestamp"):
        kind = "CreateTime" if r.timestamp_type == 0 else "LogAppendTime"  # type: ignore[attr-defined]
        parts.append(f"{kind}:{r.timestamp}")  # type: ignore[attr-defined]
    if _on(props, "print.partition"):
        parts.append(f"Partition:{r.partition}")  # type: ignore[attr-defined]
    if _on(props, "print.offset"):
        parts.append(f"Offset:{r.offset}")  # type: ignore[attr-defined]
    if _on(props, "print.headers"):
        hs = r.headers  # type: ignore[attr-defined]
        parts.append(",".join(f"{k}:{'null' if v is None else v.decode(errors='replace')}" for k, v in hs) if hs else "NO_HEADERS")
    if _on(props, "print.key"):
        k = r.key  # type: ignore[attr-defined]
        parts.append("null" if k is None else k.decode(errors="replace"))
    v = r.value  # type: ignore[attr-defined]
    parts.append("null" if v is None else v.decode(errors="replace"))
    return sep.join(parts)


async def consume(args: argparse.Namespace, counter: list[int]) -> int:
    if not args.topic:
        print("Exactly one of whitelist/topic is required.", file=sys.stderr)
        return 1
    if args.group:
        print("Error: --group is not supported by Strom's console consumer yet (it reads without a group).", file=sys.stderr)
        return 1
    props = parse_properties(args.property, "--property")
    consumer = AsyncConsumer(args.bootstrap_server, isolation_level=1 if args.isolation_level == "read_committed" else 0)
    try:
        partitions = [args.partition] if args.partition is not None else await consumer.partitions_for(args.topic)
        tps = [(args.topic, p) for p in partitions]
        if args.offset not in ("earliest", "latest"):
            if args.partition is None:
                print("The partition is required when offset is specified.", file=sys.stderr)
                return 1
            try:
                offset = int(args.offset)
            except ValueError:
                print(
                    f"The provided offset value '{args.offset}' is incorrect. "
                    "Valid values are 'earliest', 'latest', or a non-negative long.",
                    file=sys.stderr,
                )
                return 1
            await consumer.assign(tps, offsets={tps[0]: offset})
        else:
            start = EARLIEST if args.from_beginning or args.offset == "earliest" else LATEST
            await consumer.assign(tps, start)
        last = time.monotonic()
        out = sys.stdout
        while True:
            records = await consumer.poll()
            if records:
                last = time.monotonic()
            for r in records:
                out.write(format_record(r, props) + "\n")
                counter[0] += 1
                if args.max_messages is not None and counter[0] >= args.max_messages:
                    out.flush()
                    return 0
            out.flush()
            if args.timeout_ms is not None and (time.monotonic() - last) * 1000 >= args.timeout_ms:
                print(
                    "[ERROR] Error processing message, terminating consumer process:  org.apache.kafka.common.errors.TimeoutException",
                    file=sys.stderr,
                )
                return 0
    finally:
        await consumer.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    counter = [0]
    try:
        code = run(consume(args, counter))
    finally:
        print(f"Processed a total of {counter[0]} messages", file=sys.stderr)
    return 0 if code == 130 else code


if __name__ == "__main__":
    sys.exit(main())
