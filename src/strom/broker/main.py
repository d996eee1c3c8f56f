"""kafka-server-start: `python -m strom.broker.main config/server.properties [--override k=v ...]`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from pathlib import Path

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig, ConfigError
from strom.broker.listener_tls import build_all_listener_tls, inter_broker_security
from strom.portability import CAPS, install_stop_handlers, new_event_loop
from strom.storage.clock import Clock
from strom.version import __version__

GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)
USAGE = "USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*"


class _KafkaFormatter(logging.Formatter):
    """Kafka's log4j layout: [2026-11-25 10:00:00,123] INFO message (logger.name)."""

    def format(self, record: logging.LogRecord) -> str:
        ts = self.formatTime(record, "%Y-%m-%d %H:%M:%S") + f",{int(record.msecs):03d}"
        text = f"[{ts}] {record.levelname} {record.getMessage()} ({record.name})"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(log_dir: Path, to_stdout: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    fmt = _KafkaFormatter()
    if to_stdout:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(fmt)
        root.addHandler(out)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_dir / "server.log")
        fh.setFormatter(fmt)
        root.addHandler(fh)
    except OSError as exc:
        print(f"WARNING: cannot write {log_dir}/server.log: {exc.strerror}", file=sys.stderr)


def parse_args(argv: list[str]) -> tuple[Path, dict[str, str]]:
    parser = argparse.ArgumentParser(prog="kafka-server-start.sh", usage=USAGE, add_help=True)
    parser.add_argument("config", help="server.properties")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="property=value",
        help="Optional property that should override values set in server.properties file",
    )
    parser.add_argument("--version", action="version", version=f"Strom {__version__}")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.override:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"Invalid override '{item}': expected property=value")
        overrides[key.strip()] = value.strip()
    return Path(args.config), overrides


async def serve(config: BrokerConfig, ready_file: str | None = None, clock: Clock | None = None) -> None:
    loop = asyncio.get_running_loop()
    broker = await loop.run_in_executor(None, Broker, config, clock)
    stop = asyncio.Event()
    install_stop_handlers(loop, stop.set)
    await broker.start()
    settle_garbage_collector()
    if ready_file:
        Path(ready_file).write_text(",".join(map(str, broker.bound_ports())))
    await stop.wait()
    await broker.stop()


def settle_garbage_collector() -> None:
    """Keeps collector pauses off the request path, as a JVM broker tunes its GC for latency.

    Everything alive once the broker is up (code, schema tables, logs, metadata) lives until exit: frozen,
    a full collection never scans it again. Requests allocate many short-lived objects, so the youngest
    generation is collected less often (each pass stays well under a millisecond); a full collection of
    the startup heap cost 20-40 ms, a stall every consumer behind this broker saw as latency."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """kafka-server-start; `clock` replaces the system clock (strom.testing.faults.clock jumps it in tests)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(USAGE, file=sys.stderr)
        return 1
    config_path, overrides = parse_args(argv)
    log_dir = Path(os.environ.get("LOG_DIR") or Path.cwd() / "logs")
    setup_logging(log_dir, to_stdout=os.environ.get("STROM_DAEMON") != "1")
    try:
        config = BrokerConfig.load(config_path, overrides)
        build_all_listener_tls(config)  # keystores and truststores readable, before anything starts
        inter_broker_security(config)
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        logging.getLogger("kafka.Kafka").error("%s", exc)
        return 1
    logging.getLogger("kafka.Kafka").info("%s", CAPS.describe())
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(serve(config, os.environ.get("STROM_READY_FILE"), clock))
    except OSError as exc:
        logging.getLogger("kafka.Kafka").error("Fatal error during KafkaServer startup: %s", exc)
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
