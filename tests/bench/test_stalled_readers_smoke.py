"""bench/stalled_readers.py end to end on a tiny load against Strom's broker: every case runs and the table is
printed. Slow (a broker, seconds of stalled connections per case); the figures are in docs/RELIABILITY.md."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.slow]
BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_stalled_readers_bench_runs_every_case() -> None:
    args = [sys.executable, str(BENCH / "stalled_readers.py"), "--records", "2000", "--brokers", "strom", "--stalled", "0,20"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "broker" not in line]
    assert len(rows) == 2, out.stdout
