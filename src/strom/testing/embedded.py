"""A Strom broker inside the calling process: its own event loop on a daemon thread, its log dirs in a temporary
directory. What the pytest plugin and `python -m strom` start by default: no interpreter to launch and no
second import of Strom, so it is up in a fraction of the time a broker process takes (docs/TESTING.md has
the measurements).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.portability import new_event_loop
from strom.testing.broker import free_port

START_TIMEOUT_S = 30.0
TEST_DEFAULTS = {
    # small internal topics and no initial rebalance delay: groups and transactions start at once
    "offsets.topic.num.partitions": "5",
    "transaction.state.log.num.partitions": "5",
    "group.initial.rebalance.delay.ms": "0",
}


class EmbeddedBroker:
    """One broker on 127.0.0.1 in this process; start() returns once it accepts connections."""

    def __init__(self, overrides: dict[str, str] | None = None, log_dir: Path | None = None, port: int | None = None) -> None:
        self._own_dir = log_dir is None
        self.base = Path(tempfile.mkdtemp(prefix="strom-embedded-")) if log_dir is None else log_dir
        self.port = port or free_port()
        self.overrides = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.base / "data"),
            **TEST_DEFAULTS,
            **(overrides or {}),
        }
        self.broker: Broker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        """Starts the broker (again, after stop(): same port, same log dirs)."""
        config = BrokerConfig.load(None, self.overrides)
        self._started.clear()
        self._error = None
        self._loop = self._stop = None
        self._thread = threading.Thread(target=self._run, args=(config,), name=f"strom-broker-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT_S):
            raise TimeoutError(f"the embedded broker did not start within {START_TIMEOUT_S:g} s")
        if self._error is not None:
            raise RuntimeError(f"the embedded broker failed to start: {self._error}") from self._error
        return self

    def _run(self, config: BrokerConfig) -> None:
        loop = new_event_loop()
        try:
            loop.run_until_complete(self._serve(config, loop))
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._started.set()
        finally:
            loop.close()

    async def _serve(self, config: BrokerConfig, loop: asyncio.AbstractEventLoop) -> None:
        self.broker = Broker(config)
        await self.broker.start()
        self._stop = asyncio.Event()
        self._loop = loop
        self._started.set()
        await self._stop.wait()
        await self.broker.stop()

    def stop(self) -> None:
        """A clean shutdown (as SIGTERM to a broker process); start() again resumes from the same log dirs."""
        if self._thread is not None and self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(START_TIMEOUT_S)
        self._thread = None

    def close(self) -> None:
        """Stopped for good: a temporary directory this broker made is removed."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
