"""connect-distributed.sh: a Kafka Connect worker in distributed mode (Java's ConnectDistributed).

    connect-distributed.sh config/connect-distributed.properties

Workers started with the same `group.id` and storage topics (config.storage.topic, offset.storage.topic,
status.storage.topic: created on first start, compacted) form one Connect cluster: connectors are created
through the REST API of any worker (on `listeners`, default http://:8083) and spread over the workers; when a
worker stops or dies its connectors and tasks move to the others (after scheduled.rebalance.max.delay.ms when it
died). Ctrl-C or SIGTERM stops the worker, committing its tasks' offsets and leaving the group.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from strom.cli.common import read_properties_file
from strom.cli.connect_standalone import add_plugin_path, configure_logging, lookup_kafka_cluster_id, run_until_stopped
from strom.cli.java_security import translate_java_security

log = logging.getLogger("org.apache.kafka.connect.cli.ConnectDistributed")

USAGE = "Usage: ConnectDistributed worker.properties"


async def start_worker(worker_props: dict[str, str]) -> tuple[Any, Any]:
    """Builds and starts one distributed worker (herder + REST server); returns (herder, rest server)."""
    from strom.connect.plugins import Plugins
    from strom.connect.rest.app import create_app
    from strom.connect.rest.server import RestServer
    from strom.connect.runtime.distributed import DistributedConfig, DistributedHerder
    from strom.connect.runtime.kafka_based_log import client_config
    from strom.connect.runtime.kafka_offset_store import KafkaOffsetBackingStore
    from strom.connect.runtime.worker import Worker, WorkerConfig

    # the worker's own clients take Java's security keys (a truststore becomes PEM for Strom's client)
    config = WorkerConfig(translate_java_security(worker_props))
    distributed = DistributedConfig(config.props)
    add_plugin_path(config.get("plugin.path") or "")
    cluster_id = await lookup_kafka_cluster_id(config)
    log.info("Kafka cluster ID: %s", cluster_id)
    offsets = KafkaOffsetBackingStore(
        distributed["offset.storage.topic"],
        {**client_config(config.props), "client.id": f"connect-{distributed['group.id']}-offsets"},
        distributed.int("offset.storage.partitions"),
        distributed.int("offset.storage.replication.factor"),
    )
    worker = Worker("", config, Plugins(), offsets, lambda *a: None, lambda *a: None)
    herder = DistributedHerder(worker, distributed, "", cluster_id)
    herder.rest_props = worker_props  # the REST listener's and client's TLS keys, as the file has them
    rest = RestServer(create_app(herder, worker_props), worker_props)
    worker.worker_id = rest.worker_id()
    herder.url = rest.advertised_url()
    await herder.start()
    await rest.start()
    log.info("Kafka Connect started: worker %s of group %s", herder.url, distributed["group.id"])
    return herder, rest


async def run_distributed(worker_props: dict[str, str], stop: asyncio.Event) -> int:
    try:
        herder, rest = await start_worker(worker_props)
    except ValueError as exc:
        log.error("%s", exc)
        return 1
    try:
        await stop.wait()
        log.info("Kafka Connect stopping")
        return 0
    finally:
        await rest.stop()
        await herder.stop()
        log.info("Kafka Connect stopped")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "-daemon":
        args = args[1:]
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 1
    configure_logging()
    try:
        worker_props = read_properties_file(args[0])
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 1

    return run_until_stopped(lambda stop: run_distributed(worker_props, stop), log)


if __name__ == "__main__":
    sys.exit(main())
