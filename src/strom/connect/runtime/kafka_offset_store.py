"""Source offsets in offset.storage.topic, shared by every worker of a cluster (Kafka's KafkaOffsetBackingStore).

Records are keyed `["<connector>",{<source partition>}]` (offset_store.offset_key) and partitioned by the
producer's murmur2 of that key, as Java's default partitioner does, so Kafka's and Strom's workers agree on where
a partition's offsets live. Tasks run in threads and call get/set synchronously; the topic is read and written
on the herder's event loop. A task reading its offsets first reads the topic to its end, so a task moved from a
worker that died resumes from the last offsets that worker flushed."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from strom.client.types import Message
from strom.connect.runtime.kafka_based_log import KafkaBasedLog
from strom.connect.runtime.offset_store import OffsetBackingStore

log = logging.getLogger("org.apache.kafka.connect.storage.KafkaOffsetBackingStore")

T = TypeVar("T")
READ_WRITE_TIMEOUT_S = 30.0


class KafkaOffsetBackingStore(OffsetBackingStore):
    def __init__(self, topic: str, client_conf: Mapping[str, Any], partitions: int, replication_factor: int) -> None:
        self.log = KafkaBasedLog(topic, client_conf, self._consume, partitions=partitions, replication_factor=replication_factor)
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None

    def _consume(self, msg: Message) -> None:
        key = msg.key()
        if key is None:
            return
        with self._lock:
            if msg.value() is None:
                self._data.pop(key, None)
            else:
                self._data[key] = msg.value()

    def _on_loop(self, coro: Awaitable[T]) -> T:
        """Runs a coroutine on the herder's loop from a task thread (or directly when already on it)."""
        loop = self.loop
        if loop is None:
            raise RuntimeError("the offset store is not attached to an event loop")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError("blocking offset store call on the herder's loop: use the async methods")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(READ_WRITE_TIMEOUT_S + 5)  # type: ignore[arg-type]

    async def start_async(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.log.start()

    async def stop_async(self) -> None:
        await self.log.stop()

    def start(self) -> None:
        """The worker starts the store from a thread; the herder has started it already (start_async)."""

    def stop(self) -> None:
        """The herder stops it after the worker (stop_async)."""

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        wanted = list(keys)
        self._on_loop(self.log.read_to_end(READ_WRITE_TIMEOUT_S))
        with self._lock:
            return {k: self._data[k] for k in wanted if k in self._data}

    async def set_async(self, values: Mapping[bytes, bytes | None]) -> None:
        for key, value in values.items():
            await self.log.send(key, value)
        with self._lock:
            for key, value in values.items():
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = value

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        self._on_loop(self.set_async(dict(values)))

    def all(self) -> dict[bytes, bytes]:
        with self._lock:
            return dict(self._data)
