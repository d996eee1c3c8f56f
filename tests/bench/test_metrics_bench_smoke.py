"""bench/metrics_overhead.py and bench/cold_start.py end to end on a tiny load: they run and print their tables.
Slow (they start several brokers); the figures are in docs/METRICS.md and docs/TESTING.md."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.slow]
BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_metrics_overhead_runs_off_and_on() -> None:
    args = [sys.executable, str(BENCH / "metrics_overhead.py"), "--rounds", "1", "--records", "2000"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| produce 100 B") or line.startswith("| consume")]
    assert len(rows) == 3, out.stdout


def test_cold_start_measures_both_modes() -> None:
    out = subprocess.run([sys.executable, str(BENCH / "cold_start.py"), "--runs", "1"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| inprocess |" in out.stdout and "| subprocess |" in out.stdout, out.stdout
