"""bin/zookeeper-server-start.sh / -stop.sh run Debian's real Apache ZooKeeper, as Kafka's scripts do."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from kazoo.client import KazooClient

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "bin"

pytestmark = [
    pytest.mark.zookeeper,
    pytest.mark.skipif(not Path("/usr/share/java/zookeeper.jar").exists() or shutil.which("java") is None, reason="no ZooKeeper"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def zk_config(tmp_path: Path) -> tuple[Path, int]:
    """Kafka's config/zookeeper.properties with a private dataDir and port."""
    port = free_port()
    text = (ROOT / "config" / "zookeeper.properties").read_text()
    assert "clientPort=2181" in text and "maxClientCnxns=0" in text and "admin.enableServer=false" in text
    cfg = tmp_path / "zookeeper.properties"
    cfg.write_text(text.replace("dataDir=/tmp/zookeeper", f"dataDir={tmp_path / 'data'}").replace("clientPort=2181", f"clientPort={port}"))
    return cfg, port


def wait_serving(port: int, timeout: float = 30) -> KazooClient:
    deadline = time.monotonic() + timeout
    while True:
        zk = KazooClient(f"127.0.0.1:{port}")
        try:
            zk.start(timeout=2)
            return zk
        except Exception:
            zk.close()
            if time.monotonic() > deadline:
                raise


def test_foreground_start_serves_clients_and_stop_script_ends_it(tmp_path):
    cfg, port = zk_config(tmp_path)
    proc = subprocess.Popen([str(BIN / "zookeeper-server-start.sh"), str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        zk = wait_serving(port)
        zk.create("/strom-tools", b"hello")
        assert zk.get("/strom-tools")[0] == b"hello"
        zk.stop()
        zk.close()
        stopped = subprocess.run([str(BIN / "zookeeper-server-stop.sh"), str(cfg)], capture_output=True, text=True, timeout=30)
        assert stopped.returncode == 0
        out, _ = proc.communicate(timeout=30)
        assert "Reading configuration from: " + str(cfg) in out  # its log on stdout, like Kafka's console appender
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    again = subprocess.run([str(BIN / "zookeeper-server-stop.sh"), str(cfg)], capture_output=True, text=True, timeout=30)
    assert again.returncode == 1 and again.stdout == "No zookeeper server to stop\n"


def test_daemon_mode_writes_log_and_pid(tmp_path):
    cfg, port = zk_config(tmp_path)
    env = {"LOG_DIR": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin"}
    started = subprocess.run([str(BIN / "zookeeper-server-start.sh"), "-daemon", str(cfg)], env=env, capture_output=True, timeout=30)
    assert started.returncode == 0
    pid = int((tmp_path / "logs" / "zookeeper.pid").read_text())
    try:
        zk = wait_serving(port)
        zk.stop()
        zk.close()
        assert (tmp_path / "logs" / "zookeeper.out").exists()
    finally:
        assert subprocess.run([str(BIN / "zookeeper-server-stop.sh"), str(cfg)], timeout=30).returncode == 0
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_usage_and_missing_config():
    usage = subprocess.run([str(BIN / "zookeeper-server-start.sh")], capture_output=True, text=True, timeout=10)
    assert usage.returncode == 1 and "USAGE:" in usage.stdout
    missing = subprocess.run([str(BIN / "zookeeper-server-start.sh"), "/nonexistent/zk.properties"], capture_output=True, text=True)
    assert missing.returncode == 1 and "cannot read ZooKeeper config" in missing.stderr
