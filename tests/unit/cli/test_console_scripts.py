"""After `pip install`, every bin/ tool is also a console script of the same name (with and without .sh)."""

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
NOT_PYTHON = {"kafka-run-class.sh", "kafka-server-stop.sh"}  # a module runner and a pgrep/kill script


def test_every_bin_tool_has_console_scripts_that_resolve():
    for script in sorted(p.name for p in (ROOT / "bin").glob("*.sh")):
        if script in NOT_PYTHON:
            continue
        for name in (script, script[: -len(".sh")]):
            assert name in SCRIPTS, name
            module, _, func = SCRIPTS[name].partition(":")
            assert callable(getattr(importlib.import_module(module), func)), name


def test_installed_console_script_runs():
    installed = Path(sys.executable).parent / "kafka-topics.sh"
    if not installed.exists():
        pytest.skip("strom is not pip-installed in this interpreter's environment")
    out = subprocess.run([str(installed), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--bootstrap-server" in out.stdout
    bad = subprocess.run([str(installed).replace(".sh", ""), "--list"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "--bootstrap-server" in bad.stderr
