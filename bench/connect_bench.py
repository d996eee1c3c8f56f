"""PostgreSQL CDC through Kafka Connect: Strom's PostgresConnector on Strom's standalone worker vs Debezium 2.5's
PostgresConnector on Apache Kafka 3.9's Java standalone worker, both writing to the same Strom broker.

Each side gets its own database, slot and topic prefix and runs alone (the two never share the CPU):
  1. snapshot: --snapshot-rows rows are in the table when the connector starts; rows/s from the worker's start
     until the topic holds them all (this includes the worker's start-up);
  2. streaming throughput: --stream-rows rows inserted in transactions of --txn-rows as fast as psycopg2 can;
     rows/s from the first commit until the topic holds them all;
  3. lag: --rate rows/s for --lag-seconds in transactions of 10 rows; per change, the Kafka record's CreateTime
     (when the worker's producer took it) minus the commit time in source.ts_ms; p50/p99 in ms.
Also the worker process's CPU seconds per 1000 rows over phases 1-2. JsonConverter with schemas on both sides.

    python bench/connect_bench.py --snapshot-rows 100000 --stream-rows 100000 [--no-debezium]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2  # type: ignore[import-untyped]
from confluent_kafka import Consumer, TopicPartition

from strom.testing.broker import BrokerProcess, free_port
from strom.testing.debezium import DEBEZIUM_VERSION, JavaConnectStandalone
from strom.testing.postgres import PostgresServer
from strom.testing.process import ServerProcess

TABLE = "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed timestamptz, note text)"
INSERT = "INSERT INTO public.orders SELECT g, 'customer-' || g, g * 0.01, now(), repeat('x', 40) FROM generate_series(%s, %s) g"


def envelope(schema: dict[str, object], payload: dict[str, object]) -> bytes:
    """A JsonConverter record with schemas.enable=true: the schema beside the payload."""
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":")).encode()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StromConnectStandalone(ServerProcess):
    """Strom's connect-standalone with the same worker keys as the Java one."""

    name = "Strom Connect"

    def __init__(self, bootstrap: str, connector: dict[str, str]) -> None:
        super().__init__(None, "strom-connect-", "connect.log")
        self.rest_port = free_port()
        self.worker = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "offset.storage.file.filename": str(self.base / "offsets"),
            "offset.flush.interval.ms": "1000",
            "listeners": f"http://127.0.0.1:{self.rest_port}",
        }
        self.connector = connector

    def start(self, timeout: float = 60.0) -> StromConnectStandalone:
        worker = self.base / "worker.properties"
        worker.write_text("".join(f"{k}={v}\n" for k, v in self.worker.items()))
        connector = self.base / "connector.properties"
        connector.write_text("".join(f"{k}={v}\n" for k, v in self.connector.items()))
        exe = shutil.which("connect-standalone", path=str(Path(sys.executable).parent)) or "connect-standalone"
        self._launch([exe, str(worker), str(connector)], lambda: True, timeout, 0.1)
        return self


@dataclass
class Result:
    name: str
    snapshot_rate: float = 0.0
    stream_rate: float = 0.0
    cpu_per_krow: float = 0.0
    lags: list[float] = field(default_factory=list)


def high_watermark(consumer: Consumer, topic: str) -> int:
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)[1])
    except Exception:  # noqa: BLE001 - the topic does not exist yet
        return 0


def wait_for(consumer: Consumer, topic: str, count: int, worker: ServerProcess, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while high_watermark(consumer, topic) < count:
        if worker.proc is not None and worker.proc.poll() is not None:
            raise RuntimeError(f"{worker.name} exited: {worker.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{worker.name}: {high_watermark(consumer, topic)} of {count} records after {timeout}s: {worker.output()[-3000:]}"
            )
        time.sleep(0.05)
    return time.monotonic()


def run_side(name: str, pg: PostgresServer, broker: BrokerProcess, args: argparse.Namespace, java: bool) -> Result:
    db = f"bench_{name}"
    pg.create_database(db)
    pg.psql(TABLE, db)
    pg.psql(INSERT % (1, args.snapshot_rows), db)
    prefix = f"{name}srv"
    topic = f"{prefix}.public.orders"
    connector = {
        "name": f"cdc-{name}",
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": "1",
        "database.hostname": pg.host,
        "database.port": str(pg.port),
        "database.user": pg.user,
        "database.dbname": db,
        "topic.prefix": prefix,
        "slot.name": f"slot_{name}",
        "publication.name": f"pub_{name}",
        "plugin.name": "pgoutput",
    }
    worker: ServerProcess = (
        JavaConnectStandalone(broker.bootstrap, connector) if java else StromConnectStandalone(broker.bootstrap, connector)
    )
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"bench-{name}", "auto.offset.reset": "earliest"})
    result = Result(name)
    try:
        t0 = time.monotonic()
        worker.start()
        assert worker.proc is not None
        cpu0 = cpu_seconds(worker.proc.pid)
        t1 = wait_for(consumer, topic, args.snapshot_rows, worker, args.timeout)
        result.snapshot_rate = args.snapshot_rows / (t1 - t0)

        conn = psycopg2.connect(pg.dsn(db))
        cur = conn.cursor()
        first = args.snapshot_rows + 1
        start = time.monotonic()
        for lo in range(first, first + args.stream_rows, args.txn_rows):
            cur.execute(INSERT, (lo, min(lo + args.txn_rows, first + args.stream_rows) - 1))
            conn.commit()
        t2 = wait_for(consumer, topic, args.snapshot_rows + args.stream_rows, worker, args.timeout)
        result.stream_rate = args.stream_rows / (t2 - start)
        result.cpu_per_krow = (cpu_seconds(worker.proc.pid) - cpu0) / ((args.snapshot_rows + args.stream_rows) / 1000)

        # lag at a fixed rate
        total = args.snapshot_rows + args.stream_rows
        consumer.assign([TopicPartition(topic, 0, total)])
        next_id = first + args.stream_rows
        per_txn = 10
        interval = per_txn / args.rate
        end = time.monotonic() + args.lag_seconds
        tick = time.monotonic()
        sent = 0
        while time.monotonic() < end:
            cur.execute(INSERT, (next_id, next_id + per_txn - 1))
            conn.commit()
            next_id += per_txn
            sent += per_txn
            tick += interval
            while time.monotonic() < tick:
                drain(consumer, result.lags, 0.0)
                time.sleep(0.001)
        deadline = time.monotonic() + args.timeout
        while len(result.lags) < sent and time.monotonic() < deadline:
            drain(consumer, result.lags, 0.2)
        conn.close()
    finally:
        consumer.close()
        worker.close()
        pg.psql(f"SELECT pg_drop_replication_slot('slot_{name}') FROM pg_replication_slots WHERE slot_name = 'slot_{name}' AND NOT active")
    return result


def drain(consumer: Consumer, lags: list[float], timeout: float) -> None:
    for msg in consumer.consume(1000, timeout):
        if msg.error() or msg.value() is None:
            continue
        _, created = msg.timestamp()
        payload = json.loads(msg.value())["payload"]
        lags.append(created - payload["source"]["ts_ms"])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snapshot-rows", type=int, default=100_000)
    p.add_argument("--stream-rows", type=int, default=100_000)
    p.add_argument("--txn-rows", type=int, default=1000)
    p.add_argument("--rate", type=int, default=1000, help="rows/s in the lag phase")
    p.add_argument("--lag-seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--no-debezium", action="store_true", help="Strom's side only (no Java, no Maven)")
    args = p.parse_args()

    results: list[Result] = []
    pg = PostgresServer().start()
    broker = BrokerProcess().start()
    pg_version = pg.psql("SHOW server_version")
    try:
        results.append(run_side("strom", pg, broker, args, java=False))
        if not args.no_debezium:
            results.append(run_side("debezium", pg, broker, args, java=True))
    finally:
        broker.close()
        pg.close()

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, PostgreSQL {pg_version}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"# snapshot {args.snapshot_rows} rows, streaming {args.stream_rows} rows in transactions of {args.txn_rows}, "
        f"lag at {args.rate} rows/s for {args.lag_seconds:g} s; Debezium {DEBEZIUM_VERSION} on Kafka Connect 3.9"
    )
    print("| connector | snapshot rows/s | streaming rows/s | worker CPU s / 1000 rows | lag p50 ms | lag p99 ms |")
    print("|---|---|---|---|---|---|")
    for r in results:
        label = "Strom" if r.name == "strom" else f"Debezium {DEBEZIUM_VERSION} (Java)"
        print(
            f"| {label} | {r.snapshot_rate:.0f} | {r.stream_rate:.0f} | {r.cpu_per_krow:.3f} | "
            f"{pct(r.lags, 0.5):.0f} | {pct(r.lags, 0.99):.0f} |"
        )
    if len(results) == 2:
        s, d = results
        print(
            f"| Strom / Debezium | {s.snapshot_rate / d.snapshot_rate:.2f} | {s.stream_rate / d.stream_rate:.2f} | "
            f"{s.cpu_per_krow / d.cpu_per_krow:.2f} | | |"
        )


if __name__ == "__main__":
    main()
