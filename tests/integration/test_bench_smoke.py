"""The benchmark harness runs end to end (tiny load, no thresholds), so it cannot rot."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.java
def test_java_perf_smoke():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "java_perf.py"), "--smoke"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| produce") or line.startswith("| consume")]
    assert len(rows) == 6
