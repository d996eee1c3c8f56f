"""The namespaced cluster's own life cycle: what it leaves behind when it cannot start."""

from __future__ import annotations

import pytest

from strom.testing.faults.cluster import NetnsCluster
from strom.testing.faults.netns import run

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(120)]


def test_a_cluster_that_fails_to_start_stops_zookeeper_and_removes_its_namespaces() -> None:
    """Nobody holds a cluster whose start() raised, so it must clean up itself: a campaign runner that
    retries would otherwise leak a ZooKeeper and four namespaces per failed start."""
    cluster = NetnsCluster(1, {"broker.id": "not-a-number"})
    prefix = f"strom-{cluster.net.k}-"
    with pytest.raises(RuntimeError, match="exited"):
        cluster.start(timeout=60)
    assert cluster.zk.proc is not None and cluster.zk.proc.poll() is not None, "ZooKeeper still running"
    assert not [n for n in run("ip", "netns", "list").stdout.split() if n.startswith(prefix)]
    assert cluster.net.bridge not in run("ip", "-o", "link", "show").stdout
