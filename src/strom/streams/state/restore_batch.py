"""What a store's restore callback receives: one changelog partition's records, kept as three columns.

A restore applies hundreds of thousands of records a second. Built as a list of (key, value, timestamp) tuples,
the tuples (and unzipping them again in the store) cost more than the store's writes, and their churn set off
the cyclic garbage collector's full passes. The built-in stores read the columns whole (`columns`); any other
callback iterates the records as tuples, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import compress
from operator import itemgetter
from typing import overload

# One changelog record: (key, value or None for a tombstone, record timestamp).
RestoreRecord = tuple[bytes, bytes | None, int]


class RestoreBatch(Sequence[RestoreRecord]):
    """Changelog records in changelog order, as columns of equal length."""

    __slots__ = ("keys", "values", "timestamps")

    def __init__(self, keys: list[bytes], values: list[bytes | None], timestamps: list[int]) -> None:
        self.keys = keys
        self.values = values
        self.timestamps = timestamps

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[RestoreRecord]:
        return zip(self.keys, self.values, self.timestamps, strict=True)

    @overload
    def __getitem__(self, index: int) -> RestoreRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[RestoreRecord]: ...

    def __getitem__(self, index: int | slice) -> RestoreRecord | list[RestoreRecord]:
        if isinstance(index, slice):
            return list(zip(self.keys[index], self.values[index], self.timestamps[index], strict=True))
        return self.keys[index], self.values[index], self.timestamps[index]

    def __repr__(self) -> str:
        return f"RestoreBatch({list(self)!r})"

    def select(self, keep: list[bool]) -> RestoreBatch:
        """The records whose flag is set."""
        return RestoreBatch(list(compress(self.keys, keep)), list(compress(self.values, keep)), list(compress(self.timestamps, keep)))


def columns(records: Sequence[RestoreRecord]) -> tuple[Sequence[bytes], Sequence[bytes | None], Sequence[int]]:
    """Keys, values and timestamps of the records (a RestoreBatch's own columns, no copy)."""
    if isinstance(records, RestoreBatch):
        return records.keys, records.values, records.timestamps
    return list(map(itemgetter(0), records)), list(map(itemgetter(1), records)), list(map(itemgetter(2), records))
