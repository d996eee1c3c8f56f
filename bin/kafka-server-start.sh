#!/usr/bin/env bash
# Starts a Strom broker: kafka-server-start.sh [-daemon] server.properties [--override property=value]*
# On a fresh clone the first run creates .venv and installs Strom into it.
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
    exit 1
fi
base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LOG_DIR="${LOG_DIR:-$base_dir/logs}"
if [ "$1" = "-daemon" ]; then
    shift
    mkdir -p "$LOG_DIR"
    source "$base_dir/scripts/bootstrap.sh" run || exit 1
    STROM_DAEMON=1 nohup "$STROM_PYTHON" -m strom.broker.main "$@" > "$LOG_DIR/kafkaServer.out" 2>&1 < /dev/null &
    echo $! > "$LOG_DIR/strom-broker.pid"
    exit 0
fi
exec "$base_dir/bin/kafka-run-class.sh" strom.broker.main "$@"
