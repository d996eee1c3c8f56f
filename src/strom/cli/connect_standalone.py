"""connect-standalone.sh: a Kafka Connect worker in standalone mode (Java's ConnectStandalone).

    connect-standalone.sh config/connect-standalone.properties connector1.properties [connector2.json ...]

The worker properties use Kafka Connect's keys (bootstrap.servers, key.converter, value.converter,
offset.storage.file.filename, offset.flush.interval.ms, listeners, ...). Each connector file is a .properties
file or a JSON file holding either a POST /connectors body ({"name": ..., "config": {...}}) or the config map.
The REST API serves on `listeners` (default http://:8083). Ctrl-C or SIGTERM stops the connectors, committing
their offsets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

from strom.cli.common import read_properties_file

log = logging.getLogger("org.apache.kafka.connect.cli.ConnectStandalone")

USAGE = "Usage: ConnectStandalone worker.properties [connector1.properties connector2.json ...]"


def configure_logging() -> None:
    """Kafka's connect-log4j.properties: INFO to stdout as `[time] LEVEL message (logger)`."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(message)s (%(name)s)"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("strom.client", "uvicorn", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def read_connector_file(path: str) -> tuple[str | None, dict[str, str], str | None]:
    """(name, config, initial state) from a .properties or .json connector file."""
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            body = json.load(f)
        if not isinstance(body, dict):
            raise ValueError(f"{path}: expected a JSON object")
        if isinstance(body.get("config"), dict):
            config = {str(k): str(v) for k, v in body["config"].items()}
            name = body.get("name") or config.get("name")
            return (None if name is None else str(name)), config, body.get("initial_state")
        config = {str(k): str(v) for k, v in body.items()}
        return config.get("name"), config, None
    config = read_properties_file(path)
    return config.get("name"), config, None


async def run_standalone(worker_props: dict[str, str], connector_files: list[str], stop: asyncio.Event) -> int:
    from strom.connect.plugins import Plugins
    from strom.connect.rest.app import create_app
    from strom.connect.rest.entities import TargetState
    from strom.connect.rest.server import RestServer
    from strom.connect.runtime.offset_store import FileOffsetBackingStore
    from strom.connect.runtime.standalone import StandaloneHerder
    from strom.connect.runtime.worker import Worker, WorkerConfig

    config = WorkerConfig(worker_props)
    add_plugin_path(config.get("plugin.path") or "")
    filename = config.get("offset.storage.file.filename")
    if not filename:
        log.error('Missing required configuration "offset.storage.file.filename" which has no default value.')
        return 1
    cluster_id = await lookup_kafka_cluster_id(config)
    log.info("Kafka cluster ID: %s", cluster_id)
    plugins = Plugins()
    worker = Worker("", config, plugins, FileOffsetBackingStore(filename), lambda *a: None, lambda *a: None)
    herder = StandaloneHerder(worker, cluster_id)
    rest = RestServer(create_app(herder, worker_props), worker_props)
    worker.worker_id = rest.worker_id()
    await herder.start()
    await rest.start()
    log.info("Kafka Connect started")
    try:
        for path in connector_files:
            try:
                name, props, initial = read_connector_file(path)
                state = {"RUNNING": TargetState.STARTED, "PAUSED": TargetState.PAUSED, "STOPPED": TargetState.STOPPED}.get(
                    (initial or "").upper()
                )
                _, info = await herder.put_connector_config(name or "", props, allow_replace=False, initial_state=state)
                log.info("Created connector %s", info.name)
            except Exception as exc:
                log.error("Failed to create connector for %s: %s", path, getattr(exc, "message", exc))
                log.info("Kafka Connect stopping")
                return 1
        await stop.wait()
        log.info("Kafka Connect stopping")
        return 0
    finally:
        await rest.stop()
        await herder.stop()
        log.info("Kafka Connect stopped")


def add_plugin_path(plugin_path: str) -> None:
    """plugin.path: directories go on Python's import path, so connector modules there can be named by their
    dotted path; Java jars (Kafka's quickstart adds connect-file-<version>.jar) are skipped."""
    import os

    for entry in (e.strip() for e in plugin_path.split(",")):
        if not entry:
            continue
        if os.path.isdir(entry):
            if entry not in sys.path:
                sys.path.append(entry)
        else:
            log.info("Skipping plugin.path entry %s: not a directory (Java plugins are not needed; Strom ships its own)", entry)


async def lookup_kafka_cluster_id(config: object) -> str:
    """The cluster id from the brokers, as Kafka's worker looks it up before starting (fails when unreachable)."""
    from strom.aio import AIOAdminClient
    from strom.connect.runtime.worker import WorkerConfig

    assert isinstance(config, WorkerConfig)
    from strom.connect.runtime.worker import known_client_keys

    admin = AIOAdminClient(known_client_keys("admin", config.client_config("admin", "admin."), "worker"))
    try:
        result = await asyncio.wait_for(admin.describe_cluster(), 60)
        return result.cluster_id or ""
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "-daemon":
        args = args[1:]
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 1
    configure_logging()
    try:
        worker_props = read_properties_file(args[0])
    except ValueError as exc:
        log.error("%s", exc)
        return 1

    return run_until_stopped(lambda stop: run_standalone(worker_props, args[1:], stop), log)


def run_until_stopped(work: Callable[[asyncio.Event], Awaitable[int]], logger: logging.Logger) -> int:
    """Runs a worker until SIGINT/SIGTERM sets its stop event (Ctrl-C / Ctrl-Break raise KeyboardInterrupt where
    the loop cannot take signal handlers, as on Windows); the worker's exit code, 1 on an unexpected error."""

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
                pass
        return await work(stop)

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        logger.error("Stopping due to error: %s", exc, exc_info=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
