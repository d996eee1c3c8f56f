"""Connect's record headers (org.apache.kafka.connect.header): keys with schema'd values, in order, repeatable.

The worker turns a Kafka record's byte headers into these with the header converter and back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from strom.connect.data import Schema, SchemaAndValue, validate_value

__all__ = ["ConnectHeaders", "Header"]


@dataclass(frozen=True, slots=True)
class Header:
    """One header: a key and a value with its schema (None for schemaless values)."""

    key: str
    schema: Schema | None
    value: Any

    def rename(self, key: str) -> Header:
        return Header(key, self.schema, self.value)

    def with_(self, schema: Schema | None, value: Any) -> Header:
        """Java's Header.with(schema, value): same key, new value."""
        return Header(self.key, schema, value)


class ConnectHeaders:
    """An ordered, mutable list of headers (Java's ConnectHeaders); adders return self for chaining."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Iterable[Header] | None = None) -> None:
        self._headers: list[Header] = list(headers) if headers is not None else []

    def add(self, key: str, value: Any, schema: Schema | None = None) -> ConnectHeaders:
        """Adds a header; `value` may be a SchemaAndValue. Validated against the schema, as Java."""
        if isinstance(value, SchemaAndValue):
            schema, value = value.schema, value.value
        if schema is not None:
            validate_value(schema, value)
        self._headers.append(Header(key, schema, value))
        return self

    def add_header(self, header: Header) -> ConnectHeaders:
        self._headers.append(header)
        return self

    def add_string(self, key: str, value: str | None) -> ConnectHeaders:
        return self.add(key, value, Schema.OPTIONAL_STRING_SCHEMA if value is None else Schema.STRING_SCHEMA)

    def add_boolean(self, key: str, value: bool) -> ConnectHeaders:
        return self.add(key, value, Schema.BOOLEAN_SCHEMA)

    def add_int(self, key: str, value: int) -> ConnectHeaders:
        return self.add(key, value, Schema.INT32_SCHEMA)

    def add_long(self, key: str, value: int) -> ConnectHeaders:
        return self.add(key, value, Schema.INT64_SCHEMA)

    def add_double(self, key: str, value: float) -> ConnectHeaders:
        return self.add(key, value, Schema.FLOAT64_SCHEMA)

    def add_bytes(self, key: str, value: bytes) -> ConnectHeaders:
        return self.add(key, value, Schema.BYTES_SCHEMA)

    def add_all(self, headers: Iterable[Header]) -> ConnectHeaders:
        self._headers.extend(headers)
        return self

    def all_with_name(self, key: str) -> Iterator[Header]:
        return iter([h for h in self._headers if h.key == key])

    def last_with_name(self, key: str) -> Header | None:
        for h in reversed(self._headers):
            if h.key == key:
                return h
        return None

    def remove(self, key: str) -> ConnectHeaders:
        self._headers = [h for h in self._headers if h.key != key]
        return self

    def retain_latest(self, key: str | None = None) -> ConnectHeaders:
        """Keeps only the last header of `key` (of every key when None)."""
        keep: list[Header] = []
        seen: set[str] = set()
        for h in reversed(self._headers):
            if (key is None or h.key == key) and h.key in seen:
                continue
            seen.add(h.key)
            keep.append(h)
        self._headers = keep[::-1]
        return self

    def clear(self) -> ConnectHeaders:
        self._headers.clear()
        return self

    def duplicate(self) -> ConnectHeaders:
        return ConnectHeaders(self._headers)

    def size(self) -> int:
        return len(self._headers)

    def is_empty(self) -> bool:
        return not self._headers

    def __iter__(self) -> Iterator[Header]:
        return iter(list(self._headers))

    def __len__(self) -> int:
        return len(self._headers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConnectHeaders):
            return NotImplemented
        return self._headers == other._headers

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"ConnectHeaders(headers={self._headers})"
