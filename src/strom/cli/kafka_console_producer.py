"""kafka-console-producer.sh: one record per stdin line, Kafka's flags; the '>' prompt only on a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys

from strom.cli.common import KafkaArgumentParser, parse_properties, run
from strom.client.producer import AsyncProducer
from strom.protocol.errors import KafkaError

CODECS = {"none": "none", "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-console-producer.sh", description="Read data from standard input and publish it to Kafka.")
    servers = p.add_mutually_exclusive_group(required=True)
    servers.add_argument("--bootstrap-server", help="REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.")
    servers.add_argument(
        "--broker-list", help="DEPRECATED, use --bootstrap-server instead. The broker list string in the form HOST1:PORT1,HOST2:PORT2."
    )
    p.add_argument("--topic", required=True, help="REQUIRED: The topic id to produce messages to.")
    p.add_argument("--property", action="append", default=[], help="parse.key=true|false, key.separator=<sep>, ignore.error=true|false")
    p.add_argument(
        "--producer-property",
        action="append",
        default=[],
        help="A mechanism to pass user-defined properties in the form key=value to the producer.",
    )
    p.add_argument(
        "--producer.config",
        dest="producer_config",
        help="Producer config properties file (accepted, --producer-property takes precedence).",
    )
    p.add_argument("--request-required-acks", default="-1", help="The required acks of the producer requests (default: -1)")
    p.add_argument(
        "--compression-codec",
        nargs="?",
        const="gzip",
        default="none",
        help="The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. "
        "If specified without value, then it defaults to 'gzip'",
    )
    p.add_argument(
        "--sync", action="store_true", help="If set message send requests to the brokers are synchronously, one at a time as they arrive."
    )
    p.add_argument("--timeout", type=int, default=1000, help="linger.ms: the time a batch waits for more records (default: 1000)")
    p.add_argument("--batch-size", type=int, default=16384, help="Number of messages to send in a single batch (default: 16384 bytes here)")
    return p


async def produce(args: argparse.Namespace) -> int:
    props = parse_properties(args.property, "--property")
    producer_props = parse_properties(args.producer_property, "--producer-property")
    parse_key = props.get("parse.key", "false").lower() == "true"
    separator = props.get("key.separator", "\t")
    ignore_error = props.get("ignore.error", "false").lower() == "true"
    acks_text = producer_props.get("acks", args.request_required_acks)
    acks = -1 if acks_text == "all" else int(acks_text)
    codec = producer_props.get("compression.type", args.compression_codec)
    if codec not in CODECS:
        print(f"Error: unknown compression codec '{codec}'", file=sys.stderr)
        return 1
    producer = AsyncProducer(
        args.bootstrap_server or args.broker_list,
        acks=acks,
        linger_ms=int(producer_props.get("linger.ms", 0 if args.sync else min(args.timeout, 50))),
        batch_size=int(producer_props.get("batch.size", args.batch_size)),
        compression_type=codec,
        client_id=producer_props.get("client.id", "console-producer"),
    )
    interactive = sys.stdin.isatty()
    loop = asyncio.get_running_loop()
    failures: list[KafkaError] = []
    pending = []

    def report(fut: asyncio.Future[object]) -> None:
        exc = fut.exception()
        if isinstance(exc, KafkaError):
            failures.append(exc)
            print(f"[ERROR] Error when sending message to topic {args.topic}: {exc}", file=sys.stderr)

    try:
        await producer.cluster.any_connection()
        while True:
            if interactive:
                sys.stdout.write(">")
                sys.stdout.flush()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            line = line.rstrip("\n").rstrip("\r")
            key = None
            value = line
            if parse_key:
                k, sep, v = line.partition(separator)
                if not sep:
                    if ignore_error:
                        value = line
                    else:
                        print(f"No key separator found on line number 1: '{line}'", file=sys.stderr)
                        return 1
                else:
                    key, value = k.encode(), v
            fut = await producer.send(args.topic, value.encode(), key)
            fut.add_done_callback(report)
            pending.append(fut)
            if args.sync:
                await asyncio.gather(fut, return_exceptions=True)
        await producer.flush()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await producer.close()
    return 1 if failures and not ignore_error else 0


def main(argv: list[str] | None = None) -> int:
    return run(produce(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
