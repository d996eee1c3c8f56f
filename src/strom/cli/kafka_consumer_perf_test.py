"""kafka-consumer-perf-test.sh (ConsumerPerformance): consume N messages as fast as possible and print Kafka's
CSV-style summary (or per-interval lines with --show-detailed-stats)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from strom.cli.client_metrics import consumer_metrics, format_metrics
from strom.cli.common import KafkaArgumentParser, client_config, read_properties_file, run
from strom.client.consumer import EARLIEST, LATEST, AsyncConsumer

MB = 1024 * 1024
SUMMARY_HEADER = (
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, "
    "fetch.MB.sec, fetch.nMsg.sec"
)
DETAILED_HEADER = (
    "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, "
    "fetch.MB.sec, fetch.nMsg.sec"
)


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-consumer-perf-test.sh", description="This tool is used to verify the consumer performance.")
    servers = p.add_mutually_exclusive_group(required=True)
    servers.add_argument("--bootstrap-server", help="REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.")
    servers.add_argument("--broker-list", help="DEPRECATED, use --bootstrap-server instead.")
    p.add_argument("--topic", required=True, help="REQUIRED: The topic to consume from.")
    p.add_argument("--messages", type=int, required=True, help="REQUIRED: The number of messages to consume.")
    p.add_argument(
        "--group",
        default="perf-consumer-" + str(int(time.time()) % 100000),
        help="The group id to consume on (accepted; Strom's consumer reads by assignment, so no rebalance is timed).",
    )
    p.add_argument("--fetch-size", type=int, default=1048576, help="The amount of data to fetch in a single request.")
    p.add_argument("--from-latest", action="store_true", help="Start from the latest message present in the log rather than the earliest.")
    p.add_argument("--reporting-interval", type=int, default=5000, help="Interval in milliseconds at which to print progress info.")
    p.add_argument("--show-detailed-stats", action="store_true", help="If set, stats are reported for each reporting interval.")
    p.add_argument("--hide-header", action="store_true", help="If set, skips printing the header for the stats.")
    p.add_argument("--date-format", default="yyyy-MM-dd HH:mm:ss:SSS", help="The date format to use for formatting the time field.")
    p.add_argument("--timeout", type=int, default=10000, help="The maximum allowed time in milliseconds between returned records.")
    p.add_argument("--consumer.config", dest="consumer_config", help="Consumer config properties file.")
    p.add_argument("--print-metrics", action="store_true", help="Print out the metrics.")
    p.add_argument("--num-fetch-threads", type=int, default=1, help="DEPRECATED and ignored.")
    p.add_argument("--threads", type=int, default=1, help="DEPRECATED and ignored.")
    return p


def java_date_format(pattern: str) -> str:
    """The SimpleDateFormat letters Kafka's default uses, as strftime (milliseconds handled apart)."""
    for java, py in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        pattern = pattern.replace(java, py)
    return pattern


def format_time(ts: float, pattern: str) -> str:
    millis = f"{int(ts * 1000) % 1000:03d}"
    return datetime.fromtimestamp(ts).strftime(java_date_format(pattern).replace("SSS", "{ms}")).replace("{ms}", millis)


def rates(mb: float, count: int, elapsed_s: float) -> tuple[float, float]:
    elapsed_s = max(elapsed_s, 1e-9)
    return mb / elapsed_s, count / elapsed_s


def print_summary(a: argparse.Namespace, start: float, end: float, count: int, size: int) -> None:
    """Kafka's one summary line (after its header unless --hide-header) for the whole run."""
    if not a.hide_header:
        print(SUMMARY_HEADER)
    mb = size / MB
    mb_sec, n_sec = rates(mb, count, end - start)
    rebalance_ms = 0  # partitions are assigned, not joined through a group: there is no rebalance to time
    fetch_ms = int((end - start) * 1000)
    fetch_mb_sec, fetch_n_sec = rates(mb, count, fetch_ms / 1000)
    print(
        f"{format_time(start, a.date_format)}, {format_time(end, a.date_format)}, {mb:.4f}, {mb_sec:.4f}, {count}, {n_sec:.4f}, "
        f"{rebalance_ms}, {fetch_ms}, {fetch_mb_sec:.4f}, {fetch_n_sec:.4f}"
    )


async def perf(a: argparse.Namespace) -> int:
    props = read_properties_file(a.consumer_config) if a.consumer_config else {}  # security keys; sizes come from the flags
    conf = client_config("consumer", props) | {"bootstrap.servers": a.bootstrap_server or a.broker_list}
    conf |= {"client.id": "perf-consumer-client", "max.partition.fetch.bytes": a.fetch_size, "enable.auto.commit": False}
    consumer = AsyncConsumer(conf)
    count = size = 0
    interactive = sys.stderr.isatty()
    try:
        start = time.time()
        partitions = await consumer.partitions_for(a.topic)
        await consumer.assign([(a.topic, p) for p in partitions], LATEST if a.from_latest else EARLIEST)
        joined = time.time()
        if a.show_detailed_stats and not a.hide_header:
            print(DETAILED_HEADER)
        last_report, last_count, last_size = joined, 0, 0
        last_record = time.monotonic()
        timed_out = False
        while count < a.messages:
            records = await consumer.poll()
            now_mono = time.monotonic()
            if records:
                last_record = now_mono
            elif (now_mono - last_record) * 1000 > a.timeout:
                timed_out = True
                break
            for r in records[: a.messages - count]:
                count += 1
                size += (len(r.key) if r.key else 0) + (len(r.value) if r.value else 0)
            now = time.time()
            if (now - last_report) * 1000 >= a.reporting_interval:
                if a.show_detailed_stats:
                    mb_sec, n_sec = rates((size - last_size) / MB, count - last_count, now - last_report)
                    print(
                        f"{format_time(now, a.date_format)}, 0, {size / MB:.4f}, {mb_sec:.4f}, {count}, {n_sec:.4f}, 0, "
                        f"{int((now - last_report) * 1000)}, {mb_sec:.4f}, {n_sec:.4f}",
                        flush=True,
                    )
                elif interactive:
                    print(f"\r{count}/{a.messages} messages consumed", end="", file=sys.stderr, flush=True)
                last_report, last_count, last_size = now, count, size
        end = time.time()
        if interactive and not a.show_detailed_stats:
            print("\r", end="", file=sys.stderr)
        if timed_out:
            print(
                f"WARNING: Exiting before consuming the expected number of messages: timeout ({a.timeout} ms) exceeded. "
                "You can use the --timeout option to increase the timeout.",
                file=sys.stderr,
            )
        if not a.show_detailed_stats:
            print_summary(a, start, end, count, size)
        if a.print_metrics:
            print(format_metrics(consumer_metrics(str(conf["client.id"]), a.topic, count, size, end - start)))
        return 0
    finally:
        await consumer.close()


def main(argv: list[str] | None = None) -> int:
    return run(perf(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
