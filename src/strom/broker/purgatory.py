"""Delayed operations woken by events, not by polling loops.

A long-poll Fetch that has too few bytes waits here on the partitions it reads; an append to any of
them wakes it, and it re-checks. The same mechanism serves acks=all completion once followers exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable


class Purgatory:
    def __init__(self) -> None:
        self._watchers: dict[Hashable, set[asyncio.Future[None]]] = {}

    async def wait(self, keys: Iterable[Hashable], timeout_s: float) -> bool:
        """Waits until one of `keys` is notified or the timeout passes; True if woken by an event."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        keys = list(keys)
        for key in keys:
            self._watchers.setdefault(key, set()).add(fut)
        try:
            await asyncio.wait_for(fut, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
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
                    fut.set_result(None)

    def watched(self, key: Hashable) -> int:
        return len(self._watchers.get(key, ()))
