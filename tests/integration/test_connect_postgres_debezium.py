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
  INSERT INTO t (id, name) VALUES (2, 'b');
  INSERT INTO t (id, name, price, d, tsp, tsu, ts, n) VALUES (7, 'snap-inf', 'NaN', 'infinity', 'infinity', '-infinity', 'infinity', 'NaN'),
    (8, 'snap-minf', NULL, '-infinity', '-infinity', 'infinity', '-infinity', NULL)"""
CHANGES = [
    "UPDATE t SET name = 'bb', price = -0.5, ts = '1999-12-31 23:59:59.5-05' WHERE id = 2",
    "UPDATE t SET id = 3 WHERE id = 2",
    "DELETE FROM t WHERE id = 3",
    "INSERT INTO t (id, name, n, iv, d, ts, ch) VALUES (4, 'ü€', -0.001, '-3 days -00:00:01', '1969-07-20', '2020-05-06 07:08:09+00', 'x')",
]
OTHER_TABLES = """CREATE TABLE full_t (id int PRIMARY KEY, v text, big text); ALTER TABLE full_t REPLICA IDENTITY FULL;
  CREATE TABLE toast_t (id int PRIMARY KEY, v text, big text); CREATE TABLE nopk (v text);
  INSERT INTO full_t VALUES (100, 'pre', 'pre'); INSERT INTO nopk VALUES ('pre');
  INSERT INTO toast_t VALUES (100, 'a', 'a'), (101, 'b', 'b'), (102, 'c', 'c');
  CREATE TABLE defs (id serial PRIMARY KEY, i int DEFAULT 5, i2 int NOT NULL DEFAULT -3, t text DEFAULT 'ab''c',
    vc varchar(5) DEFAULT 'x', n numeric(6,2) DEFAULT 1.5, nn numeric DEFAULT 2.25, b boolean DEFAULT true,
    d date DEFAULT '2024-01-02', ts timestamptz DEFAULT now(), ts2 timestamp DEFAULT '2024-01-02 03:04:05',
    f float8 DEFAULT 1.5, u uuid DEFAULT gen_random_uuid(), j jsonb DEFAULT '{}'::jsonb, bi bigint DEFAULT 9000000000,
    tm time DEFAULT '10:00', ct timestamptz DEFAULT CURRENT_TIMESTAMP, e text DEFAULT NULL, l text DEFAULT lower('X'),
    by bytea DEFAULT '\\x01'::bytea);
  INSERT INTO defs DEFAULT VALUES;
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE DOMAIN posint AS int CHECK (VALUE > 0);
  CREATE TABLE arr (id int PRIMARY KEY, m mood, ia int[], ta text[], na numeric(5,2)[], da date[], p posint, ba boolean[],
    ja jsonb[], ua uuid[], ia2 int[][], ma mood[]);
  INSERT INTO arr VALUES (1, 'ok', '{1,NULL,3}', '{"a b","c,d",NULL,"e\\"f"}', '{1.5,2}', '{2024-01-02}', 7, '{t,f}',
    ARRAY['{"a":1}'::jsonb], '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{{1,2},{3,4}}', '{sad,happy}');
  CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS ltree;
  CREATE TABLE rng (id int PRIMARY KEY, i4 int4range, i8 int8range, nr numrange, tr tsrange, tzr tstzrange,
    dr daterange, ip inet, cn cidr, mac macaddr, mac8 macaddr8, hs hstore, pt point, bx box, ci circle, pg polygon,
    ln line, ls lseg, pa path, lt ltree);
  INSERT INTO rng VALUES (1, '[1,10)', '(5,)', '[1.5,2.25]', '[2024-01-02 03:04:05.123,2024-01-03)',
    '[2024-01-02 03:04:05+02,infinity)', '[2024-01-01,2024-02-01)', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
    '08:00:2b:01:02:03:04:05', 'a=>1, "b c"=>"d e", n=>NULL', '(1.5,-2)', '((0,0),(1,2))', '<(1,2),3>',
    '((0,0),(1,0),(1,1))', '{1,-1,0}', '[(0,0),(1,1)]', '[(0,0),(1,1),(2,0)]', 'top.a_b.c')"""
BIG = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i)"  # 12.8 kB: stored out of line
MORE_CHANGES = [
    "INSERT INTO full_t VALUES (1, 'x', 'y')",
    "UPDATE full_t SET v = 'xx' WHERE id = 1",
    "DELETE FROM full_t WHERE id = 1",
    f"INSERT INTO toast_t VALUES (1, 'x', {BIG})",
    "UPDATE toast_t SET v = 'xx' WHERE id = 1",  # big is not sent again: Debezium's placeholder
    "INSERT INTO nopk VALUES ('no key')",
    "ALTER TABLE nopk ADD COLUMN extra int NOT NULL DEFAULT 3, ADD COLUMN note varchar(8)",
    "INSERT INTO nopk VALUES ('new columns', 4, 'n')",
    "TRUNCATE t",
    "INSERT INTO defs (i2) VALUES (7)",
    """INSERT INTO arr VALUES (2, 'sad', '{}', '{"{x}",""}', NULL, NULL, 1, '{NULL}', NULL, NULL, '{}', '{ok}')""",
    "INSERT INTO t (id, name, price, d, tsp, tsu, ts, n, f4, f8) VALUES "
    "(5, 'inf', 'NaN', 'infinity', '-infinity', 'infinity', '-infinity', 'NaN', 'NaN', '-Infinity')",
    "INSERT INTO t (id, name, d, tsp, tsu, ts) VALUES (6, '-inf', '-infinity', 'infinity', '-infinity', 'infinity')",
    "INSERT INTO rng VALUES (2, 'empty', '[-3,-1]', '(,0)', NULL, '(,2024-01-01 00:00:00+00]', 'empty', '::1', "
    "'2001:db8::/32', NULL, NULL, '', '(0,0)', NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    # more keys than a HashMap's first table holds: Debezium's JSON has the key order of the resized map
    "INSERT INTO rng (id, hs, pt) VALUES (3, 'zeta=>1, alpha=>2, k1=>a, k2=>b, k3=>c, k4=>d, k5=>e, k6=>f, k7=>g, "
    'k8=>h, k9=>i, k10=>j, k11=>k, Ünï=>"q\\"uote", "sp ace"=>NULL\', \'(-0.5,1e10)\')',
]
# per topic: snapshot 2, update, key change (delete, tombstone, create), delete + tombstone, insert, truncate on t;
# the other tables' snapshot rows (source.snapshot of one-row tables, first and not, and of a table's middle row)
# and the schema defaults Debezium derives from column DEFAULTs (literals, expressions, NULL)
# and enums, domains and arrays (Connect ARRAYs of the element type; a two-dimensional one as Debezium gives it),
# ranges, network types, hstore (JSON in HashMap key order), ltree, point, and the geometric types Debezium drops
SNAPSHOT = 12
EXPECTED = {
    "srv.public.t": 14,
    "srv.public.full_t": 5,
    "srv.public.toast_t": 5,
    "srv.public.nopk": 3,
    "srv.public.defs": 2,
    "srv.public.arr": 2,
    "srv.public.rng": 3,
    "srv.transaction": 36,  # BEGIN and END of the streamed transactions with changes
}


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
    postgres.psql(OTHER_TABLES, db)
    common = {
        "database.hostname": postgres.host,
        "database.port": str(postgres.port),
        "database.user": postgres.user,
        "database.dbname": db,
        "plugin.name": "pgoutput",
        "skipped.operations": "none",
        "message.key.columns": "public.nopk:v,note",
        "provide.transaction.metadata": "true",
        "column.exclude.list": "public.arr.ja,public.full_t.v",
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
    theirs: dict[str, list[tuple[bytes | None, bytes | None]]] = {topic: [] for topic in EXPECTED}
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "cmp",
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 500,
        }
    )
    try:
        java.start()
        ours.start({**common, "topic.prefix": "srv", "slot.name": "strom", "poll.interval.ms": "100"})
        consumer.subscribe(list(EXPECTED))

        def collect(n: int, timeout: float = 120.0) -> None:
            deadline = time.monotonic() + timeout
            while (sum(map(len, theirs.values())) < n or len(mine) < n) and time.monotonic() < deadline:
                if len(mine) < n:
                    mine.extend(ours.poll() or [])
                msg = consumer.poll(0.2)
                if msg is not None and not msg.error():
                    theirs[msg.topic()].append((msg.key(), msg.value()))
            counts = {t: (len(v), sum(1 for r in mine if r.topic == t)) for t, v in theirs.items()}
            assert (sum(map(len, theirs.values())), len(mine)) == (n, n), f"{counts}\n{java.output()[-3000:]}"

        collect(SNAPSHOT)
        for statement in CHANGES + MORE_CHANGES:
            postgres.psql(statement, db)
        collect(sum(EXPECTED.values()))
    finally:
        consumer.close()
        ours.stop()
        java.close()

    key_converter, value_converter = JsonConverter(), JsonConverter()
    key_converter.configure({}, True)
    value_converter.configure({}, False)
    converted: dict[str, list[tuple[bytes | None, bytes | None]]] = {topic: [] for topic in EXPECTED}
    for r in mine:
        key = key_converter.from_connect_data(r.topic, r.key_schema, r.key)
        converted[r.topic].append((key, value_converter.from_connect_data(r.topic, r.value_schema, r.value)))
    assert {t: len(v) for t, v in converted.items()} == EXPECTED == {t: len(v) for t, v in theirs.items()}
    diffs = [
        f"{topic} event {i} {d}"
        for topic in EXPECTED
        for i, (e, g) in enumerate(zip(_events(theirs[topic]), _events(converted[topic]), strict=True))
        for d in _diff(list(e), list(g))
    ]
    assert not diffs, "\n".join(diffs)
