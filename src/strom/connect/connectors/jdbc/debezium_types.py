"""Debezium's semantic types, as the sink writes them: the columns of a CDC'd table keep their SQL types in the
replica (a `timestamp` stays TIMESTAMP rather than becoming the BIGINT of its microseconds), as Debezium's own
JDBC sink does. Confluent's sink has no such mapping; records without these schema names are not affected."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from strom.connect.data import Schema, Struct

VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal"
DATE = "io.debezium.time.Date"  # INT32 days since the epoch
TIME = "io.debezium.time.Time"  # INT32 milliseconds past midnight
MICRO_TIME = "io.debezium.time.MicroTime"  # INT64 microseconds past midnight
NANO_TIME = "io.debezium.time.NanoTime"  # INT64 nanoseconds past midnight
TIMESTAMP = "io.debezium.time.Timestamp"  # INT64 milliseconds since the epoch, no time zone
MICRO_TIMESTAMP = "io.debezium.time.MicroTimestamp"
NANO_TIMESTAMP = "io.debezium.time.NanoTimestamp"
ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp"  # STRING, ISO-8601 with offset

# The kind of column each name becomes.
KIND_DECIMAL = "decimal"
KIND_DATE = "date"
KIND_TIME = "time"
KIND_TIMESTAMP = "timestamp"
KIND_TIMESTAMPTZ = "timestamptz"
_KINDS = {
    VARIABLE_SCALE_DECIMAL: KIND_DECIMAL,
    DATE: KIND_DATE,
    TIME: KIND_TIME,
    MICRO_TIME: KIND_TIME,
    NANO_TIME: KIND_TIME,
    TIMESTAMP: KIND_TIMESTAMP,
    MICRO_TIMESTAMP: KIND_TIMESTAMP,
    NANO_TIMESTAMP: KIND_TIMESTAMP,
    ZONED_TIMESTAMP: KIND_TIMESTAMPTZ,
}
# Units per second of the integer encodings.
_PER_SECOND = {
    TIME: 1_000,
    MICRO_TIME: 1_000_000,
    NANO_TIME: 1_000_000_000,
    TIMESTAMP: 1_000,
    MICRO_TIMESTAMP: 1_000_000,
    NANO_TIMESTAMP: 1_000_000_000,
}
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_DATE = datetime.date(1970, 1, 1)


def kind(schema: Schema) -> str | None:
    """The column kind of a Debezium semantic type, or None for any other schema."""
    return _KINDS.get(schema.name) if schema.name else None


def to_python(schema: Schema, value: Any) -> Any:
    """A Debezium-encoded value as the Python value of its kind: Decimal, date, time, naive UTC datetime, or an
    aware datetime (ZonedTimestamp)."""
    if value is None:
        return None
    name = schema.name
    if name == VARIABLE_SCALE_DECIMAL:
        assert isinstance(value, Struct)
        unscaled = int.from_bytes(value.get("value"), "big", signed=True)
        return decimal.Decimal(unscaled).scaleb(-int(value.get("scale")))
    if name == DATE:
        return _EPOCH_DATE + datetime.timedelta(days=int(value))
    if name == ZONED_TIMESTAMP:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    micros = int(value) * 1_000_000 // _PER_SECOND[name]  # type: ignore[index]
    if name in (TIME, MICRO_TIME, NANO_TIME):
        seconds, micro = divmod(micros, 1_000_000)
        hours, rest = divmod(seconds, 3600)
        return datetime.time(hours % 24, rest // 60, rest % 60, micro)
    return _EPOCH + datetime.timedelta(microseconds=micros)
