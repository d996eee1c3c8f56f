"""kafka-console-consumer.sh: print records of a topic; Ctrl-C (or --max-messages / --timeout-ms) ends it
with Kafka's "Processed a total of N messages" line.

As Kafka's tool does, it consumes through a consumer group (--group, or a generated console-consumer-NNNNN
group that commits nothing), unless --partition asks for one partition by assignment.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from typing import Any

from strom.cli.common import KafkaArgumentParser, client_config, parse_properties, read_properties_file, run
from strom.client.consumer import EARLIEST, LATEST, AsyncConsumer, ConsumerRecord


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-console-consumer.sh", description="Consume messages from a topic and print them to standard output."
    )
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The server(s) to connect to.")
    topics = p.add_mutually_exclusive_group()
    topics.add_argument("--topic", help="The topic to consume on.")
    topics.add_argument("--include", "--whitelist", dest="include", help="Regular expression of the topics to include for consumption.")
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
    p.add_argument("--group", help="The consumer group id of the consumer.")
    p.add_argument("--max-messages", type=int, help="The maximum number of messages to consume before exiting.")
    p.add_argument(
        "--timeout-ms", type=int, help="If specified, exit if no message is available for consumption for the specified interval."
    )
    p.add_argument(
        "--property",
        action="append",
        default=[],
        help="Formatter properties: print.timestamp, print.key, print.offset, print.partition, print.headers, print.value, "
        "key.separator, line.separator, headers.separator, null.literal",
    )
    p.add_argument("--formatter-config", help="Config properties file for the formatter (same keys as --property).")
    p.add_argument(
        "--consumer-property",
        action="append",
        default=[],
        help="A mechanism to pass user-defined properties in the form key=value to the consumer.",
    )
    p.add_argument("--consumer.config", dest="consumer_config", help="Consumer config properties file.")
    p.add_argument(
        "--isolation-level",
        choices=["read_uncommitted", "read_committed"],
        help="Set to read_committed in order to filter out transactional messages which are not committed.",
    )
    p.add_argument("--formatter", help="Accepted for compatibility; records are printed by Kafka's DefaultMessageFormatter rules.")
    p.add_argument(
        "--skip-message-on-error", action="store_true", help="If there is an error when processing a message, skip it instead of halt."
    )
    p.add_argument("--enable-systest-events", action="store_true", help="Accepted for compatibility.")
    return p


@dataclass(frozen=True, slots=True)
class Formatter:
    """Kafka's DefaultMessageFormatter: timestamp, partition, offset, headers, key, value, joined by key.separator."""

    props: dict[str, str]

    def _on(self, key: str, default: str = "false") -> bool:
        return self.props.get(key, default).strip().lower() == "true"

    def _text(self, data: bytes | None) -> str:
        return self.props.get("null.literal", "null") if data is None else data.decode(errors="replace")

    def format(self, r: ConsumerRecord) -> str:
        sep = self.props.get("key.separator", "\t")
        parts = []
        if self._on("print.timestamp"):
            parts.append(f"{'CreateTime' if r.timestamp_type == 0 else 'LogAppendTime'}:{r.timestamp}")
        if self._on("print.partition"):
            parts.append(f"Partition:{r.partition}")
        if self._on("print.offset"):
            parts.append(f"Offset:{r.offset}")
        if self._on("print.headers"):
            hsep = self.props.get("headers.separator", ",")
            hkey = self.props.get("headers.key.separator", ":")
            hs = r.headers
            parts.append(hsep.join(f"{k}{hkey}{self._text(v)}" for k, v in hs) if hs else "NO_HEADERS")
        if self._on("print.key"):
            parts.append(self._text(r.key))
        if self._on("print.value", "true"):
            parts.append(self._text(r.value))
        return sep.join(parts) + self.props.get("line.separator", "\n")


def consumer_properties(a: argparse.Namespace, group: str) -> dict[str, Any]:
    props = read_properties_file(a.consumer_config) if a.consumer_config else {}
    props.update(parse_properties(a.consumer_property, "--consumer-property"))
    props["bootstrap.servers"] = a.bootstrap_server
    props["group.id"] = group
    props.setdefault("client.id", "console-consumer")
    props.setdefault("auto.offset.reset", "earliest" if a.from_beginning else "latest")
    if not a.group and "group.id" not in parse_properties(a.consumer_property, "--consumer-property"):
        props.setdefault("enable.auto.commit", "false")  # the generated group is not meant to be used again
    if a.isolation_level:
        props["isolation.level"] = a.isolation_level
    return client_config("consumer", props)


def start_offset(a: argparse.Namespace) -> int:
    if a.offset == "earliest" or (a.offset == "latest" and a.from_beginning):
        return EARLIEST
    if a.offset == "latest":
        return LATEST
    try:
        value = int(a.offset)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(
            f"The provided offset value '{a.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
        )
    return value


def option_error(a: argparse.Namespace) -> str | None:
    """Kafka's message for the first combination of options its tool refuses, or None."""
    if not a.topic and not a.include:
        return "Exactly one of include/topic is required."
    if a.partition is None and a.offset != "latest":
        return "The partition is required when offset is specified."
    if a.partition is not None and a.include:
        return "Option include is not valid with partition."
    if a.from_beginning and a.offset != "latest":
        return "Options from-beginning and offset cannot be specified together."
    return None


async def start_consuming(consumer: AsyncConsumer, a: argparse.Namespace) -> None:
    """--partition assigns that partition from --offset; otherwise the group subscribes to --topic or --include."""
    if a.partition is None:
        await consumer.subscribe([f"^{a.include}$"] if a.include else [a.topic])
        return
    offset = start_offset(a)
    tp = (a.topic, a.partition)
    if offset >= 0:
        await consumer.assign([tp], offsets={tp: offset})
    else:
        await consumer.assign([tp], offset)


async def consume(a: argparse.Namespace, counter: list[int]) -> int:
    error = option_error(a)
    if error is not None:
        print(error, file=sys.stderr)
        return 1
    given = parse_properties(a.consumer_property, "--consumer-property").get("group.id")
    if a.group and given and given != a.group:
        print(f"Option group '{a.group}' conflicts with the group.id '{given}' set in consumer properties", file=sys.stderr)
        return 1
    group = a.group or given or f"console-consumer-{random.randrange(100000)}"
    formatter_props = read_properties_file(a.formatter_config) if a.formatter_config else {}
    formatter_props.update(parse_properties(a.property, "--property"))
    formatter = Formatter(formatter_props)
    consumer = AsyncConsumer(consumer_properties(a, group))
    try:
        await start_consuming(consumer, a)
        last = time.monotonic()
        out = sys.stdout
        while True:
            wait = 0.5 if a.timeout_ms is None else max(min(0.5, a.timeout_ms / 1000 - (time.monotonic() - last)), 0.0)
            records = await consumer.poll(wait)
            if records:
                last = time.monotonic()
            for r in records:
                out.write(formatter.format(r))
                counter[0] += 1
                if a.max_messages is not None and counter[0] >= a.max_messages:
                    out.flush()
                    return 0
            out.flush()
            if a.timeout_ms is not None and (time.monotonic() - last) * 1000 >= a.timeout_ms:
                print(
                    "[ERROR] Error processing message, terminating consumer process:  (kafka.tools.ConsoleConsumer$)\n"
                    "org.apache.kafka.common.errors.TimeoutException",
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
