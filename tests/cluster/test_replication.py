"""Replication between real Strom broker processes, driven over the wire without ZooKeeper: the test plays the
controller -- it sends UpdateMetadata and LeaderAndIsr as a controller does, and answers the leaders' AlterIsr
requests on its own listening socket (accepting each ISR change, as Kafka's controller does for a valid one).

Checked: followers copy the leader's log byte for byte, acks=all waits for the ISR, a killed follower drops out
of the ISR after replica.lag.time.max.ms (AlterIsr) so acks=all completes again, min.insync.replicas refuses
acks=all writes, a returning follower truncates its diverged tail by OffsetForLeaderEpoch and rejoins the ISR.
"""

from __future__ import annotations

import asyncio
import signal
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from strom.protocol.headers import decode_request_header, encode_response_header
from strom.protocol.messages import REQUEST_TYPES
from strom.protocol.records import BatchBuilder, iter_batch_headers
from strom.protocol.schema import alter_partition as ap
from strom.protocol.schema import leader_and_isr as lai
from strom.protocol.schema import update_metadata as um
from strom.protocol.schema.api_versions import ApiVersion, ApiVersionsResponse
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic
from strom.protocol.schema.list_offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData
from strom.testing.broker import BrokerProcess
from strom.transport.connection import BrokerConnection

CONTROLLER_ID = 100
API_VERSIONS = 18
TOPIC = "replicated"
LAG_MS = 1500
NOT_ENOUGH_REPLICAS = 19
NOT_LEADER_OR_FOLLOWER = 6

pytestmark = pytest.mark.timeout(120)


class WireController:
    """The controller's side of the protocol, from the test: sends LeaderAndIsr/UpdateMetadata, answers AlterIsr."""

    def __init__(self, brokers: dict[int, BrokerProcess]) -> None:
        self.brokers = brokers
        self.epoch = 1
        self.alter_isr_requests: list[tuple[int, list[int]]] = []
        self.partition_epoch = 0
        self.isr: list[int] = []
        self.leader_epoch = 0
        self.lost_answer_delay: float | None = None  # the next AlterIsr: applied, then NOT_CONTROLLER after this long
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._conns: dict[int, BrokerConnection] = {}
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.sleep(0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            while True:
                size = struct.unpack(">i", await reader.readexactly(4))[0]
                frame = bytearray(await reader.readexactly(size))
                header, pos = decode_request_header(frame)
                request, _ = REQUEST_TYPES[header.api_key].decode(frame, header.api_version, pos)
                if header.api_key == API_VERSIONS:
                    response = ApiVersionsResponse(error_code=0, api_keys=[ApiVersion(api_key=ap.API_KEY, min_version=0, max_version=0)])
                else:
                    assert header.api_key == ap.API_KEY, f"unexpected API {header.api_key} sent to the controller"
                    response = await self._alter_isr(request)
                out = bytearray(4)
                encode_response_header(out, header.correlation_id, header.api_key, header.api_version)
                out += response.encode(header.api_version)
                struct.pack_into(">i", out, 0, len(out) - 4)
                writer.write(out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def _alter_isr(self, request: Any) -> Any:
        topics = []
        for t in request.topics:
            parts = []
            for p in t.partitions:
                self.alter_isr_requests.append((request.broker_id, list(p.new_isr)))
                if p.leader_epoch == self.leader_epoch and list(p.new_isr) == self.isr:
                    pass  # already so: the current state (Kafka's equalsIgnoreZk)
                elif p.partition_epoch != self.partition_epoch or p.leader_epoch != self.leader_epoch:
                    parts.append(ap.AlterPartitionResponsePartitionData(partition_index=p.partition_index, error_code=57))
                    continue
                else:
                    self.partition_epoch += 1
                    self.isr = list(p.new_isr)
                if self.lost_answer_delay is not None:
                    delay, self.lost_answer_delay = self.lost_answer_delay, None
                    await asyncio.sleep(delay)
                    parts.append(ap.AlterPartitionResponsePartitionData(partition_index=p.partition_index, error_code=41))
                    continue
                parts.append(
                    ap.AlterPartitionResponsePartitionData(
                        partition_index=p.partition_index,
                        error_code=0,
                        leader_id=request.broker_id,
                        leader_epoch=p.leader_epoch,
                        isr=list(self.isr),
                        partition_epoch=self.partition_epoch,
                    )
                )
            topics.append(ap.AlterPartitionResponseTopicData(topic_name=t.topic_name, partitions=parts))
        return ap.AlterPartitionResponse(throttle_time_ms=0, error_code=0, topics=topics)

    async def conn(self, broker_id: int) -> BrokerConnection:
        conn = self._conns.get(broker_id)
        if conn is None or conn.closed:
            conn = BrokerConnection("127.0.0.1", self.brokers[broker_id].port)
            await conn.connect()
            self._conns[broker_id] = conn
        return conn

    async def update_metadata(self, broker_id: int) -> None:
        live = [
            um.UpdateMetadataBroker(
                id=b, endpoints=[um.UpdateMetadataEndpoint(port=p.port, host="127.0.0.1", listener="PLAINTEXT", security_protocol=0)]
            )
            for b, p in self.brokers.items()
        ]
        live.append(
            um.UpdateMetadataBroker(
                id=CONTROLLER_ID,
                endpoints=[um.UpdateMetadataEndpoint(port=self.port, host="127.0.0.1", listener="PLAINTEXT", security_protocol=0)],
            )
        )
        request = um.UpdateMetadataRequest(controller_id=CONTROLLER_ID, controller_epoch=self.epoch, topic_states=[], live_brokers=live)
        response = await (await self.conn(broker_id)).send(request, version=6)
        assert response.error_code == 0

    async def leader_and_isr(self, broker_id: int, leader: int, replicas: list[int], isr: list[int]) -> int:
        state = lai.LeaderAndIsrPartitionState(
            partition_index=0,
            controller_epoch=self.epoch,
            leader=leader,
            leader_epoch=self.leader_epoch,
            isr=isr,
            partition_epoch=self.partition_epoch,
            replicas=replicas,
        )
        request = lai.LeaderAndIsrRequest(
            controller_id=CONTROLLER_ID,
            controller_epoch=self.epoch,
            topic_states=[lai.LeaderAndIsrTopicState(topic_name=TOPIC, partition_states=[state])],
            live_leaders=[lai.LeaderAndIsrLiveLeader(broker_id=leader, host_name="127.0.0.1", port=self.brokers[leader].port)],
        )
        response = await (await self.conn(broker_id)).send(request, version=4)
        assert response.error_code == 0
        return int(response.partition_errors[0].error_code)

    async def elect(self, leader: int, replicas: list[int], isr: list[int], live: list[int]) -> None:
        """A new leader epoch: every live replica hears it, as after a controller's election."""
        self.leader_epoch += 1
        self.partition_epoch += 1
        self.isr = list(isr)
        for b in live:
            await self.update_metadata(b)
            assert await self.leader_and_isr(b, leader, replicas, isr) == 0


async def produce_until(conn: BrokerConnection, values: list[bytes], wanted: int, timeout: float = 15.0) -> tuple[int, int]:
    """Produces (acks=all) until the answer has error code `wanted`: a request racing the leader's ISR change may
    see the ISR from before it."""
    deadline = time.monotonic() + timeout
    while True:
        code, offset = await produce(conn, values)
        if code == wanted or time.monotonic() > deadline:
            return code, offset
        await asyncio.sleep(0.05)


def _batch(values: list[bytes]) -> bytes:
    builder = BatchBuilder(compression_type=0)
    for v in values:
        builder.append(v, None, int(time.time() * 1000), [])
    return builder.build()


async def produce(conn: BrokerConnection, values: list[bytes], acks: int = -1, timeout_ms: int = 20000) -> tuple[int, int]:
    request = ProduceRequest(
        acks=acks,
        timeout_ms=timeout_ms,
        topic_data=[TopicProduceData(name=TOPIC, partition_data=[PartitionProduceData(index=0, records=_batch(values))])],
    )
    response = await conn.send(request, version=8)
    p = response.responses[0].partition_responses[0]
    return int(p.error_code), int(p.base_offset)


async def high_watermark(conn: BrokerConnection) -> int:
    request = ListOffsetsRequest(
        replica_id=-1,
        isolation_level=0,
        topics=[ListOffsetsTopic(name=TOPIC, partitions=[ListOffsetsPartition(partition_index=0, timestamp=-1)])],
    )
    response = await conn.send(request, version=5)
    return int(response.topics[0].partitions[0].offset)


async def consumer_fetch(conn: BrokerConnection, offset: int) -> tuple[int, int, int]:
    """(error, high watermark, records bytes) of a consumer's fetch (replica_id -1) at `offset`."""
    request = FetchRequest(
        replica_id=-1,
        max_wait_ms=0,
        min_bytes=0,
        max_bytes=1 << 20,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=[FetchTopic(topic=TOPIC, partitions=[FetchPartition(partition=0, fetch_offset=offset, partition_max_bytes=1 << 20)])],
        forgotten_topics_data=[],
        rack_id="",
    )
    response = await conn.send(request, version=11)
    p = response.responses[0].partitions[0]
    return int(p.error_code), int(p.high_watermark), len(p.records or b"")


def log_bytes(broker: BrokerProcess) -> bytes:
    seg_dir = broker.base / "data" / f"{TOPIC}-0"
    return b"".join(p.read_bytes() for p in sorted(Path(seg_dir).glob("*.log")))


def log_offsets(broker: BrokerProcess) -> list[int]:
    data = log_bytes(broker)
    return [o for _, h in iter_batch_headers(data) for o in range(h.base_offset, h.base_offset + h.records_count)]


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout}s")
        await asyncio.sleep(0.05)


@pytest.fixture
def cluster(strom_broker_factory: Callable[..., BrokerProcess]) -> dict[int, BrokerProcess]:
    return {
        i: strom_broker_factory(
            broker_id=str(i), replica_lag_time_max_ms=str(LAG_MS), replica_fetch_backoff_ms="200", min_insync_replicas="2"
        )
        for i in (1, 2, 3)
    }


def test_followers_copy_the_leader_and_acks_all_follows_the_isr(cluster: dict[int, BrokerProcess]) -> None:
    async def scenario() -> None:
        ctl = WireController(cluster)
        await ctl.start()
        try:
            await ctl.elect(1, [1, 2, 3], [1, 2, 3], [1, 2, 3])
            leader = await ctl.conn(1)
            # a follower refuses client traffic
            assert (await produce(await ctl.conn(2), [b"x"], acks=1))[0] == NOT_LEADER_OR_FOLLOWER

            started = time.monotonic()
            for i in range(20):
                code, base = await produce(leader, [f"m{i}-{j}".encode() for j in range(5)])
                assert (code, base) == (0, i * 5)
            per_request = (time.monotonic() - started) / 20
            assert await high_watermark(leader) == 100
            await eventually(lambda: log_bytes(cluster[2]) == log_bytes(cluster[1]) == log_bytes(cluster[3]))
            assert log_offsets(cluster[3]) == list(range(100))
            assert per_request < 1.0, f"acks=all took {per_request:.3f}s per request"

            # kill -9 a follower: acks=all waits until the leader drops it from the ISR (AlterIsr), then completes
            cluster[3].kill()
            started = time.monotonic()
            code, base = await produce(leader, [b"after-kill"])
            waited = time.monotonic() - started
            assert (code, base) == (0, 100)
            assert (1, [1, 2]) in ctl.alter_isr_requests
            assert LAG_MS / 1000 * 0.5 <= waited < LAG_MS / 1000 * 4, waited
            assert await high_watermark(leader) == 101

            # a second follower gone: the ISR is the leader alone, below min.insync.replicas=2
            cluster[2].kill()
            await eventually(lambda: (1, [1]) in ctl.alter_isr_requests)
            await eventually(lambda: ctl.isr == [1])
            # (a produce racing the leader's AlterIsr response is appended, then refused AFTER_APPEND)
            assert (await produce_until(leader, [b"refused"], NOT_ENOUGH_REPLICAS))[0] == NOT_ENOUGH_REPLICAS
            code, acks_one = await produce(leader, [b"acks-one"], acks=1)
            assert code == 0 and acks_one >= 101

            # the follower returns, catches up, and the leader expands the ISR again; acks=all works again
            cluster[3].start()
            await ctl.update_metadata(3)
            assert await ctl.leader_and_isr(3, 1, [1, 2, 3], ctl.isr) == 0
            await eventually(lambda: ctl.isr == [1, 3])
            code, back = await produce_until(leader, [b"back"], 0)
            assert code == 0 and back > acks_one
            await eventually(lambda: log_bytes(cluster[3]) == log_bytes(cluster[1]))
        finally:
            await ctl.close()

    asyncio.run(scenario())


def test_an_isr_change_applied_but_answered_with_an_error_is_sent_again_until_both_sides_agree(
    cluster: dict[int, BrokerProcess],
) -> None:
    """The controller wrote the leader's AlterIsr but the leader got an error (NOT_CONTROLLER: the controller
    was retrying its ZooKeeper write); meanwhile the follower it dropped caught up. A leader that gave up after
    one failed attempt kept believing the old ISR, never proposed anything again, and the controller kept the
    shrunk ISR for good (found by the flapping-links fault campaign). It sends the same proposal until answered,
    as Kafka's AlterIsrManager does, learns the ISR, then expands it."""

    async def scenario() -> None:
        ctl = WireController(cluster)
        await ctl.start()
        follower = cluster[3].proc
        assert follower is not None
        try:
            await ctl.elect(1, [1, 2, 3], [1, 2, 3], [1, 2, 3])
            leader = await ctl.conn(1)
            assert (await produce(leader, [b"before"]))[0] == 0
            ctl.lost_answer_delay = 3.0
            follower.send_signal(signal.SIGSTOP)
            await eventually(lambda: (1, [1, 2]) in ctl.alter_isr_requests)
            follower.send_signal(signal.SIGCONT)  # it catches up while the answer is on its way
            await eventually(lambda: sorted(ctl.isr) == [1, 2, 3], timeout=30)
            assert (await produce(leader, [b"after"]))[0] == 0
        finally:
            follower.send_signal(signal.SIGCONT)
            await ctl.close()

    asyncio.run(scenario())


def test_a_deposed_leader_truncates_its_divergent_tail(cluster: dict[int, BrokerProcess]) -> None:
    async def scenario() -> None:
        ctl = WireController({1: cluster[1], 2: cluster[2]})
        await ctl.start()
        try:
            await ctl.elect(1, [1, 2], [1, 2], [1, 2])
            assert await produce(await ctl.conn(1), [b"a0", b"a1", b"a2"]) == (0, 0)
            await eventually(lambda: log_offsets(cluster[2]) == [0, 1, 2])

            # broker 2 is elected (epoch 2) but broker 1 has not heard yet: it still takes writes (acks=1)
            ctl.leader_epoch += 1
            ctl.partition_epoch += 1
            ctl.isr = [2]
            assert await ctl.leader_and_isr(2, 2, [1, 2], [2]) == 0
            assert await produce(await ctl.conn(1), [b"zombie0", b"zombie1"], acks=1) == (0, 3)
            # its ISR still has broker 2, which does not fetch from it: consumers see nothing past the high watermark
            assert await consumer_fetch(await ctl.conn(1), 3) == (0, 3, 0)
            assert (await consumer_fetch(await ctl.conn(1), 0))[1:] == (3, len(log_bytes(cluster[2])))
            assert await produce(await ctl.conn(2), [b"c0"], acks=1) == (0, 3)

            # now broker 1 learns it follows broker 2: it truncates at the end of epoch 1 and copies epoch 2
            assert await ctl.leader_and_isr(1, 2, [1, 2], [2]) == 0
            await eventually(lambda: log_bytes(cluster[1]) == log_bytes(cluster[2]), timeout=20)
            assert log_offsets(cluster[1]) == [0, 1, 2, 3]
            assert b"zombie0" not in log_bytes(cluster[1])
            # back in sync, it rejoins the ISR; and it refuses writes now
            await eventually(lambda: ctl.isr == [1, 2])
            assert (await produce(await ctl.conn(1), [b"x"], acks=1))[0] == NOT_LEADER_OR_FOLLOWER
            assert await produce_until(await ctl.conn(2), [b"c1"], 0) == (0, 4)
        finally:
            await ctl.close()

    asyncio.run(scenario())
