"""The import-layers contract ([tool.importlinter] in pyproject.toml) holds: imports point down only.

import-linter reads every import statement of src/strom with grimp (module level, inside functions, under
TYPE_CHECKING) and checks the contract's layers and forbidden edges, including indirect chains.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(config: Path, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = f"import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports({str(config)!r}, no_cache=True, no_logo=True))"
    env = None if pythonpath is None else {"PYTHONPATH": str(pythonpath), "PATH": ""}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_strom_keeps_its_import_layers() -> None:
    result = lint_imports(ROOT / "pyproject.toml", ROOT)
    assert "No module named 'importlinter'" not in result.stderr, "import-linter is a test dependency: scripts/bootstrap.sh test"
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _contract(tmp_path: Path) -> Path:
    """A two-layer contract with the same top-level options as Strom's."""
    config = tmp_path / "contract.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_package = "pkg"
            exclude_type_checking_imports = false

            [[tool.importlinter.contracts]]
            name = "high over low"
            type = "layers"
            containers = ["pkg"]
            layers = ["high", "low"]
            """
        )
    )
    return config


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path: Path) -> None:
    _package(tmp_path, {"__init__.py": "", "high.py": "X = 1\n", "low.py": "def f():\n    from pkg.high import X\n    return X\n"})
    result = lint_imports(_contract(tmp_path), tmp_path, pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pkg.low -> pkg.high" in result.stdout


def test_an_upward_import_for_type_checking_breaks_the_contract(tmp_path: Path) -> None:
    low = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high import X\n"
    _package(tmp_path, {"__init__.py": "", "high.py": "X = 1\n", "low.py": low})
    result = lint_imports(_contract(tmp_path), tmp_path, pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr


def test_downward_imports_keep_the_contract(tmp_path: Path) -> None:
    _package(tmp_path, {"__init__.py": "", "high.py": "def f():\n    from pkg.low import Y\n    return Y\n", "low.py": "Y = 1\n"})
    result = lint_imports(_contract(tmp_path), tmp_path, pythonpath=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
