"""Strom's PostgresConnector beside Debezium 2.5's on Apache Kafka's Java Connect worker: both capture the same
PostgreSQL database (each through its own slot), and every event must serialize (JsonConverter, schemas on) to the
same key and value JSON -- schemas, field order, type names, values -- apart from wall-clock times and the
snapshot transaction's ids.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from strom.connect.api import SourceRecord
from strom.connect.connectors.postgres.task import PostgresConnectorTask
from strom.connect.converters import JsonConverter
from strom.testing.broker import BrokerProcess
from strom.testing.debezium import JavaConnectStandalone
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_postgres import Context, DictOffsets

pytestmark = [pytest.mark.slow, pytest.mark.java]

TABLE = """CREATE TABLE public.t (
  id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), ts timestamptz, b bytea, d date, tm time,
  tsp timestamp(3), tsu timestamp, j jsonb, u uuid, n numeric, iv interval, f4 real, f8 double precision,
  sm smallint, big bigint, bo boolean, vc varchar(10), ch char(3), tz timetz, m money, bt bit(3), t3 time(3))"""
ROWS = """INSERT INTO t VALUES (1, 'a', 1.50, '2024-01-02 03:04:05.123456+00', '\\x0102', '2024-01-02', '10:11:12.5',
  '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678901', '{"a": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 12.345,
  '1 year 2 mons 3 days 04:05:06.7', 1.25, 2.5, 7, 9000000000, true, 'vc', 'ab', '10:00:00+02', 12.34, B'101', '01:02:03.456');
  INSERT INTO t (id, name) VALUES (2, 'b')"""
CHANGES = [
    "UPDATE t SET name = 'bb', price = -0.5, ts = '1999-12-31 23:59:59.5-05' WHERE id = 2",
    "UPDATE t SET id = 3 WHERE id = 2",
    "DELETE FROM t WHERE id = 3",
    "INSERT INTO t (id, name, n, iv, d, ts, ch) VALUES (4, 'ü€', -0.001, '-3 days -00:00:01', '1969-07-20', '2020-05-06 07:08:09+00', 'x')",
]
EXPECTED = 2 + 1 + 3 + 2 + 1  # snapshot, update, key change (delete, tombstone, create), delete + tombstone, insert


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        yield b


def _normalize(value: Any, snapshot: bool) -> Any:
    """Drops what differs by wall clock (ts_ms) and, in snapshot events, by which transaction read the rows."""
    if not isinstance(value, dict) or "payload" not in value or not isinstance(value["payload"], dict):
        return value
    payload = value["payload"]
    payload.pop("ts_ms", None)
    source = payload.get("source")
    if isinstance(source, dict):
        source.pop("ts_ms", None)
        if snapshot:
            for k in ("txId", "lsn", "sequence"):
                source.pop(k, None)
        else:
            # the commit LSN before this event's: Debezium's first streamed transaction knows none either way
            source.pop("sequence", None)
    return value


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON documents differ, as `path: theirs != ours` lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: missing in {'ours' if k in a else 'theirs'}" for k in sorted(set(a) ^ set(b))]
        if list(a) != list(b) and not out:
            out.append(f"{path}: field order {list(a)} != {list(b)}")
        return out + [d for k in a if k in b for d in _diff(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)} != {json.dumps(b)}"]


def _events(pairs: list[tuple[bytes | None, bytes | None]]) -> list[tuple[Any, Any]]:
    out = []
    for key, value in pairs:
        k = json.loads(key) if key else None
        v = json.loads(value) if value else None
        snapshot = isinstance(v, dict) and v.get("payload", {}).get("op") == "r"
        out.append((k, _normalize(v, snapshot)))
    return out


def test_events_match_debezium(postgres: PostgresServer, broker: BrokerProcess) -> None:  # noqa: F811
    from confluent_kafka import Consumer

    db = "dbzcompare"
    postgres.create_database(db)
    postgres.psql(TABLE, db)
    postgres.psql(ROWS, db)
    common = {
        "database.hostname": postgres.host,
        "database.port": str(postgres.port),
        "database.user": postgres.user,
        "database.dbname": db,
        "plugin.name": "pgoutput",
    }
    java = JavaConnectStandalone(
        broker.bootstrap,
        {
            "name": "dbz",
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "tasks.max": "1",
            "topic.prefix": "srv",
            **common,
        },
    )
    ours = PostgresConnectorTask()
    ours.initialize(Context(DictOffsets()))
    mine: list[SourceRecord] = []
    theirs: list[tuple[bytes | None, bytes | None]] = []
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "cmp", "auto.offset.reset": "earliest"})
    try:
        java.start()
        ours.start({**common, "topic.prefix": "srv", "slot.name": "strom", "poll.interval.ms": "100"})
        consumer.subscribe(["srv.public.t"])

        def collect(n_theirs: int, n_mine: int, timeout: float = 120.0) -> None:
            deadline = time.monotonic() + timeout
            while (len(theirs) < n_theirs or len(mine) < n_mine) and time.monotonic() < deadline:
                if len(mine) < n_mine:
                    mine.extend(ours.poll() or [])
                msg = consumer.poll(0.2)
                if msg is not None and not msg.error():
                    theirs.append((msg.key(), msg.value()))
            assert (len(theirs), len(mine)) == (n_theirs, n_mine), java.output()[-3000:]

        collect(2, 2)
        for statement in CHANGES:
            postgres.psql(statement, db)
        collect(EXPECTED, EXPECTED)
    finally:
        consumer.close()
        ours.stop()
        java.close()

    key_converter, value_converter = JsonConverter(), JsonConverter()
    key_converter.configure({}, True)
    value_converter.configure({}, False)
    converted = [
        (key_converter.from_connect_data(r.topic, r.key_schema, r.key), value_converter.from_connect_data(r.topic, r.value_schema, r.value))
        for r in mine
    ]
    pairs = zip(_events(theirs), _events(converted), strict=True)
    diffs = [f"event {i} {d}" for i, (e, g) in enumerate(pairs) for d in _diff(list(e), list(g))]
    assert not diffs, "\n".join(diffs)
