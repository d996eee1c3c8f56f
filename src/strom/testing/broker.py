"""Start a Strom broker as a real process on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from strom.testing.process import ServerProcess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BrokerProcess(ServerProcess):
    """One broker process; stop() is a clean SIGTERM, kill() is kill -9; start() again reuses the dirs."""

    name = "broker"

    def __init__(self, log_dir: Path | None = None, port: int | None = None, overrides: dict[str, str] | None = None) -> None:
        super().__init__(log_dir, "strom-broker-", "broker.out")
        self.port = port or free_port()
        self.overrides = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.base / "data"),
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.num.partitions": "5",
            "group.initial.rebalance.delay.ms": "0",
            **(overrides or {}),
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> BrokerProcess:
        ready = self.base / "ready"
        ready.unlink(missing_ok=True)
        args = [sys.executable, "-m", "strom.broker.main", os.devnull]
        for k, v in self.overrides.items():
            args += ["--override", f"{k}={v}"]
        env = dict(os.environ, STROM_READY_FILE=str(ready), LOG_DIR=str(self.base / "logs"), STROM_DAEMON="1")
        self._launch(args, ready.exists, timeout, 0.02, env)
        return self

    def __enter__(self) -> BrokerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
