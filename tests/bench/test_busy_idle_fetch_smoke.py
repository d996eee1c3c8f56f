"""bench/busy_idle_fetch.py end to end on a tiny load against Strom's broker: every client drains both cases and
the table is printed. Slow (a broker, a JVM per Java run); the figures are in docs/PERFORMANCE.md."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.java]
BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_busy_idle_fetch_runs_every_client() -> None:
    args = [sys.executable, str(BENCH / "busy_idle_fetch.py"), "--records", "2000", "--brokers", "strom"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "records/s" not in line]
    assert len(rows) == 8, out.stdout
