#!/usr/bin/env bash
# Creates the project's virtualenv (.venv) on first use and installs Strom into it.
# Sourced by bin/*.sh and scripts/test.sh; idempotent and quiet once done. The argument picks the extra:
# test (the test suite), connect (bin/connect-*.sh: Kafka Connect's REST server and JDBC drivers), console
# (bin/strom-console.sh: the web console), run (none).
STROM_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STROM_VENV="${STROM_VENV:-$STROM_HOME/.venv}"
STROM_PYTHON="$STROM_VENV/bin/python"
_strom_stamp="$STROM_VENV/.strom-installed-$1"
if [ ! -x "$STROM_PYTHON" ]; then
    echo "[strom] creating virtualenv in $STROM_VENV" >&2
    python3 -m venv "$STROM_VENV" >&2 || { echo "[strom] error: python3 -m venv failed (need Python >= 3.11 with venv)" >&2; exit 1; }
fi
# Reinstall when the dependencies or the compiled accelerators (setup.py, *.pyx, _crc32c.c) changed since the last install.
if [ ! -f "$_strom_stamp" ] || [ "$STROM_HOME/pyproject.toml" -nt "$_strom_stamp" ] || [ "$STROM_HOME/setup.py" -nt "$_strom_stamp" ] \
    || [ -n "$(find "$STROM_HOME/src" \( -name '*.pyx' -o -name '_crc32c.c' \) -newer "$_strom_stamp" -print -quit)" ]; then
    extra=""
    [ "$1" = "test" ] && extra="[test]"
    [ "$1" = "connect" ] && extra="[connect]"
    [ "$1" = "console" ] && extra="[console]"
    echo "[strom] installing strom${extra} into $STROM_VENV" >&2
    "$STROM_PYTHON" -m pip install -q -e "$STROM_HOME${extra}" >&2 || { echo "[strom] error: pip install failed" >&2; exit 1; }
    touch "$_strom_stamp"
fi
