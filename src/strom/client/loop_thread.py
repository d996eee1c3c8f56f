"""A private event loop on a daemon thread: how the sync classes drive the asyncio ones.

Each sync client owns one loop (uvloop when installed), so applications need no asyncio at all and
never share a loop with their own code. Calls cross threads with run_coroutine_threadsafe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is a runtime dependency
        return asyncio.new_event_loop()


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = new_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Runs a coroutine on the loop and waits for its result in the calling thread."""
        if threading.current_thread() is self.thread:
            raise RuntimeError("a Strom client was called from its own callback thread")
        fut = self.submit(coro)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


async def wait_event(event: asyncio.Event, timeout: float | None) -> None:
    """Waits for `event` at most `timeout` seconds. Unlike asyncio.wait_for on Python 3.11, it never
    swallows a cancellation, and it needs no extra task per wait."""
    if timeout is None:
        await event.wait()
        return
    handle = asyncio.get_running_loop().call_later(timeout, event.set)
    try:
        await event.wait()
    finally:
        handle.cancel()
