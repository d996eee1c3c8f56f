"""The JDBC connectors on Strom's standalone worker and a Strom broker, PostgreSQL 15 on the same machine:
  1. sink throughput: --rows records (JsonConverter envelope, Struct key {id}, 5-field value) already in the topic;
     JdbcSinkConnector upserts them (pk.mode=record_key); rows/s from the first row in the table to the last, and
     from the worker's start (start-up included);
  2. sink lag: --rate records/s for --lag-seconds, each carrying its produce time; the table's `written_at` column
     (DEFAULT clock_timestamp()) minus that time, p50/p99 in ms;
  3. source throughput: --rows rows in a table; JdbcSourceConnector (mode=incrementing) copies them to a topic;
     rows/s from the first record in the topic to the last.
Also the worker's CPU seconds per 1000 rows for phases 1 and 3.

    python bench/connect_jdbc_bench.py --rows 100000 --rate 2000 --lag-seconds 10
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from confluent_kafka import Consumer, Producer
from connect_bench import StromConnectStandalone, cpu_seconds, envelope, high_watermark

from strom.testing.broker import BrokerProcess
from strom.testing.postgres import PostgresServer

KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
VALUE_SCHEMA = {
    "type": "struct",
    "optional": False,
    "name": "orders",
    "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "customer", "type": "string", "optional": False},
        {"field": "quantity", "type": "int32", "optional": False},
        {"field": "note", "type": "string", "optional": True},
        {"field": "produced_ms", "type": "int64", "optional": False},
    ],
}
TABLE = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, quantity int NOT NULL, note text, "
    "produced_ms bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())"
)


def produce(bootstrap: str, topic: str, ids: range, rate: float | None = None) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "queue.buffering.max.messages": 1_000_000})
    start = time.monotonic()
    for n, i in enumerate(ids):
        if rate is not None:
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        value = {"id": i, "customer": f"customer-{i}", "quantity": i % 100, "note": "x" * 40, "produced_ms": int(time.time() * 1000)}
        while True:
            try:
                producer.produce(topic, key=envelope(KEY_SCHEMA, {"id": i}), value=envelope(VALUE_SCHEMA, value))
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)


def count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM orders").fetchone()
        return int(row[0]) if row else 0


def sink_phase(args: argparse.Namespace, broker: BrokerProcess, pg: PostgresServer) -> dict[str, float]:
    dsn = pg.create_database("bench_sink")
    pg.psql(TABLE, "bench_sink")
    produce(broker.bootstrap, "orders", range(args.rows))
    worker = StromConnectStandalone(
        broker.bootstrap,
        {
            "name": "jdbc-sink",
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": "orders",
            "connection.url": pg.jdbc_url("bench_sink"),
            "connection.user": pg.user,
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "delete.enabled": "true",
        },
    )
    t0 = time.monotonic()
    worker.start()
    try:
        first = None
        while (n := count(dsn)) < args.rows:
            if first is None and n > 0:
                first = (time.monotonic(), n)
            if worker.proc is not None and worker.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {worker.output()[-3000:]}")
            time.sleep(0.05)
        end = time.monotonic()
        assert worker.proc is not None
        cpu = cpu_seconds(worker.proc.pid)
        assert first is not None
        steady = (args.rows - first[1]) / (end - first[0])
        # lag: a steady stream, each row's database write time minus its produce time
        base = args.rows
        produce(broker.bootstrap, "orders", range(base, base + int(args.rate * args.lag_seconds)), args.rate)
        total = base + int(args.rate * args.lag_seconds)
        deadline = time.monotonic() + 60
        while count(dsn) < total and time.monotonic() < deadline:
            time.sleep(0.1)
        with psycopg.connect(dsn) as conn:
            lags = [
                float(r[0])
                for r in conn.execute(
                    "SELECT extract(epoch FROM written_at) * 1000 - produced_ms FROM orders WHERE id >= %s", (base,)
                ).fetchall()
            ]
    finally:
        worker.close()
    lags.sort()
    return {
        "sink_rows_per_s": steady,
        "sink_rows_per_s_with_startup": args.rows / (end - t0),
        "sink_cpu_s_per_krow": cpu / args.rows * 1000,
        "sink_lag_p50_ms": statistics.median(lags),
        "sink_lag_p99_ms": lags[int(len(lags) * 0.99) - 1],
    }


def source_phase(args: argparse.Namespace, broker: BrokerProcess, pg: PostgresServer) -> dict[str, float]:
    pg.create_database("bench_source")
    pg.psql(TABLE, "bench_source")
    pg.psql(
        f"INSERT INTO orders SELECT g, 'customer-' || g, g % 100, repeat('x', 40), 0 FROM generate_series(1, {args.rows}) g",
        "bench_source",
    )
    worker = StromConnectStandalone(
        broker.bootstrap,
        {
            "name": "jdbc-source",
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": pg.jdbc_url("bench_source"),
            "connection.user": pg.user,
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "table.whitelist": "orders",
            "topic.prefix": "src-",
            "batch.max.rows": str(args.batch_max_rows),
        },
    )
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "bench-watch"})
    t0 = time.monotonic()
    worker.start()
    try:
        first = None
        while (n := high_watermark(consumer, "src-orders")) < args.rows:
            if first is None and n > 0:
                first = (time.monotonic(), n)
            if worker.proc is not None and worker.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {worker.output()[-3000:]}")
            time.sleep(0.05)
        end = time.monotonic()
        if first is None:  # every row landed between two polls (a tiny run): measure from the worker's start
            first = (t0, 0)
        assert worker.proc is not None
        cpu = cpu_seconds(worker.proc.pid)
    finally:
        consumer.close()
        worker.close()
    return {"source_rows_per_s": (args.rows - first[1]) / (end - first[0]), "source_cpu_s_per_krow": cpu / args.rows * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument("--batch-max-rows", type=int, default=1000)
    args = parser.parse_args()
    broker = BrokerProcess().start()
    pg = PostgresServer().start()
    try:
        results = {**sink_phase(args, broker, pg), **source_phase(args, broker, pg)}
    finally:
        pg.close()
        broker.close()
    for key, value in results.items():
        print(f"{key:32s} {value:12.3f}")


if __name__ == "__main__":
    main()
