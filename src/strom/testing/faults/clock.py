"""Clock jumps on one broker, through the clock the storage, cluster and coordination layers already take.

A wall clock steps (NTP corrections, a VM resumed, an operator's `date -s`); a monotonic clock does not.
`JumpingClock` is a wall clock with a settable offset over a real one. `python -m strom.testing.faults.clock
<kafka-server-start arguments>` runs a broker on it whose offset is read from the file named by
STROM_CLOCK_OFFSET_FILE (milliseconds, polled every 50 ms), so a test jumps one broker's clock by writing a
number; `jump(path, ms)` does that.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from strom.storage.clock import Clock, SystemClock

POLL_S = 0.05


class JumpingClock:
    """`base`'s time, with the wall clock moved by `offset_ms` (the monotonic clock never jumps)."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base = base or SystemClock()
        self.offset_ms = 0

    def jump(self, ms: int) -> None:
        self.offset_ms += ms

    def now_ms(self) -> int:
        return self.base.now_ms() + self.offset_ms

    def monotonic_ms(self) -> int:
        return self.base.monotonic_ms()


def jump(offset_file: Path, total_offset_ms: int) -> None:
    """Sets the broker's wall-clock offset (from the real clock, not from the last jump)."""
    tmp = offset_file.with_suffix(".tmp")
    tmp.write_text(str(total_offset_ms))
    tmp.replace(offset_file)


def follow(clock: JumpingClock, offset_file: Path, stop: threading.Event) -> None:
    while not stop.wait(POLL_S):
        try:
            clock.offset_ms = int(offset_file.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            pass


def main(argv: list[str] | None = None) -> int:
    from strom.broker import main as server

    clock = JumpingClock()
    stop = threading.Event()
    offset_file = os.environ.get("STROM_CLOCK_OFFSET_FILE")
    if offset_file:
        threading.Thread(target=follow, args=(clock, Path(offset_file), stop), name="clock-offset", daemon=True).start()
    try:
        return server.main(argv, clock=clock)
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
