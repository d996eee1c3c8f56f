"""What every key-value bytes store shares: registration with its restore callback, and the reads derived from
range()."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from itertools import takewhile
from typing import Any

from strom.streams.state.api import KeyValue, KeyValueStore, RestoreRecord, StateStore, StateStoreContext, timestamped_bytes


def prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with prefix (None when there is none: all 0xff)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class BytesKeyValueStore(KeyValueStore[bytes, bytes]):
    """A key-value store of bytes: the innermost layer. `timestamped` marks the value bytes as 8-byte timestamp +
    value (Java's TimestampedBytesStore): its changelog carries the plain value with the timestamp on the record, so
    restoring puts the record timestamp back in front."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._open = False
        self.timestamped = False

    @property
    def name(self) -> str:
        return self._name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        context.register(root, self.restore_batch)
        self._open = True

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        """Apply changelog records in order (None value = delete)."""
        if self.timestamped:
            for key, value, timestamp in records:
                self.put(key, timestamped_bytes(value, timestamp))
        else:
            for key, value, _ in records:
                self.put(key, value)

    def is_open(self) -> bool:
        return self._open

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: list[KeyValue[bytes, bytes | None]] | list[tuple[bytes, bytes | None]]) -> None:
        for key, value in entries:
            self.put(key, value)

    def all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self.range(None, None)

    def reverse_all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self.reverse_range(None, None)

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[KeyValue[bytes, bytes]]:
        prefix_bytes = prefix_key_serializer.serialize(None, prefix)
        return self.prefix_scan_bytes(b"" if prefix_bytes is None else prefix_bytes)

    def prefix_scan_bytes(self, prefix: bytes) -> Iterator[KeyValue[bytes, bytes]]:
        upper = prefix_upper_bound(prefix)
        it = self.range(prefix, None)
        return it if upper is None else takewhile(lambda kv: kv.key < upper, it)

    @abstractmethod
    def persistent(self) -> bool: ...
