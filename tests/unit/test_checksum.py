"""strom.checksum.crc32c and the compiled kernels behind it, against the `crc32c` library as the oracle.

Every kernel this CPU can run (`strom._crc32c.KERNELS`) is checked, not only the one picked, so the 128-bit
and crc32-instruction kernels that finish the zmm kernel's short inputs and tails are covered on their own.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import crc32c as library
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom import _native, checksum

_crc = _native.load("strom._crc32c")
needs_module = pytest.mark.skipif(_crc is None, reason="strom._crc32c is not built (or STROM_NO_EXTENSIONS=1)")
KERNELS: tuple[str, ...] = tuple(_crc.KERNELS) if _crc is not None else ()
CHECK = b"123456789"  # the standard check input; CRC-32C's check value is 0xE3069283


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _all_functions() -> list[tuple[str, object]]:
    """(name, f(data, value)) for the public function, the library and each compiled kernel."""
    out: list[tuple[str, object]] = [("checksum.crc32c", checksum.crc32c), ("library", library.crc32c)]
    for name in KERNELS:
        out.append((name, lambda data, value=0, name=name: _crc.crc32c_kernel(data, value, name)))  # type: ignore[union-attr]
    return out


@pytest.mark.parametrize(("name", "fn"), _all_functions(), ids=lambda v: v if isinstance(v, str) else "")
def test_known_values(name: str, fn) -> None:
    assert fn(CHECK) == 0xE3069283
    assert fn(b"") == 0
    assert fn(b"", 0x12345678) == 0x12345678  # nothing to add: the running value comes back
    assert fn(bytes(32)) == 0x8A9136AA  # RFC 3720 (iSCSI) B.4: 32 bytes of zeros
    assert fn(b"\xff" * 32) == 0x62A8AB43  # RFC 3720 B.4: 32 bytes of 0xff
    assert fn(bytes(range(32))) == 0x46DD794E  # RFC 3720 B.4: incrementing 0x00..0x1f
    assert fn(CHECK[4:], fn(CHECK[:4])) == 0xE3069283  # a running value continues the checksum


@needs_module
@pytest.mark.parametrize("kernel", KERNELS)
def test_every_length_and_alignment_matches_the_library(kernel: str) -> None:
    """Lengths 0..4096 at every alignment mod 64 (memoryview slices at odd addresses), with running values."""
    rng = random.Random(kernel)
    base = bytearray(rng.randbytes(4096 + 128))
    view = memoryview(base)
    for n in range(4097):
        offset = n % 64 if n % 3 else rng.randrange(128)
        value = rng.getrandbits(32) if n % 2 else 0
        data = view[offset : offset + n]
        assert _crc.crc32c_kernel(data, value, kernel) == library.crc32c(data, value), (n, offset, value)


@needs_module
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("size", [1 << 20, (1 << 20) + 255, (16 << 20) + 1, (16 << 20) + 77])
def test_big_buffers_with_odd_tails(kernel: str, size: int) -> None:
    data = memoryview(os.urandom(size + 3))[3:]
    assert _crc.crc32c_kernel(data, 0xDEADBEEF, kernel) == library.crc32c(data, 0xDEADBEEF)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=5000), offset=st.integers(0, 63), value=st.integers(0, 2**32 - 1), cut=st.integers(0, 5000))
def test_random_inputs_and_splits(data: bytes, offset: int, value: int, cut: int) -> None:
    view = memoryview(bytes(offset) + data)[offset:]
    expected = library.crc32c(data, value)
    assert checksum.crc32c(view, value) == expected
    for name in KERNELS:
        assert _crc.crc32c_kernel(view, value, name) == expected  # type: ignore[union-attr]
    cut = min(cut, len(data))
    assert checksum.crc32c(view[cut:], checksum.crc32c(view[:cut], value)) == expected


def test_arguments_behave_like_the_library() -> None:
    data = bytearray(b"strom")
    assert checksum.crc32c(data, value=7) == library.crc32c(data, 7)
    assert checksum.crc32c(data=data) == library.crc32c(data)
    assert checksum.crc32c(data, -1) == library.crc32c(data, -1)  # any int, taken modulo 2**32
    assert checksum.crc32c(data, 2**40 + 5) == library.crc32c(data, 2**40 + 5)
    with pytest.raises(TypeError):
        checksum.crc32c("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        checksum.crc32c(data, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        checksum.crc32c()  # type: ignore[call-arg]
    with pytest.raises(BufferError):
        checksum.crc32c(memoryview(bytes(20))[::2])  # not contiguous: no silent copy


@needs_module
def test_module_argument_errors() -> None:
    with pytest.raises(TypeError):
        _crc.crc32c(b"x", 0, 1)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        _crc.crc32c(b"x", size=1)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        _crc.crc32c(b"x", 1, value=2)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not available"):
        _crc.crc32c_kernel(b"x", 0, "no-such-kernel")  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        _crc.crc32c_kernel(b"x", 0)  # type: ignore[union-attr]


def test_threads_share_big_buffers() -> None:
    """From 64 KiB on the GIL is released during the computation: threads get their own right results."""
    buffers = [os.urandom((256 << 10) + i) for i in range(4)]
    expected = [library.crc32c(b) for b in buffers]
    results: dict[int, list[int]] = {}

    def work(i: int) -> None:
        results[i] = [checksum.crc32c(buffers[i]) for _ in range(20)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == [expected[i]] * 20 for i in range(4))


def _progress_seen_by_another_thread(size: int, calls: int) -> int:
    """How many of a worker thread's `calls` checksums of `size` bytes were done when the main thread got the
    GIL back. The switch interval is made huge, so the worker gives up the GIL only where crc32c releases it."""
    data = bytes(size)
    done = [0]

    def work() -> None:
        for _ in range(calls):
            checksum.crc32c(data)
            done[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        worker = threading.Thread(target=work)
        worker.start()  # returns once the worker runs; the main thread then waits for the GIL
        seen = done[0]
        worker.join()
    finally:
        sys.setswitchinterval(old)
    return seen


@pytest.mark.skipif(checksum.IMPLEMENTATION == "crc32c library", reason="the compiled kernel is not in use")
def test_big_buffers_release_the_gil() -> None:
    assert _progress_seen_by_another_thread(4 << 20, 50) < 50
    assert _progress_seen_by_another_thread(1024, 2000) == 2000  # below 64 KiB the call keeps the GIL


def test_the_code_base_calls_one_crc32c() -> None:
    """Every module checksums through strom.checksum, so the fast kernel (and its fallback) is used everywhere."""
    src = Path(checksum.__file__).parent
    offenders = [
        str(path.relative_to(src))
        for path in src.rglob("*.py*")
        if path.suffix in (".py", ".pyx") and path.name != "checksum.py"
        for line in path.read_text().splitlines()
        if line.strip().startswith(("import crc32c", "from crc32c ", "import google_crc32c", "from google_crc32c"))
    ]
    assert offenders == []


def test_fallback_is_the_library_when_extensions_are_disabled() -> None:
    code = "from strom import checksum, _native; print(checksum.IMPLEMENTATION, checksum.crc32c(b'123456789'), _native.loaded())"
    env = dict(os.environ, STROM_NO_EXTENSIONS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["crc32c", "library", str(0xE3069283), "[]"]


@needs_module
def test_a_module_that_is_not_usable_is_not_loaded() -> None:
    assert _native.load("strom._crc32c", usable=lambda module: False) is None


@pytest.mark.skipif(
    os.environ.get("STROM_REQUIRE_EXTENSIONS") != "1" or _native.DISABLED,
    reason="STROM_REQUIRE_EXTENSIONS is not set (scripts/test.sh sets it with a C compiler)",
)
def test_the_fast_kernel_is_used_where_the_cpu_has_it() -> None:
    assert _crc is not None, "strom._crc32c was not built"
    flags = _cpu_flags()
    if {"avx512f", "avx512vl", "avx512bw", "vpclmulqdq", "pclmulqdq", "sse4_2"} <= flags:
        assert checksum.IMPLEMENTATION == "strom._crc32c (avx512_vpclmulqdq)"
        assert checksum.crc32c is _crc.crc32c
    else:
        assert checksum.IMPLEMENTATION == "crc32c library"
