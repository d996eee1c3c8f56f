"""Latency between brokers without `tc netem`: a TCP proxy that holds every chunk it forwards for a one-way
delay (with jitter), in order, the way a long or congested link does.

Kernels built without `sch_netem` (Firecracker's guests, for one) cannot delay packets, so the fault harness
routes the brokers' inter-broker listener through this proxy instead: each broker advertises the proxy's
address for its replication listener, so follower fetches, AlterIsr and the controller's requests all cross
it, while clients and ZooKeeper reach the brokers directly. The proxy runs in its own network namespace
(`DelayProxy.start`), so the harness's nftables loss rules between a broker and the proxy drop real packets on
inter-broker connections only (TCP then retransmits, as on a lossy link).

A chunk read at time t leaves at max(t + delay + jitter, when the previous chunk of that direction left):
jitter never reorders bytes. Delays are set per link, by the connecting broker's address and the target's
listen port, and apply to chunks read after the change. Run as a process, it reads commands on stdin:

    set <source ip|*> <listen port|*> <delay ms> <jitter ms>   -> ok
    clear                                                      -> ok   (every link back to no delay)
    stats                                                      -> {"chunks": N, "bytes": N, "connections": N}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

from strom.testing.faults.netns import Node

_CHUNK = 65536
_MAX_QUEUED = 8 * 1024 * 1024  # bytes held per direction before the proxy stops reading (a TCP window's role)
ANY = "*"


@dataclass(slots=True)
class LinkDelay:
    delay_ms: float = 0.0
    jitter_ms: float = 0.0


@dataclass
class Links:
    """The delay of each link: (source ip or ANY, listen port or ANY) -> LinkDelay, most specific first."""

    rules: dict[tuple[str, str], LinkDelay] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(19))

    def set(self, source: str, port: str, delay_ms: float, jitter_ms: float) -> None:
        if delay_ms <= 0 and jitter_ms <= 0:
            self.rules.pop((source, port), None)
        else:
            self.rules[(source, port)] = LinkDelay(delay_ms, jitter_ms)

    def seconds(self, source: str, port: int) -> float:
        """The hold for one chunk on this link, jitter drawn uniformly in [-jitter, +jitter]."""
        for key in ((source, str(port)), (source, ANY), (ANY, str(port)), (ANY, ANY)):
            rule = self.rules.get(key)
            if rule is not None:
                held = rule.delay_ms + self.rng.uniform(-rule.jitter_ms, rule.jitter_ms)
                return max(0.0, held) / 1000.0
        return 0.0


class Proxy:
    """Listens on each `routes` key (host, port) and forwards to its value, delaying per `links`."""

    def __init__(self, routes: dict[tuple[str, int], tuple[str, int]], links: Links) -> None:
        self.routes = routes
        self.links = links
        self.connections = 0
        self.chunks = 0
        self.bytes = 0
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        for (host, port), target in self.routes.items():
            server = await asyncio.start_server(self._accept(port, target), host, port, reuse_address=True)
            self._servers.append(server)

    def _accept(self, port: int, target: tuple[str, int]) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._connection(reader, writer, port, target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return accepted

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, target: tuple[str, int]) -> None:
        source = str(writer.get_extra_info("peername")[0])
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        pumps = [
            asyncio.ensure_future(self._pump(reader, up_writer, source, port)),
            asyncio.ensure_future(self._pump(up_reader, writer, source, port)),
        ]
        try:
            done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            if pending and not all(t.result() for t in done):  # a reset: the other direction is dead too
                for t in pending:
                    t.cancel()
            elif pending:  # a clean half-close, passed on: the other direction may still carry bytes
                await asyncio.wait(pending)
        finally:
            for w in (writer, up_writer):
                w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: str, port: int) -> bool:
        """One direction: a reader stamping each chunk with its departure time, a writer sending on time.
        True when it ended with the sender's clean close, False on a reset."""
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()  # None: the sender reset
        room = asyncio.Semaphore(_MAX_QUEUED // _CHUNK)
        loop = asyncio.get_running_loop()

        async def read() -> None:
            last = 0.0
            while True:
                await room.acquire()
                try:
                    chunk: bytes | None = await reader.read(_CHUNK)
                except (ConnectionError, OSError):
                    chunk = None
                last = max(loop.time() + self.links.seconds(source, port), last)
                await queue.put((last, chunk))
                if not chunk:
                    return

        reading = asyncio.ensure_future(read())
        try:
            while True:
                due, chunk = await queue.get()
                room.release()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if chunk is None:
                    return False
                if not chunk:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return True
                self.chunks += 1
                self.bytes += len(chunk)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            return False
        finally:
            reading.cancel()

    async def close(self) -> None:
        """Stops listening and drops every connection (each task closes its two sockets as it ends)."""
        for server in self._servers:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # the transports close on the next turn of the loop


async def _serve(proxy: Proxy, commands: IO[str], answers: IO[str]) -> None:
    await proxy.start()
    loop = asyncio.get_running_loop()
    print("ready", file=answers, flush=True)
    while True:
        line = await loop.run_in_executor(None, commands.readline)
        if not line:
            break
        words = line.split()
        if not words:
            continue
        if words[0] == "set" and len(words) == 5:
            proxy.links.set(words[1], words[2], float(words[3]), float(words[4]))
            print("ok", file=answers, flush=True)
        elif words[0] == "clear":
            proxy.links.rules.clear()
            print("ok", file=answers, flush=True)
        elif words[0] == "stats":
            print(json.dumps({"chunks": proxy.chunks, "bytes": proxy.bytes, "connections": proxy.connections}), file=answers, flush=True)
        else:
            print(f"error: unknown command {line.strip()!r}", file=answers, flush=True)
    await proxy.close()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m strom.testing.faults.delay_proxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", action="append", required=True, metavar="LISTEN=TARGET", help="host:port=host:port, repeatable")
    parser.add_argument("--seed", type=int, default=19, help="seeds the jitter")
    args = parser.parse_args(argv)
    routes = {_address(a): _address(b) for a, b in (r.split("=", 1) for r in args.route)}
    asyncio.run(_serve(Proxy(routes, Links(rng=random.Random(args.seed))), sys.stdin, sys.stdout))


class DelayProxy:
    """The proxy process inside `node`'s namespace, driven through its stdin: `delay()` per link, `clear()`."""

    def __init__(self, node: Node, routes: dict[int, tuple[str, int]], seed: int = 19) -> None:
        """`routes`: listen port on the node's address -> the (host, port) it forwards to."""
        self.node = node
        self.routes = routes
        self.seed = seed
        self.proc: subprocess.Popen[str] | None = None

    def address(self, port: int) -> tuple[str, int]:
        return self.node.ip, port

    def start(self) -> DelayProxy:
        args = [*self.node.exec_prefix(), sys.executable, "-m", "strom.testing.faults.delay_proxy", "--seed", str(self.seed)]
        for port, (host, target) in sorted(self.routes.items()):
            args += ["--route", f"{self.node.ip}:{port}={host}:{target}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._answer("ready")
        return self

    def _answer(self, expect: str | None = "ok") -> str:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the proxy answers each command at once; an empty line: it died
        if not line:
            raise RuntimeError(f"delay proxy in {self.node.namespace} exited ({self.proc.poll()})")
        if expect is not None and line.strip() != expect:
            raise RuntimeError(f"delay proxy answered {line.strip()!r}, expected {expect!r}")
        return line.strip()

    def _command(self, line: str, expect: str | None = "ok") -> str:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._answer(expect)

    def delay(self, delay_ms: float, jitter_ms: float = 0.0, source: str | None = None, port: int | None = None) -> None:
        """One-way delay (each direction) on connections from `source` (an ip; every source if None) to the
        listen `port` (every port if None); 0 removes that rule."""
        self._command(f"set {source or ANY} {port if port is not None else ANY} {delay_ms} {jitter_ms}")

    def clear(self) -> None:
        self._command("clear")

    def stats(self) -> dict[str, int]:
        answer: dict[str, int] = json.loads(self._command("stats", expect=None))
        return answer

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


if __name__ == "__main__":
    main()
