#!/usr/bin/env bash
# Kafka Connect in standalone mode (strom.cli.connect_standalone), with the project's virtualenv and the
# `connect` extra (Starlette, uvicorn, httpx, psycopg) installed on first use.
# Usage: connect-standalone.sh [-daemon] connect-standalone.properties [connector1.properties connector2.json ...]
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] connect-standalone.properties [connector1.properties connector2.json ...]" >&2
    exit 1
fi
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/bootstrap.sh" connect || exit 1
if [ "$1" = "-daemon" ]; then
    shift
    log_dir="${LOG_DIR:-$STROM_HOME/logs}"
    mkdir -p "$log_dir"
    nohup "$STROM_PYTHON" -m strom.cli.connect_standalone "$@" > "$log_dir/connectStandalone.out" 2>&1 < /dev/null &
    exit 0
fi
exec "$STROM_PYTHON" -m strom.cli.connect_standalone "$@"
