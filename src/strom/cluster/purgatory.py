"""Delayed operations woken by events, not by polling loops.

A long-poll Fetch that has too few bytes waits here on the partitions it reads; an append to any of
them wakes it, and it re-checks. The same mechanism serves acks=all completion once followers exist.

The time a request spends here is Kafka's RemoteTimeMs: the broker's request metrics put a RemoteTime in
the request task's context (`REMOTE_TIME`), and each wait adds to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable, Iterable
from contextvars import ContextVar


class RemoteTime:
    """Seconds a request waited in purgatory (for follower acknowledgements or for fetchable bytes)."""

    __slots__ = ("remote_s",)

    def __init__(self) -> None:
        self.remote_s = 0.0


REMOTE_TIME: ContextVar[RemoteTime | None] = ContextVar("strom_remote_time", default=None)


class Purgatory:
    def __init__(self) -> None:
        self._watchers: dict[Hashable, set[asyncio.Future[bool]]] = {}

    async def wait(self, keys: Iterable[Hashable], timeout_s: float) -> bool:
        """Waits until one of `keys` is notified or the timeout passes; True if woken by an event.

        One future and one timer handle per wait (no wait_for task): long polls are on the fetch path."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        keys = list(keys)
        for key in keys:
            self._watchers.setdefault(key, set()).add(fut)
        timer = loop.call_later(max(timeout_s, 0), _expire, fut)
        started = time.perf_counter()
        try:
            return await fut
        finally:
            timer.cancel()
            remote = REMOTE_TIME.get()
            if remote is not None:
                remote.remote_s += time.perf_counter() - started
            for key in keys:
                watchers = self._watchers.get(key)
                if watchers is not None:
                    watchers.discard(fut)
                    if not watchers:
                        del self._watchers[key]

    def notify(self, key: Hashable) -> None:
        watchers = self._watchers.pop(key, None)
        if watchers:
            for fut in watchers:
                if not fut.done():
                    fut.set_result(True)

    def watched(self, key: Hashable) -> int:
        return len(self._watchers.get(key, ()))


def _expire(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(False)
