"""kafka-console-producer.sh: one record per stdin line, Kafka's flags; the '>' prompt only on a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from strom.cli.common import KafkaArgumentParser, client_config, parse_properties, read_properties_file, run
from strom.client.producer import AsyncProducer
from strom.client.types import RecordMetadata
from strom.protocol.errors import KafkaError

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-console-producer.sh", description="Read data from standard input and publish it to Kafka.")
    servers = p.add_mutually_exclusive_group(required=True)
    servers.add_argument("--bootstrap-server", help="REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.")
    servers.add_argument(
        "--broker-list", help="DEPRECATED, use --bootstrap-server instead. The broker list string in the form HOST1:PORT1,HOST2:PORT2."
    )
    p.add_argument("--topic", required=True, help="REQUIRED: The topic id to produce messages to.")
    p.add_argument(
        "--property",
        action="append",
        default=[],
        help="Properties of the line reader: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, "
        "headers.key.separator, null.marker, ignore.error",
    )
    p.add_argument("--reader-config", help="Config properties file for the message reader (same keys as --property).")
    p.add_argument(
        "--producer-property",
        action="append",
        default=[],
        help="A mechanism to pass user-defined properties in the form key=value to the producer.",
    )
    p.add_argument("--producer.config", dest="producer_config", help="Producer config properties file.")
    p.add_argument("--request-required-acks", help="The required acks of the producer requests (default: -1)")
    p.add_argument(
        "--compression-codec",
        nargs="?",
        const="gzip",
        help="The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. "
        "If specified without value, then it defaults to 'gzip'",
    )
    p.add_argument("--sync", action="store_true", help="If set message send requests to the brokers are synchronously, one at a time.")
    p.add_argument("--timeout", type=int, help="linger.ms: the time a batch waits for more records (default: 1000)")
    p.add_argument("--batch-size", type=int, help="batch.size: bytes in a single batch (default: 16384)")
    p.add_argument("--message-send-max-retries", type=int, help="retries (default: 3)")
    p.add_argument("--retry-backoff-ms", type=int, help="retry.backoff.ms (default: 100)")
    p.add_argument("--request-timeout-ms", type=int, help="request.timeout.ms (default: 1500)")
    p.add_argument("--max-block-ms", type=int, help="max.block.ms (default: 60000)")
    p.add_argument("--max-memory-bytes", type=int, help="buffer.memory (default: 33554432)")
    p.add_argument("--max-partition-memory-bytes", type=int, help="batch.size, as Kafka maps it (default: 16384)")
    p.add_argument("--metadata-expiry-ms", type=int, help="metadata.max.age.ms (default: 300000)")
    p.add_argument("--line-reader", help="Accepted for compatibility; lines are read by Kafka's LineMessageReader rules.")
    return p


def producer_properties(a: argparse.Namespace) -> dict[str, Any]:
    """Kafka's precedence: --producer.config, then --producer-property, then the explicit flags; Kafka's console defaults."""
    props = read_properties_file(a.producer_config) if a.producer_config else {}
    props.update(parse_properties(a.producer_property, "--producer-property"))
    props["bootstrap.servers"] = a.bootstrap_server or a.broker_list
    flags = {
        "acks": a.request_required_acks,
        "compression.type": a.compression_codec,
        "linger.ms": 0 if a.sync else a.timeout,
        "batch.size": a.batch_size if a.batch_size is not None else a.max_partition_memory_bytes,
        "retries": a.message_send_max_retries,
        "retry.backoff.ms": a.retry_backoff_ms,
        "request.timeout.ms": a.request_timeout_ms,
        "max.block.ms": a.max_block_ms,
        "buffer.memory": a.max_memory_bytes,
        "metadata.max.age.ms": a.metadata_expiry_ms,
    }
    defaults = {"acks": "-1", "compression.type": "none", "linger.ms": "1000", "retries": "3", "request.timeout.ms": "1500"}
    for key, value in flags.items():
        if value is not None:
            props[key] = str(value)
        elif key in defaults:
            props.setdefault(key, defaults[key])
    if props["compression.type"] not in CODECS:
        raise ValueError(f"Unknown compression codec '{props['compression.type']}': use one of {', '.join(CODECS)}")
    if props.get("acks") not in ("all", "-1", "0", "1"):
        raise ValueError(f"Invalid value {props.get('acks')} for configuration acks: String must be one of: all, -1, 0, 1")
    if props["acks"] != "all" and props["acks"] != "-1":
        props.setdefault("enable.idempotence", "false")  # Kafka turns idempotence off for acks 0/1 unless asked
    props.setdefault("client.id", "console-producer")
    return client_config("producer", props)


@dataclass(frozen=True, slots=True)
class LineReader:
    """Kafka's LineMessageReader: [headers<delimiter>][key<separator>]value per line."""

    parse_key: bool = False
    key_separator: str = "\t"
    parse_headers: bool = False
    headers_delimiter: str = "\t"
    headers_separator: str = ","
    headers_key_separator: str = ":"
    null_marker: str | None = None
    ignore_error: bool = False

    @staticmethod
    def from_properties(props: dict[str, str]) -> LineReader:
        def on(key: str) -> bool:
            return props.get(key, "false").strip().lower() == "true"

        return LineReader(
            parse_key=on("parse.key"),
            key_separator=props.get("key.separator", "\t"),
            parse_headers=on("parse.headers"),
            headers_delimiter=props.get("headers.delimiter", "\t"),
            headers_separator=props.get("headers.separator", ","),
            headers_key_separator=props.get("headers.key.separator", ":"),
            null_marker=props.get("null.marker"),
            ignore_error=on("ignore.error"),
        )

    def parse(self, line: str, number: int) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        headers: list[tuple[str, bytes | None]] = []
        rest = line
        if self.parse_headers:
            head, sep, rest = line.partition(self.headers_delimiter)
            if not sep:
                if not self.ignore_error:
                    raise ValueError(f"No headers delimiter found on line number {number}: '{line}'")
                rest = line
            else:
                for item in head.split(self.headers_separator) if head else []:
                    k, ksep, v = item.partition(self.headers_key_separator)
                    if not ksep:
                        raise ValueError(f"No header key separator found in pair '{item}' on line number {number}")
                    headers.append((k, self._bytes(v)))
        key: bytes | None = None
        value_text = rest
        if self.parse_key:
            k, sep, v = rest.partition(self.key_separator)
            if not sep:
                if not self.ignore_error:
                    raise ValueError(f"No key separator found on line number {number}: '{line}'")
            else:
                key, value_text = self._bytes(k), v
        return key, self._bytes(value_text), headers

    def _bytes(self, text: str) -> bytes | None:
        return None if self.null_marker is not None and text == self.null_marker else text.encode()


async def produce(args: argparse.Namespace) -> int:
    reader_props = read_properties_file(args.reader_config) if args.reader_config else {}
    reader_props.update(parse_properties(args.property, "--property"))
    reader = LineReader.from_properties(reader_props)
    producer = AsyncProducer(producer_properties(args))
    interactive = sys.stdin.isatty()
    loop = asyncio.get_running_loop()
    failures: list[KafkaError] = []
    pending = []

    def report(fut: asyncio.Future[RecordMetadata]) -> None:
        exc = fut.exception()
        if isinstance(exc, KafkaError):
            failures.append(exc)
            print(f"[ERROR] Error when sending message to topic {args.topic}: {exc}", file=sys.stderr)

    number = 0
    try:
        await producer.cluster.any_connection()
        while True:
            if interactive:
                sys.stdout.write(">")
                sys.stdout.flush()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            number += 1
            key, value, headers = reader.parse(line.rstrip("\n").rstrip("\r"), number)
            fut = await producer.send(args.topic, value, key, headers=headers)
            fut.add_done_callback(report)
            pending.append(fut)
            if args.sync:
                await asyncio.gather(fut, return_exceptions=True)
        await producer.flush()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await producer.close()
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    return run(produce(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
