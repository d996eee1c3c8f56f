"""Brokers with zookeeper.connect join a cluster: Kafka 2.8's znodes, one controller, every broker in Metadata."""

from __future__ import annotations

import json

import pytest

from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper


def test_three_brokers_register_and_elect_one_controller(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        assert wait_until(lambda: zk.children("/brokers/ids") == ["0", "1", "2"])
        data, stat = zk.get("/brokers/ids/1")
        info = json.loads(data)
        assert info["version"] == 5 and info["endpoints"] == [f"PLAINTEXT://127.0.0.1:{cluster.brokers[1].port}"]
        assert info["host"] == "127.0.0.1" and info["port"] == cluster.brokers[1].port and info["jmx_port"] == -1
        assert stat.ephemeral_owner != 0
        controller = json.loads(zk.get("/controller")[0])
        assert controller["version"] == 1 and controller["brokerid"] in (0, 1, 2)
        assert int(zk.get("/controller_epoch")[0]) >= 1
        cluster_id = json.loads(zk.get("/cluster/id")[0])
        assert cluster_id["version"] == "1" and len(cluster_id["id"]) == 22
        for path in ("/brokers/topics", "/config/topics", "/admin/delete_topics", "/isr_change_notification", "/brokers/seqid"):
            assert zk.exists(path) is not None, path
    finally:
        zk.close()


def test_a_killed_broker_leaves_metadata_even_when_it_led_and_followed_nothing(cluster_factory) -> None:
    """Kafka's controller tells the remaining brokers about a failed broker even when no partition changed
    (onReplicasBecomeOffline sends UpdateMetadata either way): Metadata lists live brokers only."""
    import strom

    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        assert wait_until(lambda: zk.children("/brokers/ids") == ["0", "1", "2"])
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        victim = next(b for b in (2, 1, 0) if b != controller)
        survivor = next(b for b in (0, 1, 2) if b not in (victim, controller))
        admin = strom.AdminClient({"bootstrap.servers": cluster.brokers[survivor].bootstrap})
        assert wait_until(lambda: sorted(admin.list_topics(timeout=10).brokers) == [0, 1, 2])
        cluster.brokers[victim].kill()  # no topic exists: it leads nothing and is in no ISR
        assert wait_until(lambda: zk.children("/brokers/ids") == sorted(str(b) for b in (0, 1, 2) if b != victim))
        assert wait_until(lambda: victim not in admin.list_topics(timeout=10).brokers, timeout=15, message="dead broker in Metadata")
        admin.close()
    finally:
        zk.close()


def test_controller_requests_wait_for_the_registration_then_judge_the_broker_epoch(zookeeper) -> None:
    """A restarted broker listens before its /brokers/ids znode exists (the previous process's lingers until its
    session expires). The controller sees the new znode, reads its czxid (the broker epoch) and sends
    LeaderAndIsr, possibly before the broker itself knows that epoch. Kafka handles no request before its
    registration; a broker that answered STALE_BROKER_EPOCH instead was never sent its partitions again and
    stayed out of every ISR."""
    import asyncio
    import socket
    import threading

    from strom.cluster import zk_data as zd
    from strom.protocol.errors import ErrorCode
    from strom.protocol.schema import leader_and_isr as lai
    from strom.protocol.schema import update_metadata as um
    from strom.transport.connection import BrokerConnection
    from tests.cluster.conftest import Cluster

    def listening(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        except OSError:
            return False
        return True

    cluster = Cluster(zookeeper, 1, {"zookeeper.session.timeout.ms": "10000"})
    zk = cluster.zk_client()
    broker = cluster.brokers[0]
    try:
        # the previous process's registration, and a controller elsewhere (so this broker does not become one)
        zk.create("/brokers/ids/0", b"{}", ephemeral=True)
        zk.create("/controller", zd.encode_controller(7), ephemeral=True)
        starting = threading.Thread(target=broker.start)
        starting.start()
        wait_until(lambda: listening(broker.port), timeout=30, message="broker listening")

        async def run() -> None:
            conn = BrokerConnection("127.0.0.1", broker.port, client_id="controller-7")
            await conn.connect()
            try:

                def leader_and_isr(epoch: int) -> lai.LeaderAndIsrRequest:
                    return lai.LeaderAndIsrRequest(controller_id=7, controller_epoch=1, broker_epoch=epoch, type=1)

                def update_metadata(epoch: int) -> um.UpdateMetadataRequest:
                    return um.UpdateMetadataRequest(controller_id=7, controller_epoch=1, broker_epoch=epoch)

                # an epoch newer than any this broker has known: the one the controller read from the new znode
                early = asyncio.ensure_future(conn.send(leader_and_isr(2**40), version=5))
                await asyncio.sleep(1.0)
                assert not early.done(), "answered before the broker registered"
                await asyncio.get_running_loop().run_in_executor(None, zk.delete, "/brokers/ids/0")
                assert (await asyncio.wait_for(early, 30)).error_code == ErrorCode.NONE
                czxid = zk.exists("/brokers/ids/0").czxid
                stale = await conn.send(leader_and_isr(czxid - 1), version=5)
                assert stale.error_code == ErrorCode.STALE_BROKER_EPOCH
                assert (await conn.send(update_metadata(czxid), version=7)).error_code == ErrorCode.NONE
                assert (await conn.send(update_metadata(czxid - 1), version=7)).error_code == ErrorCode.STALE_BROKER_EPOCH
            finally:
                conn.close()

        asyncio.run(run())
        starting.join(30)
        log = (broker.base / "logs" / "server.log").read_text()
        assert f"czxid (broker epoch): {zk.exists('/brokers/ids/0').czxid}" in log
    finally:
        cluster.close()
