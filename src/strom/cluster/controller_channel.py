"""The controller's connections to brokers (Kafka's ControllerChannelManager).

One queue and one sender task per live broker: requests to a broker go out one at a time, in the order
the controller made them (UpdateMetadata before the LeaderAndIsr that relies on it), each retried until it
is answered or the broker leaves the cluster. A sender belongs to one registration of a broker (its epoch):
when the broker re-registers, requests still queued or being retried for the old process are dropped with
their sender, and a new sender starts with an empty queue. Versions are Kafka 2.8's, capped by what the
broker offers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from strom.protocol.compiler import Message
from strom.protocol.errors import ErrorCode, KafkaError
from strom.storage.clock import Clock, SystemClock
from strom.transport.connection import PLAINTEXT_CHANNEL, BrokerConnection, ChannelSecurity

log = logging.getLogger("kafka.controller.ControllerChannelManager")

# What a Kafka 2.8 controller sends (inter.broker.protocol.version=2.8).
KAFKA_28_VERSIONS = {4: 5, 5: 3, 6: 7, 56: 0}
RETRY_BACKOFF_S = 0.1

ResponseCallback = Callable[[int, Any], None]
"""Called with (broker id, response); the response's class is the one of the request's API key."""


class _BrokerSender:
    def __init__(self, broker_id: int, host: str, port: int, epoch: int, security: ChannelSecurity = PLAINTEXT_CHANNEL) -> None:
        self.broker_id = broker_id
        self.host, self.port, self.epoch = host, port, epoch
        self.security = security
        self.queue: asyncio.Queue[tuple[Message, ResponseCallback | None]] = asyncio.Queue()
        self.conn: BrokerConnection | None = None
        self.task = asyncio.ensure_future(self._run())

    async def _connection(self) -> BrokerConnection:
        while self.conn is None or self.conn.closed:
            conn = BrokerConnection(
                self.host, self.port, client_id=f"controller-to-broker-{self.broker_id}", request_timeout_ms=30000, security=self.security
            )
            try:
                await conn.connect(timeout=5.0)
                self.conn = conn
            except KafkaError as exc:
                log.debug("Controller cannot reach broker %d at %s:%d: %s", self.broker_id, self.host, self.port, exc)
                conn.close()
                await asyncio.sleep(RETRY_BACKOFF_S)
        return self.conn

    async def _run(self) -> None:
        while True:
            request, callback = await self.queue.get()
            while True:
                conn = await self._connection()
                try:
                    version = min(KAFKA_28_VERSIONS.get(request.API_KEY, 99), conn.version_for(request.API_KEY))
                    response = await conn.send(request, version=version)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not isinstance(exc, KafkaError):  # a bug must not silently stop every later request to this broker
                        log.exception("Request %s to broker %d could not be sent; dropped", type(request).__name__, self.broker_id)
                        break
                    if exc.code() == ErrorCode.UNSUPPORTED_VERSION:
                        log.warning("Broker %d does not support %s; not sent", self.broker_id, type(request).__name__)
                        break
                    log.info("Request %s to broker %d failed (%s); retrying", type(request).__name__, self.broker_id, exc)
                    if self.conn is not None:
                        self.conn.close()
                    await asyncio.sleep(RETRY_BACKOFF_S)
                    continue
                if callback is not None:
                    try:
                        callback(self.broker_id, response)
                    except Exception:  # pragma: no cover - a callback bug must not stop the sender
                        log.exception("response callback failed")
                break

    def close(self) -> None:
        self.task.cancel()
        if self.conn is not None:
            self.conn.close()


class ControllerChannel:
    def __init__(self, clock: Clock | None = None, security: ChannelSecurity = PLAINTEXT_CHANNEL) -> None:
        self._senders: dict[int, _BrokerSender] = {}
        self._clock: Clock = clock or SystemClock()
        self._security = security

    def add_broker(self, broker_id: int, host: str, port: int, epoch: int) -> None:
        old = self._senders.get(broker_id)
        if old is not None and (old.host, old.port, old.epoch) == (host, port, epoch):
            return
        if old is not None:
            log.info(
                "Replacing the sender to broker %d (epoch %d -> %d); %d request(s) for the old one dropped",
                broker_id,
                old.epoch,
                epoch,
                old.queue.qsize(),
            )
            old.close()
        self._senders[broker_id] = _BrokerSender(broker_id, host, port, epoch, self._security)

    def remove_broker(self, broker_id: int) -> None:
        sender = self._senders.pop(broker_id, None)
        if sender is not None:
            sender.close()

    def send(self, broker_id: int, request: Message, callback: ResponseCallback | None = None) -> None:
        sender = self._senders.get(broker_id)
        if sender is None:
            log.debug("Dropping %s to broker %d: not live", type(request).__name__, broker_id)
            return
        sender.queue.put_nowait((request, callback))

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued request has been sent (used before resigning cleanly)."""
        deadline = self._clock.monotonic_ms() + timeout * 1000
        while any(not s.queue.empty() for s in self._senders.values()):
            if self._clock.monotonic_ms() > deadline:
                return
            await asyncio.sleep(0.02)

    def close(self) -> None:
        for broker_id in list(self._senders):
            self.remove_broker(broker_id)
