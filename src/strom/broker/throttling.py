"""Where quotas meet a request (the quota calls of Kafka's KafkaApis): record, compute the throttle time,
put it in the response's `throttle_time_ms`, and mute the connection for it (KIP-219: the response goes out at
once; the connection reads nothing more until the time has passed, so a client that ignores the field is
held back all the same).

- Produce: the request's size counts against `producer_byte_rate` (also for acks=0, which gets no answer).
- Fetch (consumers, not followers): the response's size counts against `consumer_byte_rate`; a throttled
  fetch is answered empty and its bytes are taken back, as Kafka does, so only delivered bytes count.
- Every API but the exempt ones: the handler's time on the event loop counts against `request_percentage`.

Clients of API versions from before KIP-219 do not back off on their own: their throttled response is sent
after the throttle time instead, as Kafka does. The server calls `with_quotas` only while
`QuotaManagers.active`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Protocol

from strom.broker.quota_manager import NANOS_TO_PERCENTAGE_PER_SECOND, QuotaManagers
from strom.protocol.compiler import Message
from strom.protocol.headers import RequestHeader
from strom.protocol.schema.fetch import FetchRequest, FetchResponse
from strom.protocol.schema.produce import ProduceRequest
from strom.security.principal import KafkaPrincipal

_BYTES = (bytes, bytearray, memoryview)

# APIs no request quota applies to: connection set-up and the controller's and brokers' own traffic
# (Kafka: ApiVersions, SASL, and the cluster actions).
REQUEST_QUOTA_EXEMPT = frozenset({17, 18, 36, 4, 5, 6, 7, 27, 56, 57, 67})


# The first version of each API whose clients back off by themselves (KIP-219, Kafka's
# AbstractResponse.shouldClientThrottle). Older ones get their throttled response only after the throttle time.
CLIENT_THROTTLES_FROM = {0: 6, 1: 8, 2: 3, 3: 6, 8: 4, 9: 4, 10: 2, 11: 3, 12: 2, 13: 2, 14: 2, 15: 2, 16: 2, 19: 3, 20: 2, 32: 2}


class Mutable(Protocol):
    """The connection, as far as throttling needs it."""

    def mute_for(self, throttle_ms: int) -> None: ...


class TimedCall:
    """Awaits a coroutine and sums the time spent running it (its steps between awaits): the handler's
    "thread time" for request_percentage, without the time it waited for the log, a purgatory or a peer."""

    __slots__ = ("call", "nanos")

    def __init__(self, call: Coroutine[Any, Any, Message | None]) -> None:
        self.call = call
        self.nanos = 0

    def __await__(self) -> Generator[Any, Any, Message | None]:
        send_value: Any = None
        error: BaseException | None = None
        while True:
            started = time.perf_counter_ns()
            try:
                yielded = self.call.send(send_value) if error is None else self.call.throw(error)
            except StopIteration as done:
                self.nanos += time.perf_counter_ns() - started
                result: Message | None = done.value
                return result
            self.nanos += time.perf_counter_ns() - started
            try:
                send_value, error = (yield yielded), None
            except BaseException as exc:  # cancellation or a future's exception, passed into the handler
                send_value, error = None, exc


def response_size(response: Message, version: int) -> int:
    """The encoded size of a response, its file regions counted by length (never read)."""
    total = 0
    for part in response.encode_parts(version):
        total += len(part) if isinstance(part, _BYTES) else part.size
    return total


def _is_follower_fetch(request: FetchRequest) -> bool:
    state = getattr(request, "replica_state", None)
    return request.replica_id >= 0 or (state is not None and state.replica_id >= 0)


def _throttled_fetch(request: FetchRequest, response: FetchResponse, throttle_ms: int) -> FetchResponse:
    """Kafka's getThrottledResponse: no partitions; a full fetch gets no session, an incremental one keeps it."""
    session_id = response.session_id if request.session_epoch > 0 else 0
    return dataclasses.replace(response, throttle_time_ms=throttle_ms, responses=[], session_id=session_id)


def _with_throttle_time(response: Message, throttle_ms: int) -> Message:
    if throttle_ms <= 0 or not hasattr(response, "throttle_time_ms"):
        return response
    return dataclasses.replace(response, throttle_time_ms=max(throttle_ms, response.throttle_time_ms))  # type: ignore[type-var]


def with_quotas(
    call: Coroutine[Any, Any, Message | None],
    quotas: QuotaManagers,
    connection: Mutable,
    header: RequestHeader,
    request: Message,
    request_size: int,
    principal: KafkaPrincipal,
) -> Coroutine[Any, Any, Message | None]:
    """Wraps a handler call in the quotas. A produce is recorded as it arrives and mutes the connection at
    once, before the next request already received is dispatched (Kafka reads one request at a time per
    connection, so pipelined produces are counted one after another); fetch bytes and request time are known
    when the handler is done."""
    user, client_id = principal.name, header.client_id or ""
    throttle_ms = 0
    if quotas.produce.enabled and isinstance(request, ProduceRequest):
        throttle_ms = quotas.produce.record_and_get_throttle_ms(user, client_id, request_size)
        if throttle_ms > 0:
            connection.mute_for(throttle_ms)
    return _after_handler(call, quotas, connection, header, request, user, client_id, throttle_ms)


async def _after_handler(
    call: Coroutine[Any, Any, Message | None],
    quotas: QuotaManagers,
    connection: Mutable,
    header: RequestHeader,
    request: Message,
    user: str,
    client_id: str,
    throttle_ms: int,
) -> Message | None:
    follower = isinstance(request, FetchRequest) and _is_follower_fetch(request)
    timed: TimedCall | None = None
    awaitable: Awaitable[Message | None] = call
    if quotas.request.enabled and header.api_key not in REQUEST_QUOTA_EXEMPT and not follower:
        awaitable = timed = TimedCall(call)
    response = await awaitable
    muted_ms = throttle_ms
    if timed is not None and response is not None:  # acks=0 (no response) is exempt from the request quota
        percent = timed.nanos * NANOS_TO_PERCENTAGE_PER_SECOND
        throttle_ms = max(throttle_ms, quotas.request.record_and_get_throttle_ms(user, client_id, percent))
    if quotas.fetch.enabled and isinstance(request, FetchRequest) and isinstance(response, FetchResponse) and not follower:
        size = response_size(response, header.api_version)
        throttle_ms = max(throttle_ms, quotas.fetch.record_and_get_throttle_ms(user, client_id, size))
        if throttle_ms > 0:
            quotas.fetch.unrecord(user, client_id, size)
            response = _throttled_fetch(request, response, throttle_ms)
    if throttle_ms > muted_ms:
        connection.mute_for(throttle_ms)
    if response is not None and throttle_ms > 0:
        response = _with_throttle_time(response, throttle_ms)
        if header.api_version < CLIENT_THROTTLES_FROM.get(header.api_key, 0):
            await asyncio.sleep(throttle_ms / 1000)  # a pre-KIP-219 client: the late answer is its back-off
    return response
