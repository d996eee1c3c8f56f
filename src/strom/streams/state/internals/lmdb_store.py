"""LmdbKeyValueStore: the persistent key-value bytes store, one LMDB environment per store under the task directory
(<state.dir>/<application.id>/<task>/lmdb/<store>). Measured against RocksDB (rocksdict) and SQLite in
bench/state_store_bench.py; docs/STREAMS.md says why LMDB.

Writes go into one write transaction that flush() (the task's commit) commits, so the files always hold the state
of the last commit. LMDB keys are 1..511 bytes: every key is stored behind a one-byte prefix (the empty key is
legal in Kafka), and keys too long for LMDB live in a second database keyed by their SHA-256, their sorted list
kept in memory and merged into every range."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator, Sequence
from operator import add
from pathlib import Path
from threading import get_ident
from typing import Any

import lmdb

from strom.streams.errors import ProcessorStateException
from strom.streams.state.api import KeyValue, RestoreRecord, StateStore, StateStoreContext, pack_timestamp, timestamped_bytes
from strom.streams.state.internals.bytes_store import BytesKeyValueStore, prefix_upper_bound
from strom.streams.state.internals.caching import merge_sorted
from strom.streams.state.restore_batch import columns

# Address space reserved per store (the file only grows as data is written); strom.state.lmdb.map.size.bytes.
DEFAULT_MAP_SIZE = 64 << 30
MAP_SIZE_CONFIG = "strom.state.lmdb.map.size.bytes"
_BATCH = 256
RESTORE_COMMIT_RECORDS = 100_000
_PREFIX = b"\x00"


class LmdbKeyValueStore(BytesKeyValueStore):
    def __init__(self, name: str, parent_dir: str = "lmdb") -> None:
        super().__init__(name)
        self.parent_dir = parent_dir
        self._env: Any = None
        self._txn: Any = None
        self._owner = 0
        self._long_keys: list[bytes] = []
        self._max_key = 0
        self._restored = 0

    def persistent(self) -> bool:
        return True

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        map_size = int(context.app_configs().get(MAP_SIZE_CONFIG, DEFAULT_MAP_SIZE))
        self.open_db(Path(context.state_dir) / self.parent_dir / self.name, map_size)
        super().init(context, root)

    def open_db(self, path: Path, map_size: int = DEFAULT_MAP_SIZE) -> None:
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._env = lmdb.open(str(path), map_size=map_size, max_dbs=2, sync=False, metasync=False, readahead=False)
            self._db = self._env.open_db(b"kv")
            self._long_db = self._env.open_db(b"long")
        except lmdb.Error as exc:
            raise ProcessorStateException(f"Error opening store {self.name} at location {path}", exc) from exc
        self._max_key = self._env.max_key_size() - len(_PREFIX)
        self._open = True
        self._owner = 0  # the thread that writes becomes the owner (an LMDB write transaction stays on its thread)
        self._load_long_keys()

    def _load_long_keys(self) -> None:
        with self._env.begin(db=self._long_db) as txn:
            self._long_keys = sorted(_decode_long(v)[0] for _, v in txn.cursor())

    # -- transactions: the thread that writes (the stream thread) reads and writes through its open write
    # transaction; any other thread (interactive queries) reads the last committed state.

    def _write_txn(self) -> Any:
        if self._txn is None:
            if not self._open:
                raise RuntimeError(f"Store {self.name} is currently closed.")
            self._txn = self._env.begin(write=True)
            self._owner = get_ident()
        return self._txn

    def _read(self, fn: Any) -> Any:
        if get_ident() == self._owner:
            return fn(self._txn or self._write_txn())
        if not self._open:
            raise RuntimeError(f"Store {self.name} is currently closed.")
        with self._env.begin() as txn:
            return fn(txn)

    def get(self, key: bytes) -> bytes | None:
        if len(key) > self._max_key:
            raw = self._read(lambda t: t.get(_long_id(key), db=self._long_db))
            return None if raw is None else _decode_long(raw)[1]
        if get_ident() == self._owner:
            return (self._txn or self._write_txn()).get(_PREFIX + key, db=self._db)  # type: ignore[no-any-return]
        return self._read(lambda t: t.get(_PREFIX + key, db=self._db))  # type: ignore[no-any-return]

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.delete(key)
            return
        txn = self._write_txn()
        try:
            if len(key) > self._max_key:
                txn.put(_long_id(key), _encode_long(key, value), db=self._long_db)
                if not self._has_long(key):
                    bisect.insort(self._long_keys, key)
                return
            txn.put(_PREFIX + key, value, db=self._db)
        except lmdb.Error as exc:
            # A full map (strom.state.lmdb.map.size.bytes) or a failing disk: the transaction is lost, so is the task.
            raise ProcessorStateException(f"Error while putting key/value into store {self.name}", exc) from exc

    def _has_long(self, key: bytes) -> bool:
        i = bisect.bisect_left(self._long_keys, key)
        return i < len(self._long_keys) and self._long_keys[i] == key

    def delete(self, key: bytes) -> bytes | None:
        txn = self._write_txn()
        if len(key) > self._max_key:
            raw = txn.pop(_long_id(key), db=self._long_db)
            if raw is None:
                return None
            del self._long_keys[bisect.bisect_left(self._long_keys, key)]
            return _decode_long(raw)[1]
        return txn.pop(_PREFIX + key, db=self._db)  # type: ignore[no-any-return]

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        if not records:
            return
        txn = self._write_txn()
        keys, values, timestamps = columns(records)
        if None not in values and max(map(len, keys)) <= self._max_key:
            # Only puts of short keys (a restore's usual batch): one putmulti, no Python per record.
            stored = map(add, map(pack_timestamp, timestamps), values) if self.timestamped else values
            txn.cursor(db=self._db).putmulti(zip(map(_PREFIX.__add__, keys), stored, strict=True))
        else:
            self._restore_mixed(txn, records)
        # Committing every batch (a poll's worth) tripled the CPU of a 1M-record restore; the task's flush
        # commits the rest.
        self._restored += len(records)
        if self._restored >= RESTORE_COMMIT_RECORDS:
            self._restored = 0
            self.flush()

    def _restore_mixed(self, txn: Any, records: Sequence[RestoreRecord]) -> None:
        """Records with deletes or long keys, in changelog order: runs of puts between them go in one putmulti."""
        db, max_key, ts = self._db, self._max_key, self.timestamped
        run: list[tuple[bytes, bytes]] = []
        for key, value, timestamp in records:
            if ts:
                value = timestamped_bytes(value, timestamp)
            if value is not None and len(key) <= max_key:
                run.append((_PREFIX + key, value))
                continue
            # A delete or a long key: write the run of puts before it first, so the changelog order holds.
            if run:
                txn.cursor(db=db).putmulti(run)
                run = []
            if len(key) > max_key:
                self.put(key, value)
            else:
                txn.delete(_PREFIX + key, db=db)
        if run:
            txn.cursor(db=db).putmulti(run)

    # -- ranges: batches of entries read from a cursor re-seeked after the last key, so puts and commits between
    # two next() calls never invalidate the iteration.

    def _scan(self, lo: bytes | None, hi: bytes | None, forward: bool) -> Iterator[KeyValue[bytes, bytes]]:
        main = self._scan_main(lo, hi, forward)
        if not self._long_keys:
            return main
        keys = self._long_keys
        start = 0 if lo is None else bisect.bisect_left(keys, lo)
        end = len(keys) if hi is None else bisect.bisect_right(keys, hi)
        selected = keys[start:end] if forward else keys[start:end][::-1]
        from strom.streams.state.internals.thread_cache import LRUCacheEntry

        longs = ((k, LRUCacheEntry(self.get(k))) for k in selected)
        return merge_sorted(longs, main, forward)

    def _scan_main(self, lo: bytes | None, hi: bytes | None, forward: bool) -> Iterator[KeyValue[bytes, bytes]]:
        lo_raw = _PREFIX + (lo or b"")
        hi_raw = None if hi is None else _PREFIX + hi
        last: bytes | None = None
        while True:
            batch: list[tuple[bytes, bytes]] = self._read(
                lambda t, after=last: _batch(t.cursor(db=self._db), lo_raw, hi_raw, after, forward)
            )
            for k, v in batch:
                yield KeyValue(k[1:], v)
            if len(batch) < _BATCH:
                return
            last = batch[-1][0]

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._scan(from_, to, True)

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._scan(from_, to, False)

    def prefix_scan_bytes(self, prefix: bytes) -> Iterator[KeyValue[bytes, bytes]]:
        upper = prefix_upper_bound(prefix)
        return (kv for kv in self._scan(prefix, upper, True) if upper is None or kv.key < upper)

    def approximate_num_entries(self) -> int:
        return int(self._read(lambda t: t.stat(self._db)["entries"])) + len(self._long_keys)

    def flush(self) -> None:
        if self._txn is not None:
            txn, self._txn = self._txn, None
            try:
                txn.commit()
            except lmdb.Error as exc:
                raise ProcessorStateException(f"Error while executing flush from store {self.name}", exc) from exc

    def close(self) -> None:
        if not self._open:
            return
        try:
            self.flush()
        finally:
            self._open = False
            self._env.close()

    def abort(self) -> None:
        """Discard the writes since the last flush (the files keep the state of the last commit)."""
        if self._txn is not None:
            txn, self._txn = self._txn, None
            txn.abort()
            self._load_long_keys()


def _batch(cur: Any, lo: bytes, hi: bytes | None, after: bytes | None, forward: bool) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    if forward:
        if not cur.set_range(after if after is not None else lo):
            return out
        if after is not None and cur.key() == after and not cur.next():
            return out
        for k, v in cur.iternext():
            if hi is not None and k > hi:
                break
            if k[:1] != _PREFIX:
                break
            out.append((k, v))
            if len(out) == _BATCH:
                break
        return out
    start = after if after is not None else hi
    if start is None:
        positioned = cur.last()
    elif cur.set_range(start):
        positioned = True
        if cur.key() > start or (after is not None and cur.key() == after):
            positioned = cur.prev()
    else:
        positioned = cur.last()
    if not positioned:
        return out
    for k, v in cur.iterprev():
        if k < lo:
            break
        out.append((k, v))
        if len(out) == _BATCH:
            break
    return out


def _long_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()


def _encode_long(key: bytes, value: bytes) -> bytes:
    return len(key).to_bytes(4, "big") + key + value


def _decode_long(raw: bytes) -> tuple[bytes, bytes]:
    n = int.from_bytes(raw[:4], "big")
    return bytes(raw[4 : 4 + n]), bytes(raw[4 + n :])
