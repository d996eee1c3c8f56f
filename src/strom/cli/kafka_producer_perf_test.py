"""kafka-producer-perf-test.sh (ProducerPerformance): send N records of a size at a target rate and print
Kafka's window and summary lines (throughput, average/max latency, percentiles)."""

from __future__ import annotations

import argparse
import asyncio
import random
import string
import sys
import time
from collections.abc import Callable
from typing import Any

from strom.cli.client_metrics import format_metrics, producer_metrics
from strom.cli.common import KafkaArgumentParser, client_config, parse_properties, read_properties_file, run
from strom.client.producer import AsyncProducer
from strom.client.types import RecordMetadata
from strom.protocol.errors import KafkaError

REPORT_INTERVAL_S = 5.0
MB = 1024 * 1024
DEFAULT_TRANSACTIONAL_ID = "performance-producer-default-transactional-id"
DEFAULT_TRANSACTION_DURATION_MS = 3000


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-producer-perf-test.sh", description="This tool is used to verify the producer performance.")
    p.add_argument("--topic", required=True, help="produce records to this topic")
    p.add_argument("--num-records", type=int, required=True, help="number of messages to produce")
    payload = p.add_mutually_exclusive_group(required=True)
    payload.add_argument("--record-size", type=int, help="message size in bytes.")
    payload.add_argument("--payload-file", help="file to read the message payloads from (one per delimiter).")
    payload.add_argument("--payload-monotonic", action="store_true", help="payload is the record's index as text.")
    p.add_argument("--payload-delimiter", default="\\n", help="delimiter of the payload file (default: \\n)")
    p.add_argument("--throughput", type=float, required=True, help="throttle to about THROUGHPUT messages/sec; -1 for no throttling.")
    p.add_argument("--producer-props", nargs="+", default=[], help="kafka producer related configuration properties: k1=v1 k2=v2")
    p.add_argument("--producer.config", dest="producer_config", help="producer config properties file.")
    p.add_argument("--print-metrics", action="store_true", help="print out metrics at the end of the test.")
    p.add_argument(
        "--transactional-id",
        help=f"The transactional id to use; enables transactions (default: {DEFAULT_TRANSACTIONAL_ID} "
        "when only --transaction-duration-ms is set).",
    )
    p.add_argument(
        "--transaction-duration-ms",
        type=int,
        help=f"The max age of each transaction; commitTransaction is called after this time has elapsed "
        f"(default: {DEFAULT_TRANSACTION_DURATION_MS} when transactions are enabled).",
    )
    return p


class Stats:
    """Kafka's ProducerPerformance statistics: totals, 5-second windows and a sample of latencies for percentiles."""

    def __init__(self, num_records: int, interactive: bool) -> None:
        self.start = time.monotonic()
        self.sampling = max(num_records // 500_000, 1)
        self.latencies: list[int] = []
        self.count = self.bytes = self.total_latency = self.max_latency = 0
        self.window_start = self.start
        self.window_count = self.window_bytes = self.window_total_latency = self.window_max_latency = 0
        self.interactive = interactive
        self.total = num_records

    def record(self, index: int, latency_ms: int, size: int) -> None:
        self.count += 1
        self.bytes += size
        self.total_latency += latency_ms
        self.max_latency = max(self.max_latency, latency_ms)
        self.window_count += 1
        self.window_bytes += size
        self.window_total_latency += latency_ms
        self.window_max_latency = max(self.window_max_latency, latency_ms)
        if index % self.sampling == 0:
            self.latencies.append(latency_ms)
        now = time.monotonic()
        if now - self.window_start >= REPORT_INTERVAL_S:
            self.print_window(now)

    def print_window(self, now: float) -> None:
        elapsed = max(now - self.window_start, 1e-9)
        n = max(self.window_count, 1)
        mb_sec = self.window_bytes / elapsed / MB
        print(
            f"{self.window_count} records sent, {self.window_count / elapsed:.1f} records/sec ({mb_sec:.2f} MB/sec), "
            f"{self.window_total_latency / n:.1f} ms avg latency, {float(self.window_max_latency):.1f} ms max latency.",
            flush=True,
        )
        self.window_start = now
        self.window_count = self.window_bytes = self.window_total_latency = self.window_max_latency = 0

    def progress(self) -> None:
        """A live progress line on a terminal (stderr), overwritten in place; Kafka's lines stay on stdout."""
        if self.interactive:
            print(f"\r{self.count}/{self.total} records acknowledged", end="", file=sys.stderr, flush=True)

    def summary(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        n = max(self.count, 1)
        lat = sorted(self.latencies) or [0]

        def pct(p: float) -> int:
            return lat[min(int(p * len(lat)), len(lat) - 1)]

        return (
            f"{self.count} records sent, {self.count / elapsed:f} records/sec ({self.bytes / elapsed / MB:.2f} MB/sec), "
            f"{self.total_latency / n:.2f} ms avg latency, {float(self.max_latency):.2f} ms max latency, "
            f"{pct(0.5)} ms 50th, {pct(0.95)} ms 95th, {pct(0.99)} ms 99th, {pct(0.999)} ms 99.9th."
        )


def random_payload(size: int) -> bytes:
    """Like Kafka's tool: one random payload of uppercase letters, reused for every record."""
    return "".join(random.choices(string.ascii_uppercase, k=size)).encode()


def load_payloads(path: str, delimiter: str) -> list[bytes]:
    delimiter = delimiter.encode().decode("unicode_escape")
    with open(path, encoding="utf-8") as f:
        items = [s for s in f.read().split(delimiter) if s]
    if not items:
        raise ValueError(f"File does not contain any payload: {path}")
    print(f"Reading payloads from: {path}")
    print(f"Number of messages read: {len(items)}")
    return [s.encode() for s in items]


def value_source(a: argparse.Namespace) -> Callable[[int], bytes]:
    """The value of the i-th record: one of --payload-file's at random, the index as text (--payload-monotonic),
    or the same random payload of --record-size bytes each time."""
    if a.payload_file:
        payloads = load_payloads(a.payload_file, a.payload_delimiter)
        return lambda i: random.choice(payloads)
    if a.payload_monotonic:
        return lambda i: str(i).encode()
    fixed = random_payload(a.record_size)
    return lambda i: fixed


def producer_config(a: argparse.Namespace) -> dict[str, Any]:
    props = read_properties_file(a.producer_config) if a.producer_config else {}
    props.update(parse_properties(a.producer_props, "--producer-props"))
    if "bootstrap.servers" not in props:
        raise ValueError("bootstrap.servers must be given with --producer-props or --producer.config")
    props.setdefault("client.id", "perf-producer-client")
    return client_config("producer", props)


def transaction_settings(a: argparse.Namespace, config: dict[str, Any]) -> tuple[bool, float]:
    """(transactions on, seconds per transaction). As Kafka's tool: either flag (or transactional.id in the
    properties) turns transactions on; the transactional id goes into `config`."""
    transactional = bool(a.transactional_id or a.transaction_duration_ms or config.get("transactional.id"))
    if transactional:
        config["transactional.id"] = a.transactional_id or config.get("transactional.id") or DEFAULT_TRANSACTIONAL_ID
    duration = (a.transaction_duration_ms or DEFAULT_TRANSACTION_DURATION_MS) / 1000
    if duration <= 0:
        raise ValueError("--transaction-duration-ms should be greater than zero")
    return transactional, duration


async def throttle(index: int, throughput: float, elapsed: float) -> None:
    """Holds the sender to --throughput records/s: sleeps while it is ahead of the schedule."""
    ahead = (index + 1) / throughput - elapsed
    if ahead > 0:
        await asyncio.sleep(ahead)


async def perf(a: argparse.Namespace) -> int:
    if a.num_records <= 0:
        raise ValueError("--num-records should be greater than zero")
    config = producer_config(a)
    transactional, duration = transaction_settings(a, config)
    producer = AsyncProducer(config)
    value_of = value_source(a)
    stats = Stats(a.num_records, sys.stderr.isatty())
    errors: list[BaseException] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    last_progress = start

    def done_callback(index: int, sent_at: float, size: int) -> Callable[[asyncio.Future[RecordMetadata]], None]:
        def done(fut: asyncio.Future[RecordMetadata]) -> None:
            exc = fut.exception()
            if exc is not None:
                if not errors:
                    print(f"ERROR: {exc}", file=sys.stderr)
                errors.append(exc)
                return
            stats.record(index, int((loop.time() - sent_at) * 1000), size)

        return done

    txn_started, txn_size = 0.0, 0
    try:
        await producer.cluster.any_connection()
        if transactional:
            await producer.init_transactions()
            start = loop.time()  # the throttle counts from the first record, not from the coordinator lookup
        for i in range(a.num_records):
            if transactional and txn_size == 0:
                producer.begin_transaction()
                txn_started = loop.time()
            value = value_of(i)
            sent_at = loop.time()
            fut = await producer.send(a.topic, value)
            fut.add_done_callback(done_callback(i, sent_at, len(value)))
            if transactional:
                txn_size += 1
                if loop.time() - txn_started >= duration:
                    await producer.commit_transaction()
                    txn_size = 0
            if a.throughput > 0:
                await throttle(i, a.throughput, loop.time() - start)
            elif i % 1000 == 999:
                await asyncio.sleep(0)  # let acknowledgements and the linger timer run
            if stats.interactive and sent_at - last_progress > 0.5:
                last_progress = sent_at
                stats.progress()
        if transactional and txn_size:
            await producer.commit_transaction()
        await producer.flush()
        if a.print_metrics:  # before close: the connections' counters are the client's statistics
            client_id = str(config["client.id"])
            metrics = producer_metrics(producer.cluster, client_id, a.topic, stats.count, stats.bytes, len(errors), loop.time() - start)
    finally:
        await producer.close()
    if stats.interactive:
        print("\r", end="", file=sys.stderr)
    print(stats.summary())
    if a.print_metrics:
        print(format_metrics(metrics))
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(perf(build_parser().parse_args(argv)))
    except KafkaError as exc:  # pragma: no cover - run() reports these
        print(f"Error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
