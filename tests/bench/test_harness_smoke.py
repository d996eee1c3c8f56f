"""The benchmark harness runs end to end (tiny load, no thresholds), so it cannot rot."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.java
def test_harness_smoke_both_systems():
    """bench/harness.py --matrix smoke: every case group (librdkafka and Kafka's Java perf tools) runs on
    Strom and on Apache Kafka."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "harness.py"), "--matrix", "smoke", "--no-write"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split("|") for line in out.stdout.splitlines() if line.startswith("| ") and not line.startswith("| case")]
    assert len(rows) == 9, out.stdout
    for cells in rows:
        assert cells[2].strip() and cells[3].strip(), f"a system has no number: {'|'.join(cells)}"
    assert "error" not in out.stdout.lower(), out.stdout
