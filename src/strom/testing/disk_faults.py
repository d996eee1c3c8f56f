"""Disks that fail, for tests: a small filesystem that fills up, and I/O errors injected at the storage seam.

`small_filesystem` mounts a tmpfs of a few hundred KiB (Linux; needs the privilege to mount, which the test
machines have): writes past its size get a real ENOSPC from the kernel, at whatever call the broker makes.
`DiskFaults` replaces the system calls `strom.storage.segment` writes and syncs segments with (its seam):
a chosen call fails with EIO / ENOSPC, or writes only part of its bytes -- in-process, below an untouched
broker.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import strom.storage.segment as segment

Buffer = bytes | bytearray | memoryview


@contextmanager
def small_filesystem(path: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of `size_bytes` mounted at `path` for the duration (unmounted lazily after: a broker that was
    killed may still hold files there)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)], check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


class DiskFaults:
    """Fails the storage layer's writes and fsyncs on demand. `fail_writes(n, err)` makes the next n writes
    raise `err`; `short_writes(n)` makes them write half their bytes and report it (a torn write);
    `fail_fsyncs(n, err)` fails fsyncs. `writes` / `fsyncs` count the calls seen. Use as a context manager."""

    def __init__(self) -> None:
        self.writes = 0
        self.fsyncs = 0
        self._write_faults: list[Callable[[], int | None]] = []
        self._fsync_faults: list[int] = []
        self._saved: dict[str, Any] = {}

    def fail_writes(self, count: int = 1, err: int = errno.EIO) -> None:
        self._write_faults += [lambda: _raise(err)] * count

    def short_writes(self, count: int = 1) -> None:
        self._write_faults += [lambda: -1] * count

    def fail_fsyncs(self, count: int = 1, err: int = errno.EIO) -> None:
        self._fsync_faults += [err] * count

    def __enter__(self) -> DiskFaults:
        self._saved = {name: getattr(segment, name) for name in ("pwrite", "pwritev", "fsync")}
        real_pwrite, real_pwritev, real_fsync = self._saved["pwrite"], self._saved["pwritev"], self._saved["fsync"]

        def pwrite(fd: int, data: Buffer, position: int) -> int:
            return self._write(fd, [data], position, lambda: real_pwrite(fd, data, position))

        def pwritev(fd: int, pieces: Sequence[Buffer], position: int) -> int:
            return self._write(fd, pieces, position, lambda: real_pwritev(fd, pieces, position))

        def fsync(fd: int) -> None:
            self.fsyncs += 1
            if self._fsync_faults:
                _raise(self._fsync_faults.pop(0))
            real_fsync(fd)

        segment.pwrite, segment.pwritev, segment.fsync = pwrite, pwritev, fsync  # type: ignore[assignment]
        return self

    def _write(self, fd: int, pieces: Sequence[Buffer], position: int, real: Callable[[], int]) -> int:
        self.writes += 1
        if not self._write_faults:
            return real()
        fault = self._write_faults.pop(0)
        if fault() == -1:  # short write: the first half of the bytes reach the file
            data = b"".join(bytes(p) for p in pieces)
            return os.pwrite(fd, data[: len(data) // 2], position)
        return real()

    def __exit__(self, *exc: object) -> None:
        for name, fn in self._saved.items():
            setattr(segment, name, fn)


def _raise(err: int) -> int:
    raise OSError(err, os.strerror(err))
