"""Topic -> PostgreSQL (upsert) through Kafka Connect: Strom's JdbcSinkConnector on Strom's standalone worker vs
Debezium 3.0's JdbcSinkConnector (io.debezium.connector.jdbc) on Apache Kafka 3.9's Java standalone worker, both
reading the same Strom broker and writing to the same PostgreSQL server (each into its own database, one at a time).

  1. throughput: --records upserts over --keys keys (JsonConverter with schemas, Struct key {id}, 6-field value)
     are produced before either worker starts, the same records to each side's topic `orders_<side>`; each worker
     upserts its topic into a pre-created table. Done when every key holds its last value. rows/s from the first
     row in the table to the last (steady), and from the worker's start (start-up included);
  2. lag: --rate records/s of new keys for --lag-seconds appended to the side's topic, each carrying its produce
     time; the table's `written_at` (DEFAULT clock_timestamp()) minus that time, p50/p99 in ms.
One topic per side and connector, not a shared topic plus a lag topic: Kafka's Java consumer reading a busy and an
empty partition from one broker gets one max.partition.fetch.bytes per fetch.max.wait.ms (~2,900 rows/s), on
Kafka's broker as on Strom's (bench/busy_idle_fetch.py).
Also the worker process's CPU seconds per 1000 records in phase 1: over the steady window and in total (start-up
included: JVM class loading and JIT on the Java side). Both connectors run with their default batch sizes.

    python bench/connect_sink_bench.py --records 100000 --keys 20000 --rate 2000 --lag-seconds 10 [--no-debezium]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass, field

import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from connect_bench import StromConnectStandalone, cpu_seconds, envelope, pct

from strom.testing.broker import BrokerProcess
from strom.testing.debezium import DEBEZIUM_JDBC_VERSION, JavaConnectStandalone, debezium_libs
from strom.testing.postgres import PostgresServer
from strom.testing.process import ServerProcess

KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
VALUE_SCHEMA = {
    "type": "struct",
    "optional": False,
    "name": "orders",
    "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "seq", "type": "int64", "optional": False},
        {"field": "customer", "type": "string", "optional": False},
        {"field": "quantity", "type": "int32", "optional": False},
        {"field": "note", "type": "string", "optional": True},
        {"field": "produced_ms", "type": "int64", "optional": False},
    ],
}
TABLE = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, seq bigint NOT NULL, customer text NOT NULL, quantity int NOT NULL, "
    "note text, produced_ms bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())"
)


def produce(bootstrap: str, topic: str, seqs: range, keys: int | None, rate: float | None = None) -> None:
    """Record n has key n % keys (or n when keys is None) and seq n."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "queue.buffering.max.messages": 1_000_000})
    start = time.monotonic()
    for n, seq in enumerate(seqs):
        if rate is not None:
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        key = seq % keys if keys else seq
        value = {
            "id": key,
            "seq": seq,
            "customer": f"customer-{key}",
            "quantity": seq % 100,
            "note": "x" * 40,
            "produced_ms": int(time.time() * 1000),
        }
        while True:
            try:
                producer.produce(topic, key=envelope(KEY_SCHEMA, {"id": key}), value=envelope(VALUE_SCHEMA, value))
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)


def scalar(dsn: str, sql: str, *params: object) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


@dataclass
class Result:
    name: str
    rate: float = 0.0
    rate_with_startup: float = 0.0
    cpu_steady: float = 0.0
    cpu_total: float = 0.0
    lags: list[float] = field(default_factory=list)


def connector_config(name: str, java: bool, pg: PostgresServer, db: str, topics: str) -> dict[str, str]:
    common = {"name": f"sink-{name}", "tasks.max": "1", "topics": topics, "connection.url": pg.jdbc_url(db)}
    if not java:
        return {
            **common,
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "connection.user": pg.user,
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "delete.enabled": "true",
            "table.name.format": "orders",
        }
    return {
        **common,
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "connection.username": pg.user,
        "connection.password": "unused",  # required by Debezium; the test server trusts local connections
        "insert.mode": "upsert",
        "primary.key.mode": "record_key",
        "delete.enabled": "true",
        "schema.evolution": "basic",
        "table.name.format": "orders",
        "collection.name.format": "orders",
    }


def check(worker: ServerProcess) -> None:
    if worker.proc is not None and worker.proc.poll() is not None:
        raise RuntimeError(f"{worker.name} exited: {worker.output()[-3000:]}")
    now = time.monotonic()
    if isinstance(worker, JavaConnectStandalone) and now - getattr(worker, "checked", 0.0) > 1.0:
        worker.checked = now  # type: ignore[attr-defined]  # a failed task does not end Kafka's worker: ask once a second
        try:
            tasks = worker.status().get("tasks", [])
        except OSError:
            return
        if any(t.get("state") == "FAILED" for t in tasks):
            raise RuntimeError(f"{worker.name}: task FAILED: {worker.output()[-3000:]}")


def run_side(name: str, java: bool, pg: PostgresServer, broker: BrokerProcess, args: argparse.Namespace) -> Result:
    db = f"sink_{name}"
    dsn = pg.create_database(db)
    pg.psql(TABLE, db)
    topic = f"orders_{name}"
    connector = connector_config(name, java, pg, db, topic)
    worker: ServerProcess = (
        JavaConnectStandalone(broker.bootstrap, connector, libs=debezium_libs(DEBEZIUM_JDBC_VERSION, artifact="debezium-connector-jdbc"))
        if java
        else StromConnectStandalone(broker.bootstrap, connector)
    )
    result = Result(name)
    last = args.records - args.keys  # records from here on hold every key's final value
    deadline = time.monotonic() + args.timeout
    t0 = time.monotonic()
    worker.start()
    try:
        assert worker.proc is not None
        first: tuple[float, float] | None = None
        while scalar(dsn, "SELECT count(*) FROM orders WHERE seq >= %s", last) < args.keys:
            if first is None and scalar(dsn, "SELECT count(*) FROM orders") > 0:
                first = (time.monotonic(), cpu_seconds(worker.proc.pid))
            check(worker)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{worker.name}: not done after {args.timeout}s: {worker.output()[-3000:]}")
            time.sleep(0.05)
        end, cpu_end = time.monotonic(), cpu_seconds(worker.proc.pid)
        if first is None:  # all rows landed between two polls (a tiny run): measure from the worker's start
            first = (t0, 0.0)
        # the records behind the rows already there at `first` (one batch) are counted too: a slight overstatement
        result.rate = args.records / (end - first[0])
        result.rate_with_startup = args.records / (end - t0)
        result.cpu_steady = (cpu_end - first[1]) / (args.records / 1000)
        result.cpu_total = cpu_end / (args.records / 1000)

        base = 10_000_000
        n = int(args.rate * args.lag_seconds)
        produce(broker.bootstrap, topic, range(base, base + n), None, args.rate)
        while scalar(dsn, "SELECT count(*) FROM orders WHERE id >= %s", base) < n and time.monotonic() < deadline:
            check(worker)
            time.sleep(0.1)
        with psycopg.connect(dsn) as conn:
            result.lags = [
                float(r[0])
                for r in conn.execute(
                    "SELECT extract(epoch FROM written_at) * 1000 - produced_ms FROM orders WHERE id >= %s", (base,)
                ).fetchall()
            ]
        if len(result.lags) < n:
            raise RuntimeError(f"{worker.name}: {len(result.lags)} of {n} lag rows written: {worker.output()[-3000:]}")
        # both sides must leave the same table: every key's last value
        rows = scalar(dsn, "SELECT count(*) FROM orders WHERE id < %s", base)
        if rows != args.keys:
            raise RuntimeError(f"{worker.name}: {rows} rows for {args.keys} keys")
    finally:
        worker.close()
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--keys", type=int, default=20_000)
    p.add_argument("--rate", type=float, default=2000.0, help="records/s in the lag phase")
    p.add_argument("--lag-seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--no-debezium", action="store_true", help="Strom's side only (no Java, no Maven)")
    args = p.parse_args()
    if args.records < args.keys:
        p.error("--records must be at least --keys")

    sides = [("strom", False)] + ([] if args.no_debezium else [("debezium", True)])
    if not args.no_debezium:
        debezium_libs(DEBEZIUM_JDBC_VERSION, artifact="debezium-connector-jdbc")  # fetch before timing anything
    pg = PostgresServer().start()
    broker = BrokerProcess().start()
    pg_version = pg.psql("SHOW server_version")
    results: list[Result] = []
    loads: list[float] = []
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for fut in admin.create_topics([NewTopic(f"orders_{name}", 1, 1) for name, _ in sides]).values():
            fut.result(30)
        for name, _ in sides:
            produce(broker.bootstrap, f"orders_{name}", range(args.records), args.keys)
        for name, java in sides:
            results.append(run_side(name, java, pg, broker, args))
            loads.append(os.getloadavg()[0])
    finally:
        broker.close()
        pg.close()

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, PostgreSQL {pg_version}, {os.cpu_count()} CPUs, "
        f"load average after each side {' / '.join(f'{x:.1f}' for x in loads)}"
    )
    print(
        f"# {args.records} upserts over {args.keys} keys; lag at {args.rate:g} records/s for {args.lag_seconds:g} s; "
        f"Debezium JDBC sink {DEBEZIUM_JDBC_VERSION} on Kafka Connect 3.9"
    )
    print("| sink | rows/s (steady) | rows/s (with start-up) | worker CPU s / 1000 rows (steady / total) | lag p50 ms | lag p99 ms |")
    print("|---|---|---|---|---|---|")
    for r in results:
        label = "Strom JdbcSinkConnector" if r.name == "strom" else f"Debezium {DEBEZIUM_JDBC_VERSION} JdbcSinkConnector (Java)"
        print(
            f"| {label} | {r.rate:.0f} | {r.rate_with_startup:.0f} | {r.cpu_steady:.3f} / {r.cpu_total:.3f} | "
            f"{pct(r.lags, 0.5):.0f} | {pct(r.lags, 0.99):.0f} |"
        )
    if len(results) == 2:
        s, d = results
        print(
            f"| Strom / Debezium | {s.rate / d.rate:.2f} | {s.rate_with_startup / d.rate_with_startup:.2f} | "
            f"{s.cpu_steady / d.cpu_steady:.2f} / {s.cpu_total / d.cpu_total:.2f} | "
            f"{pct(s.lags, 0.5) / pct(d.lags, 0.5):.2f} | {pct(s.lags, 0.99) / pct(d.lags, 0.99):.2f} |"
        )


if __name__ == "__main__":
    main()
