"""The README's 3-broker ZooKeeper cluster, run as written (ports and directories made private)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from strom.cluster.zookeeper import ZkClient
from strom.testing.broker import free_port
from tests.cluster.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.zookeeper


def _cluster_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## A 3-broker cluster with ZooKeeper", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.strip().splitlines() if line.strip()]


def test_readme_cluster_commands(tmp_path: Path) -> None:
    lines = _cluster_block()
    assert len(lines) == 6 and lines[0].startswith("bin/zookeeper-server-start.sh -daemon")
    zk_port, ports = free_port(), {9092: free_port(), 9093: free_port(), 9094: free_port()}
    zk_cfg = tmp_path / "zookeeper.properties"
    zk_cfg.write_text(
        (ROOT / "config/zookeeper.properties")
        .read_text()
        .replace("dataDir=/tmp/zookeeper", f"dataDir={tmp_path / 'zk'}")
        .replace("clientPort=2181", f"clientPort={zk_port}")
    )

    def private(line: str) -> str:
        line = line.replace("config/zookeeper.properties", str(zk_cfg)).replace("localhost:2181", f"localhost:{zk_port}")
        line = line.replace("/tmp/kafka-logs-", str(tmp_path / "kafka-logs-")).replace("LOG_DIR=logs/", f"LOG_DIR={tmp_path}/logs/")
        return re.sub(r"localhost:(909[234])", lambda m: f"localhost:{ports[int(m.group(1))]}", line)

    env = dict(os.environ, LOG_DIR=str(tmp_path / "zk-logs"))
    pid_files = [tmp_path / "zk-logs" / "zookeeper.pid"] + [tmp_path / "logs" / f"broker-{i}" / "strom-broker.pid" for i in range(3)]
    try:
        out = ""
        for line in lines:
            if line.startswith("bin/kafka-topics.sh --create"):
                # the brokers are daemons: wait until all three are registered and one is controller
                wait_until(lambda: all(p.exists() for p in pid_files), message="daemons started")
                # the daemon's JVM may still be starting: kazoo keeps retrying for up to a minute
                zk = ZkClient(f"127.0.0.1:{zk_port}", 10000, connection_timeout_ms=60000)
                zk.start()
                try:
                    wait_until(lambda zk=zk: zk.children("/brokers/ids") == ["0", "1", "2"] and zk.exists("/controller"), timeout=60)
                finally:
                    zk.close()
            result = subprocess.run(["bash", "-c", private(line)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
            out = result.stdout
        assert "Topic: events\tTopicId:" in out and "ReplicationFactor: 3" in out
        rows = re.findall(r"Partition: (\d)\tLeader: (\d)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)", out)
        assert len(rows) == 3, out
        for _, leader, replicas, isr in rows:
            assert (
                sorted(replicas.split(",")) == ["0", "1", "2"]
                and leader == replicas.split(",")[0]
                and sorted(isr.split(",")) == ["0", "1", "2"]
            )
    finally:
        for pid_file in reversed(pid_files):
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
