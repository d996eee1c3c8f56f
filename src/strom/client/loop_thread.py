"""A private event loop on a daemon thread: how the sync classes drive the asyncio ones.

Each sync client owns one loop (uvloop when installed), so applications need no asyncio at all and
never share a loop with their own code. Calls cross threads with run_coroutine_threadsafe.

confluent-style programs rarely close their clients: a client that is dropped (garbage collected) stops its
thread through a weakref finalizer, and every loop still running at interpreter exit is stopped by an atexit
hook. Stopping cancels the loop's tasks and lets them finish before the loop closes, so Python never
reports a task "destroyed but pending".
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from strom.portability import new_event_loop

T = TypeVar("T")

log = logging.getLogger("strom.client.loop_thread")

_SETTLE_TIMEOUT = 5.0  # seconds the cancelled tasks of a stopping loop get to finish
_running: weakref.WeakSet[LoopThread] = weakref.WeakSet()


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed, asyncio's loop otherwise or with STROM_PORTABLE=1 (strom.portability)."""
    return new_event_loop()


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = new_loop()
        self._ready = threading.Event()
        self.closers: list[Callable[[], Any]] = []  # run on the loop when it stops (the client's Cluster.close)
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()
        self._ready.wait()
        _running.add(self)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            self._settle()

    def _settle(self) -> None:
        """After the loop stopped: closes the client's connections (`closers`; a client dropped without close()
        still has them), cancels the tasks still pending, runs them to their end, closes the loop."""
        loop = self.loop
        try:
            for closer in self.closers:
                closer()
            for _ in range(3):  # a cancelled task may start another (a connection's last words)
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                if not tasks:
                    break
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.wait(tasks, timeout=_SETTLE_TIMEOUT))
                for task in tasks:
                    if task.done() and not task.cancelled():
                        task.exception()  # retrieved: an error while stopping is not worth a report at exit
            for closer in self.closers:  # a connection a cancelled task opened meanwhile
                closer()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(asyncio.sleep(0.01))  # transports the tasks closed finish closing
        except Exception:  # pragma: no cover - stopping must not fail the thread
            log.debug("stopping the client loop", exc_info=True)
        finally:
            _close(loop)

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
        """Stops the loop (its tasks cancelled and finished) and, unless called from it, waits for the thread."""
        _running.discard(self)
        if self.loop.is_closed() or not self.thread.is_alive():
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # closed meanwhile
            return
        if threading.current_thread() is not self.thread:
            self.thread.join(_SETTLE_TIMEOUT * 2)

    def stop_with(self, owner: object) -> None:
        """Stops this loop when `owner` (the sync client) is garbage collected without close()."""
        weakref.finalize(owner, self.stop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.close()
    except OSError:  # uvloop: a handle is still open (EBUSY); the daemon thread ends anyway
        log.debug("the client loop did not close cleanly", exc_info=True)


def weak_method(method: Callable[..., Any]) -> Callable[..., Any]:
    """A hook the loop calls that does not keep the sync client alive (so dropping the client frees it)."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> Any:
        target = ref()
        return None if target is None else target(*args)

    return call


@atexit.register
def _stop_all() -> None:
    """At interpreter exit: stops the loops of clients never closed (confluent-style programs rarely close)."""
    for runner in list(_running):
        runner.stop()


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
