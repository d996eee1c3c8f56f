"""bench/protocol_bench.py runs end to end (tiny timings) and rewrites only its own section of the docs."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

BENCH = Path(__file__).resolve().parents[2] / "bench" / "protocol_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("protocol_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_and_updates_only_its_section(tmp_path, capsys):
    bench = _bench()
    docs = tmp_path / "PERFORMANCE.md"
    docs.write_text("# Performance\n\nsomeone else's section\n")
    for _ in range(2):  # the second run replaces the first run's section instead of appending another
        assert bench.main(["--seconds", "0.01", "--repeat", "1", "--update-docs", str(docs)]) == 0
    text = docs.read_text()
    assert text.startswith("# Performance\n\nsomeone else's section\n")
    assert text.count(bench.DOCS_BEGIN) == 1 and text.count(bench.DOCS_END) == 1
    assert "produce request, 100 partitions x 1 batch: decode v9" in text
    assert "CRC32C of 1 MiB" in capsys.readouterr().out
