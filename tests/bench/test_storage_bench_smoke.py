"""bench/storage_bench.py runs end to end on a few MiB (no thresholds), so the harness cannot rot."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


def test_storage_bench_smoke(tmp_path):
    out_md = tmp_path / "PERF.md"
    out_md.write_text("# Perf\n\n## Other\n\nkept\n")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "storage_bench.py"), "--smoke", "--dir", str(tmp_path), "--out", str(out_md)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| append") or line.startswith("| read")]
    assert len(rows) == 16  # append grouped (vs write and vs writev), append one write each, read: 4 batch sizes
    text = out_md.read_text()
    assert "## Other\n\nkept" in text and text.count("## Storage") == 1 and "Recovery after an unclean stop" in text
    # a second run replaces the section instead of adding another
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "storage_bench.py"), "--smoke", "--out", str(out_md)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out_md.read_text().count("## Storage") == 1
