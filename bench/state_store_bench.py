"""Embedded stores for Strom Streams' persistent key-value store: rocksdict (RocksDB) vs LMDB vs SQLite.

Each backend gets the work a stream task gives its store: N single puts (committed every 10,000, as a task's
commit does), N point gets, a full scan, 1,000 scans of 100 keys, and a restore (N changelog records written in
batches of 10,000, as the changelog reader hands them over). Keys are 12-byte big-endian counters in shuffled
order, values 16 bytes. "strom-store" is Strom's LmdbKeyValueStore, with its own overheads, on the same work.
Rates are per CPU second of the benchmark process (all its threads, so RocksDB's background work counts).
Usage: python bench/state_store_bench.py [--keys 1000000] [--rounds 2] [--only rocksdict,lmdb,sqlite,strom-store]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

BATCH = 10_000


def _keys(n: int) -> list[bytes]:
    keys = [struct.pack(">q", i) + b"word" for i in range(n)]
    random.Random(7).shuffle(keys)
    return keys


class Rocks:
    def __init__(self, path: str) -> None:
        import rocksdict

        opts = rocksdict.Options(raw_mode=True)
        opts.create_if_missing(True)
        self.wo = rocksdict.WriteOptions()
        self.wo.disable_wal = True
        self.db = rocksdict.Rdict(path, options=opts)
        self.db.set_write_options(self.wo)
        self.rocksdict = rocksdict

    def put(self, k: bytes, v: bytes) -> None:
        self.db[k] = v

    def commit(self) -> None:
        pass

    def get(self, k: bytes) -> bytes | None:
        return self.db.get(k)  # type: ignore[no-any-return]

    def scan(self, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        it = self.db.iter()
        it.seek(lo)
        while it.valid():
            k = it.key()
            if hi is not None and k > hi:
                return
            yield k, it.value()
            it.next()

    def restore(self, batch: list[tuple[bytes, bytes]]) -> None:
        wb = self.rocksdict.WriteBatch(raw_mode=True)
        for k, v in batch:
            wb.put(k, v)
        self.db.write(wb)

    def close(self) -> None:
        self.db.close()


class Lmdb:
    def __init__(self, path: str) -> None:
        import lmdb

        self.env = lmdb.open(path, map_size=1 << 34, sync=False, metasync=False, writemap=True)
        self.txn: Any = None

    def _w(self) -> Any:
        if self.txn is None:
            self.txn = self.env.begin(write=True)
        return self.txn

    def put(self, k: bytes, v: bytes) -> None:
        self._w().put(k, v)

    def commit(self) -> None:
        if self.txn is not None:
            self.txn.commit()
            self.txn = None

    def get(self, k: bytes) -> bytes | None:
        return self._w().get(k)  # type: ignore[no-any-return]

    def scan(self, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        cur = self._w().cursor()
        if not cur.set_range(lo):
            return
        for k, v in cur:
            if hi is not None and k > hi:
                return
            yield k, v

    def restore(self, batch: list[tuple[bytes, bytes]]) -> None:
        with self.env.begin(write=True) as txn:
            txn.cursor().putmulti(batch)

    def close(self) -> None:
        self.commit()
        self.env.close()


class Sqlite:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(os.path.join(path, "db.sqlite"), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
        self.in_txn = False

    def put(self, k: bytes, v: bytes) -> None:
        if not self.in_txn:
            self.db.execute("BEGIN")
            self.in_txn = True
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (k, v))

    def commit(self) -> None:
        if self.in_txn:
            self.db.execute("COMMIT")
            self.in_txn = False

    def get(self, k: bytes) -> bytes | None:
        row = self.db.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
        return None if row is None else row[0]  # type: ignore[no-any-return]

    def scan(self, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        if hi is None:
            yield from self.db.execute("SELECT k, v FROM kv WHERE k >= ? ORDER BY k", (lo,))
        else:
            yield from self.db.execute("SELECT k, v FROM kv WHERE k >= ? AND k <= ? ORDER BY k", (lo, hi))

    def restore(self, batch: list[tuple[bytes, bytes]]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", batch)
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.commit()
        self.db.close()


class StromStore:
    """Strom Streams' persistent key-value bytes store itself (LMDB plus its key prefix and batched iterators)."""

    def __init__(self, path: str) -> None:
        from pathlib import Path

        from strom.streams.state.internals.lmdb_store import LmdbKeyValueStore

        self.store = LmdbKeyValueStore("bench")
        self.store.open_db(Path(path))

    def put(self, k: bytes, v: bytes) -> None:
        self.store.put(k, v)

    def commit(self) -> None:
        self.store.flush()

    def get(self, k: bytes) -> bytes | None:
        return self.store.get(k)

    def scan(self, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        return iter(self.store.range(lo, hi))

    def restore(self, batch: list[tuple[bytes, bytes]]) -> None:
        self.store.restore_batch([(k, v, 0) for k, v in batch])

    def close(self) -> None:
        self.store.close()


BACKENDS: dict[str, Callable[[str], Any]] = {"rocksdict": Rocks, "lmdb": Lmdb, "sqlite": Sqlite, "strom-store": StromStore}


def _timed(fn: Callable[[], object]) -> float:
    # CPU seconds of this process (all its threads, so RocksDB's background flushes and compactions count): on a
    # shared, loaded machine wall-clock time mostly measures the other processes.
    t = time.process_time()
    fn()
    return time.process_time() - t


def run(name: str, n: int) -> dict[str, float]:
    keys = _keys(n)
    value = b"v" * 16
    out: dict[str, float] = {}
    root = tempfile.mkdtemp(prefix=f"statebench-{name}-")
    try:
        store = BACKENDS[name](_mk(root, "a") if name == "sqlite" else os.path.join(root, "a"))

        def puts() -> None:
            for i, k in enumerate(keys):
                store.put(k, value)
                if i % BATCH == BATCH - 1:
                    store.commit()
            store.commit()

        out["put/s"] = n / _timed(puts)
        out["get/s"] = n / _timed(lambda: [store.get(k) for k in keys])
        out["scan all/s"] = n / _timed(lambda: sum(1 for _ in store.scan(b"", None)))
        starts = keys[:1000]

        def short_scans() -> None:
            for k in starts:
                hi = struct.pack(">q", struct.unpack(">q", k[:8])[0] + 100)
                for _ in store.scan(k, hi):
                    pass

        out["range(100)/s"] = 1000 / _timed(short_scans)
        store.close()
        restored = BACKENDS[name](_mk(root, "b") if name == "sqlite" else os.path.join(root, "b"))
        pairs = [(k, value) for k in keys]

        def restore() -> None:
            for i in range(0, n, BATCH):
                restored.restore(pairs[i : i + BATCH])

        out["restore s"] = _timed(restore)
        restored.close()
        out["disk MB"] = sum(os.stat(os.path.join(d, f)).st_blocks * 512 for d, _, fs in os.walk(os.path.join(root, "b")) for f in fs) / 1e6
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def _mk(root: str, sub: str) -> str:
    path = os.path.join(root, sub)
    os.makedirs(path, exist_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="runs per backend, interleaved; the best of each figure is shown")
    parser.add_argument("--only", default="rocksdict,lmdb,sqlite,strom-store")
    args = parser.parse_args()
    names = args.only.split(",")
    print(
        f"{args.keys} keys (12-byte keys, 16-byte values), best of {args.rounds} interleaved rounds, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    best: dict[str, dict[str, float]] = {}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            res = run(name, args.keys)
            print(f"  round {r + 1} {name}: " + "  ".join(f"{k} {v:,.2f}" for k, v in res.items()), flush=True)
            keep = best.setdefault(name, res)
            for k, v in res.items():
                keep[k] = min(keep[k], v) if k in ("restore s", "disk MB") else max(keep[k], v)
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    print("| store | put/s | get/s | full scan entries/s | 100-key ranges/s | restore s | disk MB |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        b = best[name]
        rates = " | ".join(f"{b[k]:,.0f}" for k in ("put/s", "get/s", "scan all/s", "range(100)/s"))
        print(f"| {name} | {rates} | {b['restore s']:.2f} | {b['disk MB']:.0f} |")


if __name__ == "__main__":
    main()
