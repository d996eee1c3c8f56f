"""The life cycle shared by the servers tests start as real processes (Strom brokers, ZooKeeper)."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class ServerProcess:
    """A child process with its output in a file under `base`: stop() is a clean SIGTERM, kill() is kill -9,
    start() again keeps `base` (a restart). Subclasses say how to start and when the server is ready."""

    name = "server"
    stop_timeout = 20.0

    def __init__(self, base: Path | None, tmp_prefix: str, output_name: str) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if base is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=tmp_prefix)
            base = Path(self._tmp.name)
        self.base = Path(base)
        self.proc: subprocess.Popen[bytes] | None = None
        self.output_path = self.base / output_name

    def _launch(self, args: Sequence[str], ready: Callable[[], bool], timeout: float, poll_interval: float, env: Any = None) -> None:
        """Starts `args` with output appended to the output file and waits until `ready()`, failing with the
        server's last output when it exits or does not get ready in time."""
        self.base.mkdir(parents=True, exist_ok=True)
        out = open(self.output_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} did not start in {timeout}s: {self.output()[-2000:]}")
            time.sleep(poll_interval)

    def output(self) -> str:
        try:
            return self.output_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float | None = None) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.stop_timeout if timeout is None else timeout)
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
