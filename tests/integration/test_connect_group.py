"""Workers' `connect` group on a Strom broker: the coordinator picks the newest subprotocol every member offers,
the leader's assignment reaches every member, and a member leaving makes the others rebalance."""

from __future__ import annotations

import asyncio
import uuid

from strom.client.cluster import Cluster
from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import ClusterConfigState
from strom.connect.runtime.connect_protocol import ConnectProtocolCompatibility, ExtendedAssignment, WorkerState
from strom.connect.runtime.incremental_cooperative_assignor import IncrementalCooperativeAssignor
from strom.connect.runtime.worker_coordinator import JoinResult, WorkerCoordinator
from strom.testing.broker import BrokerProcess
from strom.testing.broker_fixtures import strom_broker  # noqa: F401

SNAPSHOT = ClusterConfigState(5, None, {"a": 2}, {"a": {}}, {}, {ConnectorTaskId("a", 0): {}, ConnectorTaskId("a", 1): {}})


def member(bootstrap: str, group: str, name: str, mode: ConnectProtocolCompatibility) -> WorkerCoordinator:
    assignor = IncrementalCooperativeAssignor(max_delay_ms=0)
    running: list[ExtendedAssignment] = []

    async def assign(
        leader: str, compat: ConnectProtocolCompatibility, members: dict[str, WorkerState], generation: int
    ) -> dict[str, ExtendedAssignment]:
        return assignor.perform_assignment(
            leader, f"http://{name}/", 5, SNAPSHOT, members, generation, wc.last_completed_generation, compat.protocol_version, 0
        )

    def metadata() -> WorkerState:
        return WorkerState(f"http://{name}/", 5, running[-1] if running else WorkerState("", 0).assignment)

    wc = WorkerCoordinator(Cluster(bootstrap, name), group, mode, 10000, 10000, 200, 100, metadata, assign)
    return wc


def test_two_workers_share_and_rebalance(strom_broker: BrokerProcess) -> None:  # noqa: F811
    async def run() -> None:
        group = f"connect-cluster-{uuid.uuid4().hex[:6]}"
        w1 = member(strom_broker.bootstrap, group, "w1", ConnectProtocolCompatibility.SESSIONED)
        w2 = member(strom_broker.bootstrap, group, "w2", ConnectProtocolCompatibility.COMPATIBLE)
        r1 = await w1.join()
        assert r1.leader and r1.compatibility is ConnectProtocolCompatibility.SESSIONED
        assert r1.assignment.connectors == ("a",) and len(r1.assignment.tasks) == 2
        # w2 joins: w1's heartbeat learns of the rebalance, both rejoin; the group falls back to `compatible`
        j2 = asyncio.ensure_future(w2.join())
        await asyncio.wait_for(w1.rejoin_requested.wait(), 10)
        r1b, r2 = await asyncio.gather(w1.join(), j2)
        assert {r1b.compatibility, r2.compatibility} == {ConnectProtocolCompatibility.COMPATIBLE}
        assert r1b.generation == r2.generation and r1b.assignment.leader == r2.assignment.leader
        assert r2.assignment.leader_url == "http://w1/"
        await w2.close()
        await asyncio.wait_for(w1.rejoin_requested.wait(), 10)
        again: JoinResult = await w1.join()
        assert again.leader and again.generation > r1b.generation
        await w1.close()

    asyncio.run(asyncio.wait_for(run(), 120))
