"""bench/sasl_ssl.py runs end to end on 2 MiB against Strom (no thresholds), so the harness cannot rot."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("kcat") is None, reason="the bench consumes with kcat")
def test_sasl_ssl_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sasl_ssl.py"), "--mib", "2", "--runs", "1", "--no-kafka"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = [line for line in proc.stdout.splitlines() if line.startswith("| Strom |")]
    produce, consume = (float(cell) for cell in row.split("|")[2:4])
    assert produce > 0 and consume > 0
