"""Debian's real ZooKeeper as a process on a free loopback port, for cluster tests.

It is started the way `zookeeper-server-start.sh` does it: `java QuorumPeerMain zoo.cfg`, here with a temp
dataDir and the Debian jars (zookeeper.jar's manifest carries its own class path). When ZooKeeper is not
installed the fixture fails with a message saying how to install it -- cluster tests are never skipped
silently.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.broker import free_port

ZOOKEEPER_JARS = (Path("/usr/share/java/zookeeper.jar"), Path("/usr/share/zookeeper/zookeeper.jar"))
SLF4J_NOP = Path("/usr/share/java/slf4j-nop.jar")
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


class ZooKeeperNotInstalled(RuntimeError):
    pass


def zookeeper_classpath() -> str:
    jar = next((j for j in ZOOKEEPER_JARS if j.exists()), None)
    if jar is None or shutil.which("java") is None:
        raise ZooKeeperNotInstalled(
            "ZooKeeper is not installed: run scripts/install-system-deps.sh (apt-get install -y zookeeper default-jre-headless)"
        )
    parts = [str(jar)]
    if SLF4J_NOP.exists():
        parts.append(str(SLF4J_NOP))
    return ":".join(parts)


def is_serving(port: int) -> bool:
    """ZooKeeper's `ruok` four-letter word is off by default in 3.5+; `srvr` is whitelisted."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"srvr")
            return b"Mode:" in s.recv(4096)
    except OSError:
        return False


class ZooKeeperProcess:
    """One standalone ZooKeeper; stop() and start() again keep the data (a ZooKeeper restart)."""

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="strom-zk-") if data_dir is None else None
        self.base = Path(self._tmp.name) if self._tmp else Path(data_dir)  # type: ignore[arg-type]
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.output_path = self.base / "zookeeper.out"

    @property
    def connect(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        (self.base / "data").mkdir(parents=True, exist_ok=True)
        cfg = self.base / "zoo.cfg"
        cfg.write_text(
            "\n".join(
                [
                    "tickTime=500",
                    f"dataDir={self.base / 'data'}",
                    f"clientPort={self.port}",
                    "clientPortAddress=127.0.0.1",
                    "maxClientCnxns=0",
                    "admin.enableServer=false",
                    "4lw.commands.whitelist=srvr,stat,ruok",
                    "minSessionTimeout=1000",
                    "",
                ]
            )
        )
        return cfg

    def start(self, timeout: float = 30.0) -> ZooKeeperProcess:
        classpath = zookeeper_classpath()
        cfg = self._write_config()
        out = open(self.output_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, MAIN_CLASS, str(cfg)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while not is_serving(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"ZooKeeper exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"ZooKeeper did not start in {timeout}s: {self.output()[-2000:]}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        try:
            return self.output_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


@pytest.fixture(scope="module")
def zookeeper() -> Iterator[ZooKeeperProcess]:
    """One ZooKeeper per test module; tests isolate themselves with a chroot (zookeeper.connect=host:port/chroot)."""
    try:
        zk = ZooKeeperProcess().start()
    except ZooKeeperNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    yield zk
    zk.close()
