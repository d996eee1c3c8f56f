"""The delaying proxy on loopback: each chunk is held for the link's delay, jitter never reorders bytes, a
rule applies to its link only, and clearing the rules gives an undelayed link back."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from strom.testing.broker import free_port
from strom.testing.faults.delay_proxy import Links, Proxy

pytestmark = pytest.mark.timeout(60)


_echoing: list[asyncio.StreamWriter] = []


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    _echoing.append(writer)
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _round_trip(port: int, payload: bytes) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(payload)
    await writer.drain()
    got = await reader.readexactly(len(payload))
    elapsed = time.monotonic() - started
    writer.close()
    await writer.wait_closed()
    assert got == payload
    return elapsed


def test_delay_jitter_order_and_clear() -> None:
    async def scenario() -> None:
        echo_port, delayed, other = free_port(), free_port(), free_port()
        echo = await asyncio.start_server(_echo, "127.0.0.1", echo_port)
        links = Links(rng=random.Random(7))
        proxy = Proxy({("127.0.0.1", delayed): ("127.0.0.1", echo_port), ("127.0.0.1", other): ("127.0.0.1", echo_port)}, links)
        await proxy.start()
        try:
            links.set("*", str(delayed), 150, 0)
            assert 0.29 <= await _round_trip(delayed, b"x") < 1.5  # one way each direction: 2 x 150 ms
            assert links.seconds("127.0.0.1", other) == 0.0  # another listen port: no rule, not delayed
            assert await _round_trip(other, b"x") < 0.28

            # jitter of +-140 ms on 200 small writes: the bytes still arrive in the order sent
            links.set("127.0.0.1", "*", 150, 140)
            reader, writer = await asyncio.open_connection("127.0.0.1", delayed)
            sent = b"".join(i.to_bytes(2, "big") for i in range(200))
            for i in range(200):
                writer.write(sent[2 * i : 2 * i + 2])
                await writer.drain()
                await asyncio.sleep(0.001)
            assert await asyncio.wait_for(reader.readexactly(len(sent)), 10) == sent
            writer.close()
            await writer.wait_closed()

            links.rules.clear()
            assert links.seconds("127.0.0.1", delayed) == 0.0
            assert await _round_trip(delayed, b"y" * 200_000) < 0.28
            assert proxy.connections == 4 and proxy.bytes >= 2 * (1 + 1 + len(sent) + 200_000)
        finally:
            await proxy.close()
            echo.close()
            for w in _echoing:
                w.close()
            await asyncio.sleep(0)

    asyncio.run(scenario())
