"""bench/portable_bench.py runs end to end on 2 MiB (no thresholds), so the harness cannot rot."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("kcat") is None, reason="the bench consumes with kcat")
def test_portable_bench_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "portable_bench.py"), "--mib", "2", "--runs", "1", "--round-trips", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| fast path |") or line.startswith("| portable")]
    assert len(rows) == 2 and all(len(row.split("|")) == 8 for row in rows)
