"""bench/streams_bench.py runs end to end for Strom Streams on a tiny load (no thresholds), its three plans (word count,
windowed count, restore), so the harness cannot rot."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


def test_streams_bench_smoke(tmp_path: Path) -> None:
    out_md = tmp_path / "PERF.md"
    out_md.write_text("# Perf\n\n## Other\n\nkept\n")
    args = [sys.executable, str(ROOT / "bench" / "streams_bench.py"), "--systems", "strom", "--lines", "300", "--seconds", "2"]
    args += ["--window-records", "500", "--restore-keys", "1000"]
    proc = subprocess.run([*args, "--out", str(out_md)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out_md.read_text()
    assert "## Other\n\nkept" in text and text.count("## Streams word count") == 1 and text.count("| Strom Streams |") == 3
