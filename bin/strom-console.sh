#!/usr/bin/env bash
# The web console (strom.cli.strom_console), with the project's virtualenv and the `console` extra (Starlette,
# uvicorn, Jinja2) installed on first use.
# Usage: strom-console.sh --bootstrap-server localhost:9092 [--port 8080] [--metrics-url http://host:port/metrics ...]
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/bootstrap.sh" console || exit 1
exec "$STROM_PYTHON" -m strom.cli.strom_console "$@"
