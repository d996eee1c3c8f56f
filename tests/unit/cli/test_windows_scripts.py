"""bin/windows/*.bat, read as text (no cmd.exe here): each runs the module its bin/*.sh twin runs, passes every
argument through, and kafka-run-class.bat finds Python the way a Windows user has it installed."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BATS = sorted((ROOT / "bin" / "windows").glob("*.bat"))
pytestmark = pytest.mark.portable
CALL = re.compile(r'^call "%~dp0kafka-run-class\.bat" (strom\.[a-z_.]+) %\*\r$', re.M)


def text(bat: Path) -> str:
    return bat.read_bytes().decode("ascii")


def test_every_shell_script_has_a_batch_twin():
    assert {p.stem for p in BATS} == {p.stem for p in (ROOT / "bin").glob("*.sh")}


@pytest.mark.parametrize("bat", BATS, ids=lambda p: p.name)
def test_each_script_names_an_existing_module_and_passes_its_arguments(bat: Path):
    body = text(bat)
    assert body.startswith("@echo off\r\n") and "\n" not in body.replace("\r\n", "")  # CRLF: cmd's labels need it
    if bat.stem == "kafka-run-class":
        return
    if bat.stem == "kafka-server-stop":
        module = "strom.broker.main"
        assert f"CommandLine like '%%{module}%%'" in body
    else:
        calls = CALL.findall(body)
        assert len(calls) == 1, f"{bat.name}: one `call kafka-run-class.bat <module> %*` line"
        module = calls[0]
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    assert 'if __name__ == "__main__"' in Path(spec.origin).read_text()
    twin = (ROOT / "bin" / f"{bat.stem}.sh").read_text()
    assert module in twin or module.replace(".", "\\.") in twin  # the same tool as on Linux (pgrep's regex)


def test_run_class_finds_python_creates_the_venv_and_keeps_arguments_whole():
    body = text(ROOT / "bin" / "windows" / "kafka-run-class.bat")
    assert 'for %%P in ("py -3" "python" "python3")' in body  # the launcher first, then PATH
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == ">=3.11" and "sys.version_info < (3, 11)" in body
    assert "ERROR: Strom needs Python 3.11 or newer" in body and "winget install" in body
    assert r'set "VENV_PY=%BASE_DIR%\.venv\Scripts\python.exe"' in body and '"%VENV_PY%" -m pip install -q -e "%SPEC%"' in body
    # %1..%9 split "a=b" in two; the module name is cut off the front of %* instead
    assert "set ARGS=%*\r\ncall set ARGS=%%ARGS:*%MODULE%=%%\r\n" in body and '"%VENV_PY%" -m %MODULE% %ARGS%' in body


def test_connect_scripts_install_the_connect_extra():
    for mode in ("standalone", "distributed"):
        body = text(ROOT / "bin" / "windows" / f"connect-{mode}.bat")
        assert "set STROM_EXTRA=connect\r\n" in body
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "connect" in extras
