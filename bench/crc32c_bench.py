"""CRC32C throughput: strom.checksum.crc32c and each compiled kernel beside the crc32c library, per buffer size.

"hot" checksums one buffer over and over (it stays in L1/L2/L3 by size); "cold" walks a 256 MiB buffer in slices,
so every slice comes from memory. GB/s per CPU-second of this process (best of alternating runs), so load
from other processes skews the ratios as little as it can.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

import crc32c

from strom import _native, checksum

Fn = Callable[[memoryview], object]


def functions(kernels: bool) -> dict[str, Fn]:
    fns: dict[str, Fn] = {"crc32c library": crc32c.crc32c, "strom.checksum": checksum.crc32c}
    module = _native.load("strom._crc32c")
    if kernels and module is not None:
        for name in module.KERNELS:
            fns[name] = lambda view, name=name: module.crc32c_kernel(view, 0, name)
    return fns


def best_rates(fns: dict[str, Fn], views: list[memoryview], repeat: int) -> dict[str, float]:
    total = sum(len(v) for v in views)
    best = dict.fromkeys(fns, 0.0)
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.process_time()
            for view in views:
                fn(view)
            best[name] = max(best[name], total / (time.process_time() - start) / 1e9)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=12, help="alternating runs per case; the best one counts")
    parser.add_argument("--kernels", action="store_true", help="also time each compiled kernel on its own")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    fns = functions(args.kernels)
    print(f"Python {platform.python_version()} on {platform.machine()}, load average {os.getloadavg()[0]:.1f}")
    print(f"strom.checksum.crc32c: {checksum.IMPLEMENTATION}")
    print("| buffer | " + " | ".join(f"{name} GB/s" for name in fns) + " | strom / library |")
    print("|---|" + "---:|" * (len(fns) + 1))
    cases: list[tuple[str, list[memoryview]]] = []
    for size in (1 << 10, 16 << 10, 1 << 20, 16 << 20):
        view = memoryview(os.urandom(size))
        cases.append((f"hot {size >> 10:,} KiB", [view] * max(1, (64 << 20) // size)))
    big = memoryview(os.urandom(256 << 20))
    for size in (1 << 20, 16 << 20):
        cases.append((f"cold {size >> 10:,} KiB", [big[i : i + size] for i in range(0, len(big), size)]))
    for label, views in cases:
        rates = best_rates(fns, views, args.repeat)
        ratio = rates["strom.checksum"] / rates["crc32c library"]
        print(f"| {label} | " + " | ".join(f"{rate:.1f}" for rate in rates.values()) + f" | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
