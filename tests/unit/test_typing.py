"""`mypy --strict` (configured in pyproject.toml) is clean on src/strom: typed messages, typed handlers and typed
components stay typed, and the real bugs mypy finds cannot hide among Any-noise again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_strict_is_clean_on_src() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-incremental", "src/strom"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "No module named mypy" not in result.stderr, "mypy is a test dependency: scripts/bootstrap.sh test"
    assert result.returncode == 0, result.stdout + result.stderr
