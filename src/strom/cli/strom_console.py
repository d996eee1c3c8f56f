"""strom-console: the web console for a Kafka cluster (Strom or Apache Kafka).

strom-console.sh --bootstrap-server localhost:9092 [--port 8080] [--metrics-url http://broker:9404/metrics ...]
"""

from __future__ import annotations

import argparse
import logging
import sys

from strom.cli.common import admin_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="strom-console.sh",
        description="A web console for a Kafka cluster: brokers, topics, messages, consumer groups, Streams applications, "
        "ACLs and SCRAM users, Connect connectors.",
    )
    parser.add_argument("--bootstrap-server", required=True, help="REQUIRED: the Kafka cluster to connect to (host:port[,host:port])")
    parser.add_argument("--port", type=int, default=8080, help="HTTP port of the console (default 8080; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--command-config", help="client properties (security.protocol, sasl.*, ssl.*) as for Kafka's tools")
    parser.add_argument(
        "--metrics-url",
        action="append",
        default=[],
        help="a broker's Prometheus endpoint (http://host:port/metrics), once per broker: throughput charts come from "
        "its counters; without it they come from the topics' log end offsets",
    )
    parser.add_argument("--connect-url", help="a Kafka Connect worker's REST API (http://host:8083): the Connect pages")
    parser.add_argument("--sample-interval", type=float, default=5.0, help="seconds between chart samples (default 5)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s (%(name)s)")
    try:
        from strom.console.app import ConsoleConfig
        from strom.console.server import serve
    except ImportError as exc:
        print(f"ERROR the console needs the 'console' extra (pip install 'strom[console]'): {exc}", file=sys.stderr)
        return 1
    try:
        client = admin_config(args.bootstrap_server, args.command_config, "strom-console")
    except ValueError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    config = ConsoleConfig(client, tuple(args.metrics_url), max(args.sample_interval, 0.5), args.connect_url)
    return serve(config, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
