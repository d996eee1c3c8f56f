#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs Python deps (into .venv), the system packages
# the integration tests drive (ZooKeeper, kcat, Java for Apache Kafka's tools), then runs pytest.
# Extra arguments go to pytest. STROM_SLOW=1 runs every slow test instead of CI's bounded slice.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh test
scripts/install-system-deps.sh
# With a C compiler the Cython accelerators must have been built (tests/unit/client/test_fast_codec.py checks).
if [ -z "${STROM_REQUIRE_EXTENSIONS:-}" ] && [ -z "${STROM_NO_EXTENSIONS:-}" ] && command -v cc >/dev/null; then
    export STROM_REQUIRE_EXTENSIONS=1
fi
args=(-m "not slow")
[ "${STROM_SLOW:-0}" = "1" ] && args=()
set +e
"$STROM_PYTHON" -m pytest "${args[@]}" "$@"
rc=$?
set -e
# pytest exit 5 = no tests collected: a failure for us, the suite must run something
exit $rc
