"""Which operating-system fast paths this process uses, chosen once at start-up by capability.

Strom's fast paths are Unix calls (uvloop, os.sendfile, os.pwritev, fcntl.flock, loop.add_signal_handler,
renaming and unlinking files that are still open). Each has a portable twin here, used when the capability
is missing (Windows has none of them) or when `STROM_PORTABLE=1` forces the twins, which is how the
portable paths are tested on Linux. The fast paths are the same functions as before (`pread` *is*
`os.pread` when it exists), so choosing costs nothing per call.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

Buffer = bytes | bytearray | memoryview

PORTABLE: Final = os.environ.get("STROM_PORTABLE", "") not in ("", "0")
"""STROM_PORTABLE=1: every portable twin, whatever the platform offers (tests the Windows paths on Linux)."""

O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)
"""Windows opens files in text mode (CRLF translation) unless told otherwise; 0 elsewhere."""


def _has(module: object, name: str) -> bool:
    return not PORTABLE and hasattr(module, name)


def _open_files_renamable() -> bool:
    """Whether a file may be renamed and unlinked while open (POSIX yes, Windows no): probed, not assumed."""
    if PORTABLE:
        return False
    try:
        return _probe_rename_while_open()
    except OSError:  # no writable temporary directory: the twin is correct everywhere
        return False


def _probe_rename_while_open() -> bool:
    with tempfile.TemporaryDirectory(prefix="strom-probe-") as d:
        path, moved = os.path.join(d, "a"), os.path.join(d, "b")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | O_BINARY, 0o600)
        try:
            os.replace(path, moved)
            os.unlink(moved)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What this process may use; every field False/portable means the Windows twins."""

    uvloop: bool
    sendfile: bool  # os.sendfile + os.writev on the socket's fd, with add_writer on a dup of it
    pwritev: bool
    pread: bool  # os.pread / os.pwrite (Windows has neither)
    flock: bool
    loop_signal_handlers: bool  # loop.add_signal_handler (not on Windows' event loops)
    open_files_renamable: bool

    def describe(self) -> str:
        """The one start-up log line: what was chosen."""
        lock = "flock" if self.flock else "byte-range lock (msvcrt.locking / lockf)"
        return (
            f"Platform{' (STROM_PORTABLE=1)' if PORTABLE else ''}: event loop {'uvloop' if self.uvloop else 'asyncio'}, "
            f"fetch {'sendfile' if self.sendfile else 'copy through the transport'}, "
            f"append {'pwritev' if self.pwritev else ('pwrite of joined pieces' if self.pread else 'seek+write')}, "
            f"log.dirs lock {lock}, "
            f"signals {'loop.add_signal_handler' if self.loop_signal_handlers else 'signal.signal'}, "
            f"segment deletion {'unlink while open' if self.open_files_renamable else 'rename/unlink after close'}"
        )


def detect() -> Capabilities:
    """Probes this process's capabilities (STROM_PORTABLE=1 reports none of them)."""
    return Capabilities(
        uvloop=not PORTABLE and importlib.util.find_spec("uvloop") is not None,
        sendfile=_has(os, "sendfile") and _has(os, "writev"),
        pwritev=_has(os, "pwritev"),
        pread=_has(os, "pread") and _has(os, "pwrite"),
        flock=not PORTABLE and importlib.util.find_spec("fcntl") is not None,
        loop_signal_handlers=not PORTABLE and _loop_adds_signal_handlers(),
        open_files_renamable=_open_files_renamable(),
    )


def _loop_adds_signal_handlers() -> bool:
    """Whether asyncio's loop implements add_signal_handler (Unix's does; Windows' loops raise
    NotImplementedError, as BaseEventLoop does)."""
    own = asyncio.SelectorEventLoop.add_signal_handler
    return own is not asyncio.BaseEventLoop.add_signal_handler


CAPS: Final = detect()


# ---- the event loop ----------------------------------------------------------------------------------


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (and not STROM_PORTABLE), else asyncio's default (Proactor on Windows)."""
    if CAPS.uvloop:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def uses_uvloop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` is uvloop's, without importing uvloop in a process that chose asyncio."""
    uvloop = sys.modules.get("uvloop")
    return uvloop is not None and isinstance(loop, uvloop.Loop)


def install_stop_handlers(loop: asyncio.AbstractEventLoop, stop: Callable[[], object]) -> None:
    """SIGTERM and Ctrl-C (and Ctrl-Break on Windows) call `stop` on the loop: through the loop's own
    handlers where it has them, else through signal.signal, which runs in the main thread between
    bytecodes and hands over to the loop thread-safely."""
    signals = [s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGBREAK", None)) if s is not None]
    if CAPS.loop_signal_handlers:
        for sig in signals:
            loop.add_signal_handler(sig, stop)
        return
    for sig in signals:
        signal.signal(sig, lambda _signum, _frame: loop.call_soon_threadsafe(stop))


# ---- positional file I/O -----------------------------------------------------------------------------

seek_lock = threading.Lock()
"""Held by the seek+read/write twins, which move an fd's shared file position (one caller at a time), and by
whoever closes and reopens an fd they may be using, so no twin seeks on a number that changed file midway."""


def _pread_seek(fd: int, n: int, offset: int) -> bytes:
    with seek_lock:
        os.lseek(fd, offset, os.SEEK_SET)
        parts, left = [], n
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)


def _pwrite_seek(fd: int, data: Buffer, offset: int) -> int:
    with seek_lock:
        os.lseek(fd, offset, os.SEEK_SET)
        view, done = memoryview(data), 0
        while done < len(view):
            done += os.write(fd, view[done:])
        return done


pread: Callable[[int, int, int], bytes] = os.pread if CAPS.pread else _pread_seek
"""os.pread, or seek+read under a lock where there is none."""
pwrite: Callable[[int, Buffer, int], int] = os.pwrite if CAPS.pread else _pwrite_seek
"""os.pwrite, or seek+write under a lock where there is none."""


def _pwritev_joined(fd: int, pieces: Sequence[Buffer], offset: int) -> int:
    """One positional write of the pieces copied into one buffer: the same bytes land in one call."""
    return pwrite(fd, b"".join(pieces), offset)


pwritev: Callable[[int, Sequence[Buffer], int], int] = os.pwritev if CAPS.pwritev else _pwritev_joined
"""os.pwritev, or the pieces joined and written with one pwrite."""


# ---- the log.dirs lock --------------------------------------------------------------------------------


def lock_exclusive(fd: int) -> None:
    """An exclusive, non-blocking lock on an open file, held until the fd closes; OSError if another
    process or another open of the file holds it. fcntl.flock where it exists; else a lock of the file's
    first byte as Windows' msvcrt.locking takes it (with STROM_PORTABLE=1 on Linux: the same byte-range
    lock owned by the open file, F_OFD_SETLK, so it also refuses a second open in this process)."""
    if CAPS.flock:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    os.lseek(fd, 0, os.SEEK_SET)
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        first_byte = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)  # struct flock
        fcntl.fcntl(fd, getattr(fcntl, "F_OFD_SETLK", fcntl.F_SETLK), first_byte)
