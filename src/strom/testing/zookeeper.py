"""Debian's real ZooKeeper as a process on a free loopback port, for cluster tests.

It is started the way `zookeeper-server-start.sh` does it: `java QuorumPeerMain zoo.cfg`, here with a temp
dataDir and the Debian jars (zookeeper.jar's manifest carries its own class path). When ZooKeeper is not
installed the fixture fails with a message saying how to install it -- cluster tests are never skipped
silently.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.broker import free_port
from strom.testing.process import ServerProcess

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


class ZooKeeperProcess(ServerProcess):
    """One standalone ZooKeeper; stop() and start() again keep the data (a ZooKeeper restart)."""

    name = "ZooKeeper"
    stop_timeout = 10.0

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        super().__init__(data_dir, "strom-zk-", "zookeeper.out")
        self.port = port or free_port()

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
        args = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, MAIN_CLASS, str(cfg)]
        self._launch(args, lambda: is_serving(self.port), timeout, 0.1)
        return self


@pytest.fixture(scope="module")
def zookeeper() -> Iterator[ZooKeeperProcess]:
    """One ZooKeeper per test module; tests isolate themselves with a chroot (zookeeper.connect=host:port/chroot)."""
    try:
        zk = ZooKeeperProcess().start()
    except ZooKeeperNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    yield zk
    zk.close()
