"""A connection's writer: queued bytes and log file regions reach the socket whole and in order, also when
the socket fills up mid-buffer or mid-region (the rest waits for writability) and when more buffers are
queued than one writev takes."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from pathlib import Path

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.broker.server import MAX_IOV, KafkaConnection
from strom.storage.segment import FileSlice


def test_bytes_and_file_regions_arrive_in_order_through_a_full_socket(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    log_file = tmp_path / "00000000000000000000.log"
    log_file.write_bytes(data)
    small = [bytes([i % 256]) * 7 for i in range(MAX_IOV + 100)]
    broker = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path / "logs"), "socket.send.buffer.bytes": "65536"}))

    async def go() -> tuple[bytes, bytes]:
        loop = asyncio.get_running_loop()
        with socket.create_server(("127.0.0.1", 0)) as server, log_file.open("rb") as f:
            reader = socket.create_connection(server.getsockname())
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            accepted, _ = server.accept()
            conn = KafkaConnection(broker, broker.config.listeners[0])
            await loop.connect_accepted_socket(lambda: conn, accepted)
            queued: list[bytes | bytearray | memoryview | FileSlice] = [
                b"head",
                FileSlice(f, 100, 1 << 20),
                bytearray(b"x" * 300_000),
                *small,
                memoryview(data)[5:200_005],
                FileSlice(f, 2 << 20, 500_000),
            ]
            expected = b"".join(item.read() if isinstance(item, FileSlice) else bytes(item) for item in queued)
            conn._out.extend(queued)
            conn._send_out()
            assert conn._out, "64 KiB socket buffers cannot take ~2 MiB at once: the rest must wait"
            reader.setblocking(False)
            received = bytearray()

            async def receive() -> None:
                while len(received) < len(expected):
                    received.extend(await loop.sock_recv(reader, 1 << 16))
                await asyncio.sleep(0.05)  # anything sent beyond what was queued would arrive now
                while True:
                    try:
                        received.extend(reader.recv(1 << 16))
                    except BlockingIOError:
                        return

            try:
                await asyncio.wait_for(receive(), 20)
            except TimeoutError:
                pass  # fewer bytes than queued: the length check below says so
            assert not conn._out
            conn.close()
            reader.close()
            return bytes(received), expected

    try:
        received, expected = asyncio.run(go())
        assert len(received) == len(expected)
        assert hashlib.sha256(received).digest() == hashlib.sha256(expected).digest(), "the bytes arrived out of order"
    finally:
        broker.log_manager.close()
