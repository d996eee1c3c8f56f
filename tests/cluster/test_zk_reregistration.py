"""A broker whose ZooKeeper session expired registers again under the new session, whatever it takes."""

from __future__ import annotations

import asyncio

from strom.broker.config import BrokerConfig
from strom.cluster import zk_data as zd
from strom.cluster.zk_broker import ClusterMember
from strom.cluster.zookeeper import ZkClient, ZkError
from strom.testing.zookeeper import ZooKeeperProcess


def test_a_re_registration_that_fails_is_retried_until_the_broker_is_registered(zookeeper: ZooKeeperProcess) -> None:
    """Under load the first ZooKeeper call of the re-registration timed out (op timeout 2 s); the broker logged
    `re-registration failed` and stayed out of /brokers/ids for good: up, leading nothing, unseen by the
    controller (found by the controller-paused fault campaign, cycle 72). It retries now, as Kafka does."""
    connect = f"{zookeeper.connect}/reregistration"
    other = ZkClient(connect, 6000)
    other.start()
    other.ensure_path("/brokers/ids")
    other.create_ephemeral(zd.CONTROLLER, zd.encode_controller(99))  # someone else is controller: no election here
    config = BrokerConfig({"broker.id": "7", "zookeeper.connect": connect, "listeners": "PLAINTEXT://127.0.0.1:9999"})
    member = ClusterMember(7, config, lambda: [9999], lambda: None)
    member.connect()
    register, failures = member._register, [ZkError("ZooKeeper at ... did not answer in 2.0s")]

    def register_after_a_timeout() -> None:
        if failures:
            raise failures.pop()
        register()

    member._register = register_after_a_timeout  # type: ignore[method-assign]

    async def new_session() -> None:
        member._loop = asyncio.get_running_loop()
        await asyncio.wait_for(member._on_new_session(), 30)

    try:
        asyncio.run(new_session())
        assert not failures
        got = other.get(zd.broker_path(7))
        assert got is not None and member.broker_epoch == got[1].czxid
    finally:
        member.zk.close()
        other.close()
