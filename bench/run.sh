#!/usr/bin/env bash
# Strom vs Apache Kafka side by side: bench/run.sh [--matrix smoke|quick|latency|full] [--systems kafka,strom] [--pin on|off] [--no-write]
# Installs what the harness needs on first use (the test and bench extras), then runs bench/harness.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../scripts/bootstrap.sh
source "$ROOT/scripts/bootstrap.sh" test
if ! "$STROM_PYTHON" -c "import matplotlib" 2>/dev/null; then
    echo "[strom] installing the bench extra (matplotlib)" >&2
    "$STROM_PYTHON" -m pip install -q -e "$ROOT[test,bench]" >&2
fi
exec "$STROM_PYTHON" "$ROOT/bench/harness.py" "$@"
