"""Purgatory: waits end on a notify of any watched key (True) or on the timeout (False), and leave no watchers."""

import asyncio

import pytest

from strom.cluster.purgatory import Purgatory


def test_notify_wakes_every_waiter_of_the_key():
    async def run():
        p = Purgatory()
        waits = [asyncio.ensure_future(p.wait([("t", 0), ("t", 1)], 10)) for _ in range(3)]
        await asyncio.sleep(0)
        assert p.watched(("t", 1)) == 3
        p.notify(("t", 1))
        assert await asyncio.gather(*waits) == [True, True, True]
        assert p.watched(("t", 0)) == 0 and p.watched(("t", 1)) == 0

    asyncio.run(run())


def test_timeout_returns_false_and_other_keys_do_not_wake():
    async def run():
        p = Purgatory()
        task = asyncio.ensure_future(p.wait([("t", 0)], 0.05))
        await asyncio.sleep(0)
        p.notify(("t", 9))
        assert await task is False
        assert p.watched(("t", 0)) == 0
        assert await p.wait([("t", 0)], 0) is False  # a zero timeout does not hang

    asyncio.run(run())


def test_a_cancelled_wait_leaves_no_watcher():
    async def run():
        p = Purgatory()
        task = asyncio.ensure_future(p.wait([("t", 0)], 10))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert p.watched(("t", 0)) == 0
        p.notify(("t", 0))  # nothing left to wake

    asyncio.run(run())
