"""CRC32C (Castagnoli), the checksum of every Kafka record batch: the one function the whole code base uses.

`crc32c(data, value=0)` takes any contiguous bytes-like object (bytes, bytearray, memoryview slices: no
copy) and continues from `value`, a previous result, exactly as the `crc32c` library does. Where the CPU has
AVX-512 VPCLMULQDQ, the compiled `strom._crc32c` folds 256 bytes per round with carry-less multiplies (about
2x the library from L2 on, see docs/PERFORMANCE.md) and releases the GIL from 64 KiB on. Elsewhere (no such
CPU, not x86-64, extension not built, or STROM_NO_EXTENSIONS=1) it is the `crc32c` library's own function.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

import crc32c as _library

from strom import _native

BytesLike: TypeAlias = bytes | bytearray | memoryview  # collections.abc.Buffer needs Python 3.12


class _Crc32c(Protocol):
    def __call__(self, data: BytesLike, value: int = 0) -> int: ...


def _pick() -> tuple[_Crc32c, str]:
    fast = _native.load("strom._crc32c", usable=lambda module: bool(module.accelerated))
    if fast is not None:
        return fast.crc32c, f"strom._crc32c ({fast.implementation})"
    return _library.crc32c, "crc32c library"


crc32c, IMPLEMENTATION = _pick()
"""crc32c(data, value=0) -> int; IMPLEMENTATION names what computes it, for benchmarks and bug reports."""

library_crc32c: _Crc32c = _library.crc32c
"""The `crc32c` library's function: the reference the compiled kernels are tested against."""
