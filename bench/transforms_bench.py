"""CPU cost of Connect transform chains per record (one thread): Debezium's ExtractNewRecordState on a
10-column change event, with add.fields and rewrite, a typical sink chain (ReplaceField, InsertField,
RegexRouter), Cast of three fields, Flatten of a nested struct, and InsertField on a schemaless map.

    .venv/bin/python bench/transforms_bench.py [--records 20000] [--rounds 5]

CPU time (time.process_time) over the best round, so the numbers move little with the load others put on
the machine; records/s is per core.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from strom.connect.api import SourceRecord
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.transforms.chain import TransformationChain

ROW = SchemaBuilder.struct().name("db.public.t.Value").optional()
for _i in range(10):
    ROW.field(f"c{_i}", Schema.OPTIONAL_STRING_SCHEMA if _i % 2 else Schema.INT64_SCHEMA)
ROW_SCHEMA = ROW.build()
SOURCE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("table", Schema.STRING_SCHEMA)
    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)
ENVELOPE = (
    SchemaBuilder.struct()
    .name("db.public.t.Envelope")
    .field("before", ROW_SCHEMA)
    .field("after", ROW_SCHEMA)
    .field("source", SOURCE)
    .field("op", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
    .build()
)
INNER = SchemaBuilder.struct().field("a", Schema.INT64_SCHEMA).field("b", Schema.OPTIONAL_STRING_SCHEMA).build()
NESTED = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("x", INNER).field("y", INNER).build()


def row(i: int) -> Struct:
    r = Struct(ROW_SCHEMA)
    for j in range(10):
        r.put(f"c{j}", f"value-{j}" if j % 2 else i)
    return r


def change_event(i: int) -> SourceRecord:
    envelope = (
        Struct(ENVELOPE)
        .put("after", row(i))
        .put("source", Struct(SOURCE).put("table", "t").put("lsn", i).put("ts_ms", 1))
        .put("op", "c")
        .put("ts_ms", 2)
    )
    return SourceRecord({"server": "db"}, {"lsn": i}, "db.public.t", 0, None, None, ENVELOPE, envelope)


def row_record(i: int) -> SourceRecord:
    return SourceRecord({}, {}, "db.public.t", 0, None, None, ROW_SCHEMA.schema(), row(i), 1)


def nested_record(i: int) -> SourceRecord:
    value = Struct(NESTED).put("id", i).put("x", Struct(INNER).put("a", 1).put("b", "x")).put("y", Struct(INNER).put("a", 2))
    return SourceRecord({}, {}, "t", 0, None, None, NESTED, value, 1)


def map_record(i: int) -> SourceRecord:
    return SourceRecord({}, {}, "t", 0, None, None, None, {f"c{j}": j for j in range(10)} | {"id": i}, 1)


UNWRAP = {"transforms": "u", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState"}
CASES: list[tuple[str, dict[str, str], Any]] = [
    ("ExtractNewRecordState", UNWRAP, change_event),
    (
        "ExtractNewRecordState rewrite + add.fields=op,table,source.ts_ms",
        {**UNWRAP, "transforms.u.delete.handling.mode": "rewrite", "transforms.u.add.fields": "op,table,source.ts_ms"},
        change_event,
    ),
    (
        "ReplaceField + InsertField + RegexRouter",
        {
            "transforms": "r,i,t",
            "transforms.r.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.r.exclude": "c9",
            "transforms.r.renames": "c0:id",
            "transforms.i.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.i.static.field": "origin",
            "transforms.i.static.value": "cdc",
            "transforms.t.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.t.regex": "db\\.public\\.(.*)",
            "transforms.t.replacement": "$1",
        },
        row_record,
    ),
    (
        "Cast c0:string,c2:float64",
        {
            "transforms": "c",
            "transforms.c.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.c.spec": "c0:string,c2:float64",
        },
        row_record,
    ),
    (
        "Flatten (two nested structs)",
        {"transforms": "f", "transforms.f.type": "org.apache.kafka.connect.transforms.Flatten$Value"},
        nested_record,
    ),
    (
        "InsertField on a schemaless map",
        {"transforms": "i", "transforms.i.type": "org.apache.kafka.connect.transforms.InsertField$Value", "transforms.i.topic.field": "t"},
        map_record,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'chain':<66} {'us/record':>10} {'records/s/core':>15}")
    for name, props, make in CASES:
        chain: TransformationChain[Any] = TransformationChain.from_config(props)
        records = [make(i) for i in range(args.records)]
        best = float("inf")
        for _ in range(args.rounds):
            start = time.process_time()
            for record in records:
                chain.apply(record)
            best = min(best, time.process_time() - start)
        per_record = best / len(records)
        print(f"{name:<66} {per_record * 1e6:>10.1f} {1 / per_record:>15,.0f}")


if __name__ == "__main__":
    main()
