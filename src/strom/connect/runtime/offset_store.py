"""Source offsets: where each source partition was read up to, stored as Kafka Connect stores them.

Keys and values are the bytes Kafka's internal JsonConverter (schemas disabled) writes: the key
`["<connector>",{<source partition>}]`, the value `{<source offset>}`, a null value removing the partition. The
standalone worker keeps them in a JSON file (offset.storage.file.filename); distributed workers in the compacted
offset.storage.topic, where an operator reads them with the usual tools.

OffsetStorageWriter buffers what tasks report and flushes it as one snapshot, so offsets commit only for records
the producer acknowledged (Java's OffsetStorageWriter: offset() / begin_flush() / do_flush() / cancel_flush()).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from strom.connect import api
from strom.connect.converters import dumps_jackson

log = logging.getLogger("org.apache.kafka.connect.storage.OffsetStorageWriter")

Partition = Mapping[str, Any]
Offset = Mapping[str, Any]


def _dumps(obj: Any) -> bytes:
    """Jackson's compact form, as Kafka's JsonConverter writes it (Java's number forms, escapes), so a key
    Strom writes is the key Kafka's workers look up for the same partition."""
    return dumps_jackson(obj)


def offset_key(connector: str, partition: Partition) -> bytes:
    return _dumps([connector, dict(partition)])


def parse_offset_key(key: bytes) -> tuple[str, dict[str, Any]] | None:
    """(connector, source partition) of a stored key; None for a key in another format (as Kafka skips it)."""
    try:
        parsed = json.loads(key)
    except ValueError:
        return None
    if not isinstance(parsed, list) or len(parsed) != 2 or not isinstance(parsed[0], str) or not isinstance(parsed[1], dict):
        return None
    return parsed[0], parsed[1]


def offset_value(offset: Offset | None) -> bytes | None:
    return None if offset is None else _dumps(dict(offset))


def parse_offset_value(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    parsed = json.loads(value)
    return parsed if isinstance(parsed, dict) else None


class OffsetBackingStore(ABC):
    """Raw key -> value offsets (bytes as above). Thread-safe: tasks read while the committer writes."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Loads the stored offsets."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Releases files and clients."""

    @abstractmethod
    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        """Values of the keys that have one."""

    @abstractmethod
    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        """Stores the values durably before returning (a None value removes the key)."""

    @abstractmethod
    def all(self) -> dict[bytes, bytes]:
        """Every stored key and value (for GET /connectors/{name}/offsets)."""

    def connector_offsets(self, connector: str) -> dict[bytes, tuple[dict[str, Any], dict[str, Any]]]:
        """The connector's source partitions and offsets, by stored key."""
        out: dict[bytes, tuple[dict[str, Any], dict[str, Any]]] = {}
        for key, value in self.all().items():
            parsed = parse_offset_key(key)
            offset = parse_offset_value(value)
            if parsed is not None and parsed[0] == connector and offset is not None:
                out[key] = (parsed[1], offset)
        return out


class MemoryOffsetBackingStore(OffsetBackingStore):
    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        with self._lock:
            return {k: self._data[k] for k in keys if k in self._data}

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        with self._lock:
            for key, value in values.items():
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = value
            self._save()

    def all(self) -> dict[bytes, bytes]:
        with self._lock:
            return dict(self._data)

    def _save(self) -> None:
        """Persists the map (called under the lock); memory only here."""


class FileOffsetBackingStore(MemoryOffsetBackingStore):
    """The standalone worker's store (offset.storage.file.filename): the whole map rewritten atomically as JSON
    `{"<key json>": "<value json>", ...}` on every flush (temp file + rename), so a crash leaves the old or new map."""

    def __init__(self, filename: str) -> None:
        super().__init__()
        self.filename = filename

    def start(self) -> None:
        try:
            with open(self.filename, encoding="utf-8") as f:
                raw = json.load(f)
        except FileNotFoundError:
            return
        except ValueError as exc:
            raise OSError(f"Failed to read offsets from {self.filename}: {exc}") from exc
        with self._lock:
            self._data = {k.encode(): v.encode() for k, v in raw.items() if isinstance(v, str)}

    def _save(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".offsets-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({k.decode(): v.decode() for k, v in self._data.items()}, f, ensure_ascii=False, indent=0)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.filename)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class OffsetStorageReader(api.OffsetStorageReader):
    """What a SourceTask (and its connector) reads its committed offsets through (Java's OffsetStorageReaderImpl)."""

    def __init__(self, store: OffsetBackingStore, connector: str) -> None:
        self.store = store
        self.connector = connector

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.offsets([partition])[0][1]

    def offsets(self, partitions: Iterable[Mapping[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(partition, offset or None) for each partition, in order, as strom.connect.api.OffsetStorageReader
        declares (Java returns a Map keyed by the partition maps, which Python dicts cannot key)."""
        wanted = [(dict(p), offset_key(self.connector, p)) for p in partitions]
        found = self.store.get([key for _, key in wanted])
        return [(p, parse_offset_value(found.get(key))) for p, key in wanted]


class OffsetStorageWriter:
    """Buffers a task's offsets; a flush writes one consistent snapshot (Java's OffsetStorageWriter).

    The worker task calls offset() as records are acknowledged, then begin_flush() -> do_flush() (or
    cancel_flush() when the flush failed, so the offsets are retried with the next one)."""

    def __init__(self, store: OffsetBackingStore, connector: str) -> None:
        self.store = store
        self.connector = connector
        self._data: dict[bytes, bytes | None] = {}
        self._to_flush: dict[bytes, bytes | None] | None = None
        self._lock = threading.Lock()

    def offset(self, partition: Partition, offset: Offset | None) -> None:
        with self._lock:
            self._data[offset_key(self.connector, partition)] = offset_value(offset)

    def begin_flush(self) -> bool:
        """Snapshots the pending offsets; False when there is nothing to flush."""
        with self._lock:
            if self._to_flush is not None:
                raise RuntimeError("OffsetStorageWriter is already flushing")
            if not self._data:
                return False
            self._to_flush, self._data = self._data, {}
            return True

    def do_flush(self) -> None:
        with self._lock:
            snapshot = self._to_flush
        if snapshot is None:
            return
        self.store.set(snapshot)
        with self._lock:
            self._to_flush = None

    def cancel_flush(self) -> None:
        """Puts the snapshot back under newer offsets, to be flushed next time."""
        with self._lock:
            if self._to_flush is not None:
                self._to_flush.update(self._data)
                self._data, self._to_flush = self._to_flush, None
