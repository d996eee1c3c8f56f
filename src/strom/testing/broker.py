"""Start a Strom broker as a real process on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BrokerProcess:
    """One broker process; stop() is a clean SIGTERM, kill() is kill -9; start() again reuses the dirs."""

    def __init__(self, log_dir: Path | None = None, port: int | None = None, overrides: dict[str, str] | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="strom-broker-") if log_dir is None else None
        self.base = Path(self._tmp.name) if self._tmp else Path(log_dir)  # type: ignore[arg-type]
        self.port = port or free_port()
        self.overrides = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.base / "data"),
            "offsets.topic.num.partitions": "5",
            "group.initial.rebalance.delay.ms": "0",
            **(overrides or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.output_path = self.base / "broker.out"

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
        out = open(self.output_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"broker did not start in {timeout}s: {self.output()[-2000:]}")
            time.sleep(0.02)
        return self

    def output(self) -> str:
        try:
            return self.output_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> BrokerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
