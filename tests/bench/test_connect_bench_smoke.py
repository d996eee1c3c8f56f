"""bench/connect_bench.py runs end to end on a few hundred rows through Strom's standalone worker (no Debezium,
no thresholds), so the harness cannot rot; it is also the end-to-end check of PostgresConnector on the worker:
io.debezium.connector.postgresql.PostgresConnector by its Java name, JsonConverter, a Strom broker."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


def test_connect_bench_smoke() -> None:
    args = ["--snapshot-rows", "200", "--stream-rows", "200", "--txn-rows", "50", "--rate", "200", "--lag-seconds", "1"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "connect_bench.py"), *args, "--timeout", "120", "--no-debezium"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (row,) = [line for line in proc.stdout.splitlines() if line.startswith("| Strom |")]
    snapshot, streaming, cpu, p50, p99 = (float(cell) for cell in row.split("|")[2:7])
    assert snapshot > 0 and streaming > 0 and cpu > 0 and 0 <= p50 <= p99


@pytest.mark.slow
def test_connect_sink_bench_smoke() -> None:
    """bench/connect_sink_bench.py on 300 upserts through Strom's standalone worker into PostgreSQL (no Debezium)."""
    args = ["--records", "300", "--keys", "100", "--rate", "200", "--lag-seconds", "1", "--timeout", "120"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "connect_sink_bench.py"), *args, "--no-debezium"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (row,) = [line for line in proc.stdout.splitlines() if line.startswith("| Strom JdbcSinkConnector |")]
    rate, rate_with_startup = (float(cell) for cell in row.split("|")[2:4])
    p50, p99 = (float(cell) for cell in row.split("|")[5:7])
    assert rate > 0 and rate_with_startup > 0 and 0 <= p50 <= p99
