#!/usr/bin/env bash
# Runs a Strom Python entry module with the project's virtualenv (created on first use).
# Usage: kafka-run-class.sh <python.module> [args...]   e.g. kafka-run-class.sh strom.cli.kafka_topics --list ...
# (Kafka's script takes a Java class; ours takes the Python module that implements the tool.)
if [ $# -lt 1 ]; then
    echo "USAGE: $0 <python.module> [args...]" >&2
    exit 1
fi
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/bootstrap.sh" run || exit 1
module="$1"
shift
exec "$STROM_PYTHON" -m "$module" "$@"
