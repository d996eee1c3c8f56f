#!/usr/bin/env bash
# Kafka Connect in distributed mode (strom.cli.connect_distributed), with the project's virtualenv and the
# `connect` extra (Starlette, uvicorn, httpx, psycopg) installed on first use.
# Usage: connect-distributed.sh [-daemon] connect-distributed.properties
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] connect-distributed.properties" >&2
    exit 1
fi
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/bootstrap.sh" connect || exit 1
if [ "$1" = "-daemon" ]; then
    shift
    log_dir="${LOG_DIR:-$STROM_HOME/logs}"
    mkdir -p "$log_dir"
    nohup "$STROM_PYTHON" -m strom.cli.connect_distributed "$@" > "$log_dir/connectDistributed.out" 2>&1 < /dev/null &
    exit 0
fi
exec "$STROM_PYTHON" -m strom.cli.connect_distributed "$@"
