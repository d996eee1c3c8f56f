"""bench/streams_bench.py runs end to end for Strom Streams on a tiny load (no thresholds), so the harness cannot rot:
the word count in the default suite, the windowed count and the restore plans (three more processes) in the slow one."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
BENCH = [sys.executable, str(ROOT / "bench" / "streams_bench.py"), "--systems", "strom"]


def _run(tmp_path: Path, *args: str) -> str:
    out_md = tmp_path / "PERF.md"
    out_md.write_text("# Perf\n\n## Other\n\nkept\n")
    proc = subprocess.run([*BENCH, *args, "--out", str(out_md)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out_md.read_text()
    assert "## Other\n\nkept" in text and text.count("## Streams word count") == 1
    return text


def test_streams_bench_smoke(tmp_path: Path) -> None:
    text = _run(tmp_path, "--plans", "wordcount", "--lines", "300", "--seconds", "2")
    assert text.count("| Strom Streams |") == 1


@pytest.mark.slow
def test_streams_bench_window_and_restore_smoke(tmp_path: Path) -> None:
    png = tmp_path / "streams.png"
    text = _run(tmp_path, "--plans", "window,restore", "--window-records", "500", "--restore-keys", "1000", "--plot", str(png))
    assert "### Windowed count" in text and "### Restore" in text and text.count("| Strom Streams |") == 2
    if importlib.util.find_spec("matplotlib") is not None:  # the bench extra draws the figure; without it, a message
        assert png.read_bytes().startswith(b"\x89PNG")
