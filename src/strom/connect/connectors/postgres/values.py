"""PostgreSQL column values (their text form, as pgoutput and `::text` send them) to Debezium's Connect values.

Debezium's PostgresConnector defaults are the spec: decimal.handling.mode=precise (Connect Decimal, or
io.debezium.data.VariableScaleDecimal for an unconstrained numeric), time.precision.mode=adaptive
(io.debezium.time.Date / Time / MicroTime / Timestamp / MicroTimestamp by the column's precision),
timestamptz/timetz as ISO-8601 strings in UTC (io.debezium.time.ZonedTimestamp / ZonedTime), binary as bytes,
interval as io.debezium.time.MicroDuration, uuid/json/jsonb/xml as strings with Debezium's semantic names.
A type Debezium does not know maps to its text form. Pure: no connection.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

# Type OIDs (pg_type.oid; fixed for built-in types).
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID = 16, 17, 18, 19, 20, 21, 23, 25, 26
JSON, XML, FLOAT4, FLOAT8, MONEY, BPCHAR, VARCHAR = 114, 142, 700, 701, 790, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, TIMETZ, BIT, VARBIT, NUMERIC = 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562, 1700
UUID, JSONB, INET, CIDR, MACADDR = 2950, 3802, 869, 650, 829
POINT = 600
# geometric types Debezium 2.5 does not know: their columns are left out of its events (include.unknown.datatypes=false)
LSEG, PATH, BOX, POLYGON, LINE, CIRCLE = 601, 602, 603, 604, 628, 718
UNSUPPORTED_TYPES: Final = frozenset({LSEG, PATH, BOX, POLYGON, LINE, CIRCLE})
POINT_NAME: Final = "io.debezium.data.geometry.Point"

DECIMAL_NAME: Final = "org.apache.kafka.connect.data.Decimal"
VARIABLE_SCALE_DECIMAL: Final = "io.debezium.data.VariableScaleDecimal"
UNAVAILABLE_VALUE_PLACEHOLDER: Final = "__debezium_unavailable_value"

_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ColumnType:
    """How one column appears in a Debezium event: the Connect type, its semantic name and parameters, and the
    function turning PostgreSQL's text into the Connect value."""

    connect_type: str  # a strom.connect.data Type name: INT32, STRING, BYTES, STRUCT ...
    convert: Callable[[str], Any]
    name: str | None = None
    version: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    fallback: Any = None  # the value of a NOT NULL column with no value (Debezium's fallback)
    element: ColumnType | None = None  # of an ARRAY


@dataclass(frozen=True)
class PgType:
    """A column's type as the catalog resolves it: a domain is its base type, an enum carries its labels, an
    array its element type."""

    oid: int
    labels: tuple[str, ...] | None = None  # an enum's, in sort order
    element: PgType | None = None  # an array's
    name: str | None = None  # pg_type.typname: extension types (hstore, ltree) have no fixed OID


def parse_array(text: str) -> list[str | None]:
    """The top-level elements of PostgreSQL's array text (`{1,NULL,"a b","e\\"f"}`); NULL is None. A nested array
    element is None too, as Debezium 2.5 gives it."""
    if not text.startswith("{"):
        text = text[text.index("=") + 1 :]  # [lower:upper]={...}
    out: list[str | None] = []
    i, n = 1, len(text) - 1  # inside the outer braces
    while i < n:
        c = text[i]
        if c == "{":
            depth, quoted = 0, False
            while i < n:
                ch = text[i]
                if ch == "\\" and quoted:
                    i += 1
                elif ch == '"':
                    quoted = not quoted
                elif not quoted and ch == "{":
                    depth += 1
                elif not quoted and ch == "}":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
            out.append(None)
        elif c == '"':
            buf: list[str] = []
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                buf.append(text[i])
                i += 1
            i += 1
            out.append("".join(buf))
        else:
            end = text.find(",", i)
            end = n if end < 0 or end > n else end
            token = text[i:end].strip()
            out.append(None if token == "NULL" else token)
            i = end
        if i < n and text[i] == ",":
            i += 1
    return out


def resolved_type(
    pg_type: PgType,
    type_modifier: int,
    decimal_handling_mode: str = "precise",
    time_precision_mode: str = "adaptive",
    hstore_handling_mode: str = "json",
) -> ColumnType:
    """column_type for a catalog-resolved type: enums as io.debezium.data.Enum with their labels, arrays as Connect
    ARRAYs of their (optional) element type, hstore as io.debezium.data.Json (or a MAP), ltree as
    io.debezium.data.Ltree."""
    if pg_type.name == "hstore":
        if hstore_handling_mode == "map":
            return ColumnType("MAP", parse_hstore, fallback={})
        return ColumnType("STRING", hstore_json, "io.debezium.data.Json", 1, fallback="{}")
    if pg_type.name == "ltree":
        return ColumnType("STRING", _identity, "io.debezium.data.Ltree", 1, fallback="")
    if pg_type.labels is not None:
        return ColumnType("STRING", _identity, "io.debezium.data.Enum", 1, {"allowed": ",".join(pg_type.labels)}, fallback="")
    if pg_type.element is not None:
        element = resolved_type(pg_type.element, type_modifier, decimal_handling_mode, time_precision_mode)
        convert = element.convert

        def convert_array(text: str) -> list[Any]:
            return [None if e is None else convert(e) for e in parse_array(text)]

        return ColumnType("ARRAY", convert_array, fallback=[], element=element)
    return column_type(pg_type.oid, type_modifier, decimal_handling_mode, time_precision_mode)


def parse_hstore(text: str) -> dict[str, str | None]:
    """PostgreSQL's hstore text (`"a"=>"1", "b c"=>NULL`) as a dict in its order; NULL values are None."""
    out: dict[str, str | None] = {}
    i, n = 0, len(text)

    def token() -> str | None:
        nonlocal i
        while i < n and text[i] in " ,":
            i += 1
        if text.startswith("NULL", i):
            i += 4
            return None
        if i >= n or text[i] != '"':
            raise ValueError(f"invalid hstore text at {i}: {text!r}")
        i += 1
        buf: list[str] = []
        while text[i] != '"':
            if text[i] == "\\":
                i += 1
            buf.append(text[i])
            i += 1
        i += 1
        return "".join(buf)

    while True:
        while i < n and text[i] in " ,":
            i += 1
        if i >= n:
            return out
        key = token()
        if key is None or not text.startswith("=>", i):
            raise ValueError(f"invalid hstore text at {i}: {text!r}")
        i += 2
        out[key] = token()


def _java_string_hash(text: str) -> int:
    """Java's String.hashCode (over UTF-16 code units), as a signed 32-bit int's bits."""
    h = 0
    data = text.encode("utf-16-le")
    for k in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[k : k + 2], "little")) & 0xFFFFFFFF
    return h


def java_hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap the keys were put in, in order (default capacity and load factor):
    Debezium serializes hstore values from one, so its JSON objects have this key order."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=bucket)  # stable: insertion order within a bucket


def hstore_json(text: str) -> str:
    """hstore.handling.mode=json: the pairs as a compact JSON object, as Debezium's Jackson writes it."""
    import json

    pairs = parse_hstore(text)
    ordered = {k: pairs[k] for k in java_hash_map_order(list(pairs))}
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)


def point(text: str) -> dict[str, Any]:
    """`(x,y)` as Debezium's io.debezium.data.geometry.Point: x, y and the point's little-endian WKB, no SRID."""
    import struct

    x_text, _, y_text = text.strip().strip("()").partition(",")
    x, y = float(x_text), float(y_text)
    return {"x": x, "y": y, "wkb": b"\x01" + struct.pack("<Idd", 1, x, y), "srid": None}


def _bool(text: str) -> bool:
    return text in ("t", "true", "1")


def _bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        return bytes.fromhex(text[2:])
    # bytea_output=escape: backslash-octal escapes
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if text[i + 1] == "\\":
                out.append(0x5C)
                i += 2
            else:
                out.append(int(text[i + 1 : i + 4], 8))
                i += 4
        else:
            out += c.encode()
            i += 1
    return bytes(out)


def decimal_unscaled_bytes(value: decimal.Decimal, scale: int) -> bytes:
    """Connect's Decimal: the unscaled value as a big-endian two's-complement integer, minimal length."""
    unscaled = int(value.scaleb(scale).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return unscaled.to_bytes(length, "big", signed=True)


def _numeric_precise(scale: int) -> Callable[[str], decimal.Decimal | None]:
    def convert(text: str) -> decimal.Decimal | None:
        if text == "NaN":
            return None  # Connect's Decimal has no NaN: Debezium writes null
        return decimal.Decimal(text).quantize(decimal.Decimal(1).scaleb(-scale))

    return convert


def _variable_scale(text: str) -> dict[str, Any] | None:
    if text == "NaN":
        return None
    d = decimal.Decimal(text)
    exp = d.as_tuple().exponent
    scale = -exp if isinstance(exp, int) and exp < 0 else 0
    return {"scale": scale, "value": decimal_unscaled_bytes(d, scale)}


def _money(text: str) -> decimal.Decimal:
    neg = text.startswith("-") or text.startswith("(")
    digits = re.sub(r"[^0-9.]", "", text)
    d = decimal.Decimal(digits).quantize(decimal.Decimal("0.01"))
    return -d if neg else d


# What Debezium 2.5 writes for PostgreSQL's infinite dates and timestamps (the JDBC driver's infinity constants,
# 9223372036825200000 and -9223372036832400000 ms, through its conversions). Infinite dates differ between the
# stream and the snapshot (read through JDBC).
_INFINITE_DAYS = {"infinity": -2_147_472_692, "-infinity": -2_147_472_691}
SNAPSHOT_INFINITE_DAYS: Final = {"infinity": -622_191_234, "-infinity": -625_821_272}
DATE_NAMES: Final = ("io.debezium.time.Date", "org.apache.kafka.connect.data.Date")
_INFINITE_MICROS = {"infinity": 9_223_372_036_825_200_000, "-infinity": -9_223_372_036_832_400_000}


def _date_days(text: str) -> int:
    infinite = _INFINITE_DAYS.get(text)
    if infinite is not None:
        return infinite
    return (_parse_date(text) - _EPOCH_DATE).days


def _parse_date(text: str) -> dt.date:
    bc = text.endswith(" BC")
    if bc:
        text = text[:-3]
    if text == "infinity" or text == "-infinity":
        raise ValueError(f"date {text} has no Connect value")
    y, m, d = (int(p) for p in text.split("-"))
    if bc:
        y = 1 - y
    return dt.date(y, m, d) if y >= 1 else dt.date(1, m, d) - dt.timedelta(days=round(365.2425 * (1 - y)))


def _time_micros(text: str) -> int:
    hms, _, frac = text.partition(".")
    h, m, s = (int(p) for p in hms.split(":"))
    micros = int((frac + "000000")[:6]) if frac else 0
    return ((h * 60 + m) * 60 + s) * 1_000_000 + micros


_TZ_RE = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$")


def _split_offset(text: str) -> tuple[str, dt.timedelta]:
    m = _TZ_RE.search(text)
    if m is None:
        return text, dt.timedelta(0)
    sign = -1 if m.group(1) == "-" else 1
    off = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0), seconds=int(m.group(4) or 0))
    return text[: m.start()], sign * off


def _timestamp_micros(text: str) -> int:
    """Micros since the epoch of a `timestamp` (no zone: read as UTC, as Debezium does)."""
    infinite = _INFINITE_MICROS.get(text)
    if infinite is not None:
        return infinite
    bc = text.endswith(" BC")
    if bc:
        text = text[:-3]
    date_part, _, time_part = text.partition(" ")
    days = _date_days(date_part + (" BC" if bc else ""))
    return days * 86_400_000_000 + (_time_micros(time_part) if time_part else 0)


def _iso_fraction(micros: int) -> str:
    """java.time's ISO formatters: the fraction with trailing zeros dropped, none when zero."""
    if micros == 0:
        return ""
    return "." + f"{micros:06d}".rstrip("0")


def _zoned_timestamp(precision: int) -> Callable[[str], str]:
    """io.debezium.time.ZonedTimestamp: UTC, ISO-8601, the fraction as wide as the column's precision."""

    def convert(text: str) -> str:
        if text in ("infinity", "-infinity"):
            return text
        if text.endswith("+00") and len(text) >= 22 and text[4] == "-" and text[10] == " ":
            # the connector's sessions run in UTC: the common case is reformatting, no arithmetic
            seconds, _, fraction = text[11:-3].partition(".")
            digits = (fraction + "000000")[:precision]
            return f"{text[:10]}T{seconds}{'.' + digits if precision > 0 else ''}Z"
        local, offset = _split_offset(text)
        total = _timestamp_micros(local) - offset // dt.timedelta(microseconds=1)
        t = _EPOCH + dt.timedelta(microseconds=total)
        fraction = f".{t.microsecond:06d}"[: precision + 1] if precision > 0 else ""
        return t.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"

    return convert


def _zoned_time(text: str) -> str:
    local, offset = _split_offset(text)
    micros = (_time_micros(local) - offset // dt.timedelta(microseconds=1)) % 86_400_000_000
    secs, us = divmod(micros, 1_000_000)
    h, rem = divmod(secs, 3600)
    return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d}" + _iso_fraction(us) + "Z"


_INTERVAL_UNITS = {"year": 365.25 * 86_400e6, "mon": 30.4375 * 86_400e6, "day": 86_400e6}
_INTERVAL_RE = re.compile(r"(-?\d+) (year|mon|day)s?")


def _interval_micros(text: str) -> int:
    """io.debezium.time.MicroDuration of an interval in the default IntervalStyle (postgres): a month is 30.4375
    days and a year 365.25 days, as Debezium counts them."""
    total = 0.0
    rest = text
    for n, unit in _INTERVAL_RE.findall(text):
        total += int(n) * _INTERVAL_UNITS[unit]
    rest = _INTERVAL_RE.sub("", text).strip()
    if rest:
        neg = rest.startswith("-")
        t = _time_micros(rest.lstrip("+-"))
        total += -t if neg else t
    return int(total)


def _bits(text: str) -> bytes:
    """io.debezium.data.Bits: the bit string as little-endian bytes (java.util.BitSet.toByteArray)."""
    n = int(text[::-1], 2) if text else 0
    return n.to_bytes(max(1, (len(text) + 7) // 8), "little")


def _identity(text: str) -> str:
    return text


def column_type(
    type_oid: int, type_modifier: int, decimal_handling_mode: str = "precise", time_precision_mode: str = "adaptive"
) -> ColumnType:
    """The Debezium representation of a column of type `type_oid` with pg_attribute.atttypmod `type_modifier`."""
    if type_oid == BOOL:
        return ColumnType("BOOLEAN", _bool, fallback=False)
    if type_oid == INT2:
        return ColumnType("INT16", int, fallback=0)
    if type_oid == INT4:
        return ColumnType("INT32", int, fallback=0)
    if type_oid in (INT8, OID):
        return ColumnType("INT64", int, fallback=0)
    if type_oid == FLOAT4:
        return ColumnType("FLOAT32", float, fallback=0.0)
    if type_oid == FLOAT8:
        return ColumnType("FLOAT64", float, fallback=0.0)
    if type_oid in (NUMERIC, MONEY):
        return _numeric_type(type_oid, type_modifier, decimal_handling_mode)
    if type_oid == BYTEA:
        return ColumnType("BYTES", _bytea, fallback=b"")
    if type_oid == DATE:
        if time_precision_mode == "connect":
            return ColumnType("INT32", _date_days, "org.apache.kafka.connect.data.Date", 1, fallback=0)
        return ColumnType("INT32", _date_days, "io.debezium.time.Date", 1, fallback=0)
    if type_oid == TIME:
        precision = type_modifier if type_modifier >= 0 else 6
        if time_precision_mode == "connect":
            return ColumnType("INT32", lambda t: _time_micros(t) // 1000, "org.apache.kafka.connect.data.Time", 1, fallback=0)
        if precision <= 3 and time_precision_mode == "adaptive":
            return ColumnType("INT32", lambda t: _time_micros(t) // 1000, "io.debezium.time.Time", 1, fallback=0)
        return ColumnType("INT64", _time_micros, "io.debezium.time.MicroTime", 1, fallback=0)
    if type_oid == TIMESTAMP:
        precision = type_modifier if type_modifier >= 0 else 6
        if time_precision_mode == "connect":
            return ColumnType("INT64", lambda t: _timestamp_micros(t) // 1000, "org.apache.kafka.connect.data.Timestamp", 1, fallback=0)
        if precision <= 3:
            return ColumnType("INT64", lambda t: _timestamp_micros(t) // 1000, "io.debezium.time.Timestamp", 1, fallback=0)
        return ColumnType("INT64", _timestamp_micros, "io.debezium.time.MicroTimestamp", 1, fallback=0)
    if type_oid == TIMESTAMPTZ:
        zoned = _zoned_timestamp(type_modifier if type_modifier >= 0 else 6)
        return ColumnType("STRING", zoned, "io.debezium.time.ZonedTimestamp", 1, fallback="1970-01-01T00:00:00Z")
    if type_oid == TIMETZ:
        return ColumnType("STRING", _zoned_time, "io.debezium.time.ZonedTime", 1, fallback="00:00:00Z")
    if type_oid == INTERVAL:
        return ColumnType("INT64", _interval_micros, "io.debezium.time.MicroDuration", 1, fallback=0)
    if type_oid == UUID:
        return ColumnType("STRING", _identity, "io.debezium.data.Uuid", 1, fallback="")
    if type_oid in (JSON, JSONB):
        return ColumnType("STRING", _identity, "io.debezium.data.Json", 1, fallback="{}")
    if type_oid == XML:
        return ColumnType("STRING", _identity, "io.debezium.data.Xml", 1, fallback="")
    if type_oid == BIT and type_modifier == 1:
        return ColumnType("BOOLEAN", lambda t: t == "1", fallback=False)
    if type_oid in (BIT, VARBIT):
        params = {"length": str(type_modifier)} if type_modifier > 0 else {}
        return ColumnType("BYTES", _bits, "io.debezium.data.Bits", 1, params, fallback=b"")
    if type_oid == POINT:
        return ColumnType("STRUCT", point, POINT_NAME, 1, fallback={"x": 0.0, "y": 0.0, "wkb": None, "srid": None})
    return ColumnType("STRING", _identity, fallback="")


def _numeric_type(type_oid: int, type_modifier: int, mode: str) -> ColumnType:
    if type_oid == MONEY:
        precision, scale = None, 2
        convert: Callable[[str], Any] = _money
    elif type_modifier >= 4:
        precision, scale = ((type_modifier - 4) >> 16) & 0xFFFF, (type_modifier - 4) & 0xFFFF
        convert = _numeric_precise(scale)
    else:
        precision, scale = None, None
        convert = decimal.Decimal
    if mode == "double":
        return ColumnType("FLOAT64", lambda t: float(convert(t)), fallback=0.0)
    if mode == "string":
        return ColumnType("STRING", lambda t: str(convert(t)), fallback="0")
    if scale is None:
        return ColumnType("STRUCT", _variable_scale, VARIABLE_SCALE_DECIMAL, 1, fallback={"scale": 0, "value": b"\x00"})
    params = {"scale": str(scale)}
    if precision is not None:
        params["connect.decimal.precision"] = str(precision)
    return ColumnType("BYTES", convert, DECIMAL_NAME, 1, params, fallback=decimal.Decimal(0).quantize(decimal.Decimal(1).scaleb(-scale)))
