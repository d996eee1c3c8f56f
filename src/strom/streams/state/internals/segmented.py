"""SegmentedBytesStore: the bytes under a window or session store, split into time segments of
max(retention / 2, 60 s) (Java's segment interval) so that expired data goes by dropping whole segments. Keys are
the schemas' binary keys; each segment is a key-value bytes store (LMDB environments in
<task>/lmdb/<store>/<store>.<segment start>, as Java's <task>/rocksdb/<store>/<store>.<segment start>, or dicts)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from strom.streams.state.api import KeyValue, RestoreRecord, StateStore, StateStoreContext, timestamped_bytes
from strom.streams.state.internals.bytes_store import BytesKeyValueStore
from strom.streams.state.internals.in_memory_key_value_store import InMemoryKeyValueStore
from strom.streams.state.internals.lmdb_store import DEFAULT_MAP_SIZE, MAP_SIZE_CONFIG, RESTORE_COMMIT_RECORDS, LmdbKeyValueStore

log = logging.getLogger("org.apache.kafka.streams.state.internals.AbstractRocksDBSegmentedBytesStore")

MIN_SEGMENT_INTERVAL_MS = 60_000


def default_segment_interval(retention_ms: int) -> int:
    return max(retention_ms // 2, MIN_SEGMENT_INTERVAL_MS)


class SegmentedBytesStore(StateStore):
    """put/get by binary key; fetch over the segments a time range touches, in segment order then key order."""

    def __init__(
        self, name: str, retention_ms: int, segment_interval_ms: int, segment_time: Callable[[bytes], int], persistent: bool
    ) -> None:
        self._name = name
        self.retention_ms = retention_ms
        self.segment_interval_ms = segment_interval_ms
        self.segment_time = segment_time
        self._persistent = persistent
        self.timestamped = False
        self.observed_stream_time = -1
        self.segments: dict[int, BytesKeyValueStore] = {}
        self._dir: Path | None = None
        self._map_size = DEFAULT_MAP_SIZE
        self._open = False
        self._restored = 0

    @property
    def name(self) -> str:
        return self._name

    def persistent(self) -> bool:
        return self._persistent

    def is_open(self) -> bool:
        return self._open

    def segment_id(self, timestamp: int) -> int:
        return timestamp // self.segment_interval_ms

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self.segments = {}
        self.observed_stream_time = -1
        if self._persistent:
            self._map_size = int(context.app_configs().get(MAP_SIZE_CONFIG, DEFAULT_MAP_SIZE))
            self._dir = Path(context.state_dir) / "lmdb" / self._name
            self._dir.mkdir(parents=True, exist_ok=True)
            for child in sorted(self._dir.iterdir()):
                prefix, _, start = child.name.rpartition(".")
                if prefix == self._name and start.isdigit():
                    self._open_segment(int(start) // self.segment_interval_ms)
        context.register(root, self.restore_batch)
        self._open = True

    def _open_segment(self, segment_id: int) -> BytesKeyValueStore:
        segment_name = f"{self._name}.{segment_id * self.segment_interval_ms}"
        store: BytesKeyValueStore
        if self._dir is not None:
            lmdb_store = LmdbKeyValueStore(segment_name)
            lmdb_store.open_db(self._dir / segment_name, self._map_size)
            store = lmdb_store
        else:
            store = InMemoryKeyValueStore(segment_name)
        self.segments[segment_id] = store
        return store

    def min_live_time(self) -> int:
        return self.observed_stream_time - self.retention_ms + 1

    def _live_segment(self, timestamp: int) -> BytesKeyValueStore | None:
        segment_id = self.segment_id(timestamp)
        min_live_segment = self.segment_id(self.observed_stream_time - self.retention_ms)
        if segment_id < min_live_segment:
            return None
        store = self.segments.get(segment_id)
        if store is None:
            store = self._open_segment(segment_id)
        for old in [s for s in self.segments if s < min_live_segment]:
            self._drop_segment(old)
        return store

    def _drop_segment(self, segment_id: int) -> None:
        store = self.segments.pop(segment_id)
        store.close()
        if self._dir is not None:
            shutil.rmtree(self._dir / store.name, ignore_errors=True)

    def put(self, binary_key: bytes, value: bytes | None) -> None:
        timestamp = self.segment_time(binary_key)
        self.observed_stream_time = max(self.observed_stream_time, timestamp)
        segment = self._live_segment(timestamp)
        if segment is None:
            log.warning("Skipping record for expired segment.")
            return
        segment.put(binary_key, value)

    def get(self, binary_key: bytes) -> bytes | None:
        timestamp = self.segment_time(binary_key)
        if timestamp < self.min_live_time():
            return None
        segment = self.segments.get(self.segment_id(timestamp))
        return None if segment is None else segment.get(binary_key)

    def fetch(
        self, lo: bytes | None, hi: bytes | None, time_from: int, time_to: int, forward: bool = True
    ) -> Iterator[KeyValue[bytes, bytes]]:
        """Entries with binary keys in [lo, hi] whose segment time (window start, session end) is live and in
        [time_from, time_to], segment by segment; callers filter by key (a key range also holds longer keys)."""
        time_from = max(time_from, self.min_live_time(), 0)
        first, last = self.segment_id(time_from), self.segment_id(time_to)
        ids = sorted((s for s in self.segments if first <= s <= last), reverse=not forward)
        segment_time = self.segment_time
        for segment_id in ids:
            segment = self.segments.get(segment_id)
            if segment is None:
                continue
            for kv in segment.range(lo, hi) if forward else segment.reverse_range(lo, hi):
                if time_from <= segment_time(kv.key) <= time_to:
                    yield kv

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        for key, value, timestamp in records:
            self.put(key, timestamped_bytes(value, timestamp) if self.timestamped else value)
        # Commit now and then, not per batch (see LmdbKeyValueStore.restore_batch); the task's flush does the rest.
        self._restored += len(records)
        if self._restored >= RESTORE_COMMIT_RECORDS:
            self._restored = 0
            self.flush()

    def flush(self) -> None:
        for segment in self.segments.values():
            segment.flush()

    def close(self) -> None:
        self._open = False
        for segment in self.segments.values():
            segment.close()
        self.segments = {}
