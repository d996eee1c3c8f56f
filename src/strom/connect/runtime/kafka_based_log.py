"""A compacted Kafka topic read from its beginning and written to, as one log (Kafka's util.KafkaBasedLog).

The config, status and offset stores of distributed workers keep their state in such topics: every worker reads
the whole topic at start, then follows it, and `read_to_end()` waits until everything written before the call
has been applied, which is how a worker knows its view is current. The topic is created when missing with the
partitions, replication factor and `cleanup.policy=compact` the worker config names."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from strom.aio import AIOAdminClient, AIOConsumer, AIOProducer
from strom.client.admin_types import NewTopic
from strom.client.config import SCHEMAS
from strom.client.types import OFFSET_BEGINNING, Message, TopicPartition
from strom.protocol.errors import ErrorCode, KafkaError

log = logging.getLogger("org.apache.kafka.connect.util.KafkaBasedLog")

ConsumedCallback = Callable[[Message], None]
T = TypeVar("T")


def client_config(worker: Mapping[str, str]) -> dict[str, Any]:
    """The connection settings of a worker config for its internal clients (the config, offset and status
    topics and the group membership): bootstrap.servers and the top-level security.* / sasl.* / ssl.* keys,
    as Kafka's worker uses them (tasks' clients take the producer.* / consumer.* ones instead)."""
    known = SCHEMAS["admin"]
    return {
        k: v
        for k, v in worker.items()
        if k in ("bootstrap.servers", "client.id") or (k.startswith(("security.", "sasl.", "ssl.")) and k in known)
    }


async def ensure_topic(admin: AIOAdminClient, topic: str, partitions: int, replication_factor: int, configs: Mapping[str, str]) -> None:
    """Creates a compacted internal topic when missing (-1: the broker's defaults, as Kafka allows)."""
    result = await admin.create_topics([NewTopic(topic, partitions, replication_factor, {"cleanup.policy": "compact", **configs})])
    error = result.get(topic)
    if error is not None and error.code() != ErrorCode.TOPIC_ALREADY_EXISTS:
        raise error
    if error is None:
        log.info("Created topic %s with %d partitions and replication factor %d", topic, partitions, replication_factor)


async def _retrying(call: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
    """Retries a call while it fails with a retriable error: a topic just created has no leader for a moment
    (Apache Kafka answers NOT_LEADER_OR_FOLLOWER until the partition's leader is elected)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await call()
        except KafkaError as exc:
            if not exc.retriable() or loop.time() >= deadline:
                raise
            log.debug("Retrying after %s", exc)
        await asyncio.sleep(0.2)


class KafkaBasedLog:
    def __init__(
        self,
        topic: str,
        client_conf: Mapping[str, Any],
        consumed: ConsumedCallback,
        partitions: int = 1,
        replication_factor: int = -1,
        topic_configs: Mapping[str, str] | None = None,
    ) -> None:
        self.topic = topic
        self.client_conf = dict(client_conf)
        self.consumed = consumed
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.topic_configs = dict(topic_configs or {})
        self.producer: AIOProducer | None = None
        self.consumer: AIOConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self._tps: list[TopicPartition] = []

    async def start(self) -> None:
        """Creates the topic if needed, reads it to its end, then keeps following it in the background."""
        admin = AIOAdminClient({**self.client_conf, "client.id": f"{self.client_conf.get('client.id', 'connect')}-admin"})
        try:
            await ensure_topic(admin, self.topic, self.partitions, self.replication_factor, self.topic_configs)
        finally:
            await admin.close()
        self.producer = AIOProducer({**self.client_conf, "acks": "all", "enable.idempotence": True, "linger.ms": 0})
        await self.producer.start()
        # read_committed: exactly-once source tasks write offsets in transactions; aborted ones must not count
        self.consumer = AIOConsumer(
            {**self.client_conf, "enable.auto.commit": False, "fetch.max.wait.ms": 100, "isolation.level": "read_committed"}
        )
        partitions = await self._partitions()
        self._tps = [TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions]
        await _retrying(lambda: self._assign())
        self._task = asyncio.ensure_future(self._follow())
        await self.read_to_end()

    async def _assign(self) -> None:
        assert self.consumer is not None
        await self.consumer.assign(self._tps)

    async def _partitions(self) -> list[int]:
        assert self.consumer is not None
        for _ in range(100):
            try:
                found = await self.consumer.partitions_for(self.topic)
                if found:
                    return found
            except KafkaError as exc:
                if exc.code() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
                    raise
            await asyncio.sleep(0.1)
        raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {self.topic} has no partitions")

    async def _follow(self) -> None:
        """Applies records as they arrive; a failing read (the brokers away) is logged and retried, so the store
        catches up once they are back."""
        assert self.consumer is not None
        while True:
            try:
                messages = await self.consumer.getmany(0.5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Error reading %s, retrying: %s", self.topic, exc)
                await asyncio.sleep(1.0)
                continue
            for msg in messages:
                if msg.error() is not None:
                    log.warning("Error reading %s: %s", self.topic, msg.error())
                    continue
                try:
                    self.consumed(msg)
                except Exception:
                    log.exception("Unexpected error applying a record of %s at offset %s", self.topic, msg.offset())
            self._progress.set()

    async def read_to_end(self, timeout: float = 30.0) -> None:
        """Returns once every record written before the call has been passed to the callback."""
        assert self.consumer is not None
        consumer = self.consumer
        ends = await _retrying(lambda: consumer.list_offsets([(tp.topic, tp.partition) for tp in self._tps], -1))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            positions = {(tp.topic, tp.partition): tp.offset for tp in self.consumer.position(self._tps)}
            if all(positions[tp] >= end for tp, end in ends.items()):
                return
            left = deadline - loop.time()
            if left <= 0:
                raise KafkaError(ErrorCode.REQUEST_TIMED_OUT, f"timed out reading {self.topic} to its end offsets {ends}")
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def send(self, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        """Writes one record and waits for its acknowledgement (acks=all)."""
        assert self.producer is not None
        await self.producer.send_and_wait(self.topic, value, key, partition=partition)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.producer is not None:
            await self.producer.close()
            self.producer = None
        if self.consumer is not None:
            await self.consumer.close()
            self.consumer = None
