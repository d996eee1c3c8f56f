"""`python -m strom`: a development broker in one command, with no config file and no ZooKeeper.

    python -m strom                                  # localhost:9092, data in a temporary directory
    python -m strom --port 19092 --data-dir ./kafka-data --metrics-port 9404 --override num.partitions=3

Ctrl-C stops it cleanly. The data is removed at exit unless --data-dir is given. For a configured broker, use
bin/kafka-server-start.sh with a server.properties.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from strom.broker.main import main as kafka_server_start
from strom.version import __version__


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m strom", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="localhost", help="the address to listen on and advertise (default: localhost)")
    parser.add_argument("--port", type=int, default=9092, help="the Kafka port (default: 9092)")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the log here (default: a temporary directory, removed at exit)")
    parser.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics at http://HOST:PORT/metrics")
    parser.add_argument(
        "--override", action="append", default=[], metavar="property=value", help="any broker config, as for kafka-server-start"
    )
    parser.add_argument("--version", action="version", version=f"Strom {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="strom-dev-")) if temporary else args.data_dir.resolve()
    overrides = [
        f"listeners=PLAINTEXT://{args.host}:{args.port}",
        f"log.dirs={data_dir / 'data'}",
        "offsets.topic.num.partitions=5",
        "transaction.state.log.num.partitions=5",
        "group.initial.rebalance.delay.ms=0",
    ]
    if args.metrics_port is not None:
        overrides.append(f"metrics.prometheus.listener=http://{args.host}:{args.metrics_port}")
    overrides += args.override
    os.environ.setdefault("LOG_DIR", str(data_dir / "logs"))
    where = "a temporary directory, removed at exit" if temporary else str(data_dir)
    print(f"Strom {__version__}: a Kafka broker at {args.host}:{args.port} (data in {where}); Ctrl-C stops it", flush=True)
    try:
        return kafka_server_start([os.devnull, *(x for o in overrides for x in ("--override", o))])
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
