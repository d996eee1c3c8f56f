"""The sender against fake brokers: the Produce requests it builds and what it does with each answer
(retries with the same sequence, metadata refresh on NOT_LEADER, OUT_OF_ORDER_SEQUENCE after a failed
batch, max.in.flight, AddPartitionsToTxn before a partition's first batch, InitProducerId)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from strom.client.accumulator import RecordAccumulator
from strom.client.sender import Sender, SenderConfig
from strom.client.types import RecordMetadata
from strom.protocol.errors import ErrorCode, KafkaError, LocalError
from strom.protocol.records import iter_records, read_batch_header
from strom.protocol.schema.init_producer_id import InitProducerIdRequest, InitProducerIdResponse
from strom.protocol.schema.produce import BatchIndexAndErrorMessage, PartitionProduceResponse, ProduceResponse, TopicProduceResponse
from strom.protocol.types import TP
from tests.unit.client.fake_network import FakeCluster, FakeConnection, settle

E = ErrorCode
Report = tuple[KafkaError | None, RecordMetadata | None]


def config(**kw: Any) -> SenderConfig:
    settings: dict[str, Any] = {
        "acks": -1,
        "request_timeout_ms": 30000,
        "retries": 5,
        "retry_backoff": 0.01,
        "retry_backoff_max": 1.0,
        "max_in_flight": 5,
        "max_request_size": 1 << 20,
        "delivery_timeout": 120.0,
    }
    settings.update(kw)
    return SenderConfig(**settings)


class Harness:
    def __init__(self, cluster: FakeCluster, *, idempotent: bool = True, txn: Any = None, batch_size: int = 16384, **kw: Any) -> None:
        self.cluster = cluster
        self.reports: dict[bytes, Report] = {}
        self.acc = RecordAccumulator(
            batch_size=batch_size,
            linger=0,
            codec=0,
            buffer_memory=1 << 24,
            delivery_timeout=120.0,
            ignore_keys=False,
            wake=lambda: None,
        )
        self.acc.timer = asyncio.get_running_loop()
        self.sender = Sender(self.acc, cluster, config(**kw), idempotent=idempotent, txn=txn)
        if idempotent:
            self.sender.use_producer_id(1000, 3)

    def add(self, tp: TP, value: bytes) -> None:
        def done(err: KafkaError | None, md: RecordMetadata | None) -> None:
            self.reports[value] = (err, md)

        self.acc.append(tp[0], tp[1], 8, value, None, None, None, 70 + len(value), done)

    async def step(self, later: float = 0.0) -> None:
        """One sender step at loop time + `later`, then let the requests go out."""
        self.sender.run_once(asyncio.get_running_loop().time() + later)
        await settle()

    def offset(self, value: bytes) -> int | None:
        err, md = self.reports[value]
        assert err is None and md is not None
        return md.offset


def produce_response(results: dict[TP, tuple[int, int]]) -> ProduceResponse:
    """(error code, base offset) per partition."""
    topics: dict[str, list[PartitionProduceResponse]] = {}
    for (topic, partition), (code, base) in results.items():
        topics.setdefault(topic, []).append(PartitionProduceResponse(index=partition, error_code=code, base_offset=base))
    return ProduceResponse(responses=[TopicProduceResponse(name=t, partition_responses=ps) for t, ps in topics.items()])


def batches_of(request: Any) -> dict[TP, bytes]:
    return {(t.name, p.index): bytes(p.records) for t in request.topic_data for p in t.partition_data}


def values_of(batch: bytes) -> list[bytes | None]:
    return [r.value for r in iter_records(batch, 0)]


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_ready_batches_of_one_leader_go_in_one_request_with_producer_id_and_sequences() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1, ("t", 1): 1, ("u", 0): 2})
        h = Harness(cluster, acks=1)
        h.add(("t", 0), b"a")
        h.add(("t", 0), b"b")
        h.add(("t", 1), b"c")
        h.add(("u", 0), b"d")
        await h.step()
        (request,) = cluster.conn(1).requests
        assert request.acks == 1 and request.transactional_id is None
        sent = batches_of(request)
        assert sorted(sent) == [("t", 0), ("t", 1)]
        header = read_batch_header(sent[("t", 0)])
        assert (header.producer_id, header.producer_epoch, header.base_sequence) == (1000, 3, 0)
        assert values_of(sent[("t", 0)]) == [b"a", b"b"]
        assert batches_of(cluster.conn(2).requests[0]).keys() == {("u", 0)}
        cluster.conn(1).answer(produce_response({("t", 0): (0, 40), ("t", 1): (0, 7)}))
        await settle()
        assert (h.offset(b"a"), h.offset(b"b"), h.offset(b"c")) == (40, 41, 7)
        assert b"d" not in h.reports
        h.add(("t", 0), b"e")
        await h.step()
        assert read_batch_header(batches_of(cluster.conn(1).requests[1])[("t", 0)]).base_sequence == 2

    run(scenario)


def test_a_retriable_error_resends_the_same_batch_with_the_same_sequence_after_the_backoff() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, retry_backoff=0.05)
        h.add(("t", 0), b"a")
        await h.step()
        conn = cluster.conn(1)
        first = batches_of(conn.requests[0])[("t", 0)]
        conn.answer(produce_response({("t", 0): (E.NOT_ENOUGH_REPLICAS, -1)}))
        await settle()
        assert b"a" not in h.reports
        await h.step()
        assert len(conn.requests) == 1  # still backing off
        await h.step(later=0.05)
        assert batches_of(conn.requests[1])[("t", 0)] == first  # byte for byte: same producer id, epoch, sequence
        conn.answer(produce_response({("t", 0): (0, 5)}))
        await settle()
        assert h.offset(b"a") == 5

    run(scenario)


def test_a_lost_connection_is_retried_too() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        cluster.conn(1).drop()
        await settle()
        await h.step(later=1)
        assert len(cluster.conn(1).requests) == 2

    run(scenario)


def test_not_leader_refreshes_metadata_and_resends_to_the_new_leader() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        cluster.next_leaders = {("t", 0): 2}
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        cluster.conn(1).answer(produce_response({("t", 0): (E.NOT_LEADER_OR_FOLLOWER, -1)}))
        await settle()
        assert cluster.refreshed == [["t"]]
        await h.step(later=1)
        assert len(cluster.conn(1).requests) == 1 and len(cluster.conn(2).requests) == 1
        cluster.conn(2).answer(produce_response({("t", 0): (0, 0)}))
        await settle()
        assert h.offset(b"a") == 0

    run(scenario)


def test_a_leader_that_left_the_metadata_is_retried_on_the_next_leader_not_failed() -> None:
    """A killed leader drops out of Metadata's broker list before the controller elects the next one: the
    batch waits for a metadata refresh (Java's unknown-leader path) instead of failing BROKER_NOT_AVAILABLE."""

    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        cluster.gone = {1}
        cluster.next_leaders = {("t", 0): 2}
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        assert b"a" not in h.reports and cluster.refreshed == [["t"]]
        await h.step(later=1)
        assert len(cluster.conn(2).requests) == 1
        cluster.conn(2).answer(produce_response({("t", 0): (0, 9)}))
        await settle()
        assert h.offset(b"a") == 9

    run(scenario)


def test_records_the_broker_rejected_fail_with_their_own_error_and_the_rest_as_librdkafka_reports_them() -> None:
    """KIP-467: INVALID_RECORD with record_errors fails the named records with their message and every other
    record of the batch with _INVALID_DIFFERENT_RECORD."""

    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, acks=1)
        for v in (b"a", b"b", b"c"):
            h.add(("t", 0), v)
        await h.step()
        rejected = PartitionProduceResponse(
            index=0,
            error_code=E.INVALID_RECORD,
            base_offset=-1,
            error_message="One or more records have been rejected",
            record_errors=[BatchIndexAndErrorMessage(batch_index=1, batch_index_error_message="no key")],
        )
        cluster.conn(1).answer(ProduceResponse(responses=[TopicProduceResponse(name="t", partition_responses=[rejected])]))
        await settle()
        codes = {v: (err.code(), err.str()) for v, (err, _) in h.reports.items() if err is not None}
        different = (LocalError.INVALID_DIFFERENT_RECORD, KafkaError(LocalError.INVALID_DIFFERENT_RECORD).str())
        assert codes == {b"a": different, b"b": (E.INVALID_RECORD, "no key"), b"c": different}

    run(scenario)


def test_a_partition_without_a_known_leader_refreshes_metadata_and_waits() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({})
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        assert cluster.refreshed == [["t"]] and not cluster.conns
        cluster.leaders = {("t", 0): 1}
        await h.step()
        assert len(cluster.conn(1).requests) == 1

    run(scenario)


def test_out_of_order_sequence_after_a_failed_batch_resends_both_in_sequence_order() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, batch_size=80)  # one record per batch
        for v in (b"a", b"b", b"c"):
            h.add(("t", 0), v)
        for _ in range(3):
            await h.step()
        conn = cluster.conn(1)
        assert [values_of(batches_of(r)[("t", 0)]) for r in conn.requests] == [[b"a"], [b"b"], [b"c"]]
        conn.answer(produce_response({("t", 0): (E.REQUEST_TIMED_OUT, -1)}))  # a: retriable
        conn.answer(produce_response({("t", 0): (E.OUT_OF_ORDER_SEQUENCE_NUMBER, -1)}))  # b saw the gap
        await settle()
        await h.step(later=1)
        assert len(conn.requests) == 3  # c is still in flight: nothing is resent before it answers
        conn.answer(produce_response({("t", 0): (E.OUT_OF_ORDER_SEQUENCE_NUMBER, -1)}))
        await settle()
        for _ in range(3):
            await h.step(later=1)
        resent = [batches_of(r)[("t", 0)] for r in conn.requests[3:]]
        assert [read_batch_header(b).base_sequence for b in resent] == [0, 1, 2]
        assert [values_of(b) for b in resent] == [[b"a"], [b"b"], [b"c"]]
        for base in (10, 11, 12):
            conn.answer(produce_response({("t", 0): (0, base)}))
        await settle()
        assert [h.offset(v) for v in (b"a", b"b", b"c")] == [10, 11, 12]

    run(scenario)


def test_out_of_order_while_an_earlier_batch_is_still_on_its_way_to_the_old_leader_is_retried_in_order() -> None:
    """Leader failover: batch a is in flight to the old leader when batch b reaches the new one, which answers
    OUT_OF_ORDER_SEQUENCE_NUMBER (it has not seen a). b is not the next sequence the producer expects to be
    acknowledged, so it is retried (Java's rule); once a fails on the dead leader both go to the new one in order."""

    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        cluster.leaders = {("t", 0): 2}
        h.add(("t", 0), b"b")
        await h.step()
        new_leader = cluster.conn(2)
        assert [values_of(batches_of(r)[("t", 0)]) for r in new_leader.requests] == [[b"b"]]
        new_leader.answer(produce_response({("t", 0): (E.OUT_OF_ORDER_SEQUENCE_NUMBER, -1)}))
        await settle()
        assert b"b" not in h.reports  # retried, not failed
        cluster.conn(1).drop()  # the old leader is gone: a fails with a retriable error
        await settle()
        await h.step(later=1)
        await h.step(later=1)
        resent = [batches_of(r)[("t", 0)] for r in new_leader.requests[1:]]
        assert [values_of(b) for b in resent] == [[b"a"], [b"b"]]
        assert [read_batch_header(b).base_sequence for b in resent] == [0, 1]
        new_leader.answer(produce_response({("t", 0): (0, 10)}))
        await settle()
        new_leader.answer(produce_response({("t", 0): (0, 11)}))
        await settle()
        assert (h.offset(b"a"), h.offset(b"b")) == (10, 11)

    run(scenario)


def test_out_of_order_sequence_without_an_earlier_failure_fails_the_batch_and_resets_the_producer_id() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster)
        h.add(("t", 0), b"a")
        await h.step()
        cluster.conn(1).answer(produce_response({("t", 0): (E.OUT_OF_ORDER_SEQUENCE_NUMBER, -1)}))
        await settle()
        err, _ = h.reports[b"a"]
        assert err is not None and err.code() == E.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert h.sender.producer_id == -1 and h.sender.sequences == {}  # the next batch needs a new producer id

    run(scenario)


def test_max_in_flight_limits_batches_per_partition_and_keeps_their_order() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, batch_size=80, max_in_flight=2)
        for v in (b"a", b"b", b"c"):
            h.add(("t", 0), v)
        for _ in range(3):
            await h.step()
        conn = cluster.conn(1)
        assert len(conn.requests) == 2 and conn.waiting == 2
        conn.answer(produce_response({("t", 0): (0, 0)}))
        await settle()
        await h.step()
        assert len(conn.requests) == 3
        assert [read_batch_header(batches_of(r)[("t", 0)]).base_sequence for r in conn.requests] == [0, 1, 2]

    run(scenario)


class ConnectingCluster(FakeCluster):
    """The first connection() waits until `connected` is set (the connection is being made); calls after
    it find the connection open, as the real Cluster's do once the first one made it."""

    def __init__(self, leaders: dict[TP, int]) -> None:
        super().__init__(leaders)
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.calls = 0

    async def connection(self, node_id: int) -> Any:
        self.calls += 1
        if self.calls == 1:
            await asyncio.shield(self.connected)  # as Cluster._connect's callers share the pending connect
        return self.conn(node_id)


def test_requests_go_out_in_sequence_order_while_the_connection_is_being_made() -> None:
    """A request that finds the connection open must not overtake one still waiting for it: the broker
    would see sequence 2 before 1 (OUT_OF_ORDER_SEQUENCE_NUMBER) and the records of the later batch fail."""

    async def scenario() -> None:
        cluster = ConnectingCluster({("t", 0): 1})
        h = Harness(cluster, batch_size=80)
        for v in (b"a", b"b", b"c"):
            h.add(("t", 0), v)
        await h.step()  # batch a: its request waits for the connection
        cluster.connected.set_result(None)  # made: a resumes soon, b (sent now) finds it open at once
        await h.step()
        await h.step()
        conn = cluster.conn(1)
        assert [read_batch_header(batches_of(r)[("t", 0)]).base_sequence for r in conn.requests] == [0, 1, 2]

    run(scenario)


def test_max_in_flight_limits_requests_per_broker() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1, ("t", 1): 1})
        h = Harness(cluster, max_in_flight=2)
        for tp, v in ((("t", 0), b"a"), (("t", 1), b"b"), (("t", 1), b"c")):
            h.add(tp, v)
            await h.step()
        conn = cluster.conn(1)
        assert len(conn.requests) == 2  # ("t", 1) may have another batch out, but the broker has two requests
        conn.answer(produce_response({("t", 0): (0, 0)}))
        await settle()
        await h.step()
        assert [list(batches_of(r)) for r in conn.requests] == [[("t", 0)], [("t", 1)], [("t", 1)]]

    run(scenario)


def test_a_non_retriable_error_fails_the_records_and_retries_stop_at_the_limit() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1, ("t", 1): 1})
        h = Harness(cluster, idempotent=False, retries=1, retry_backoff=0.0)
        h.add(("t", 0), b"big")
        h.add(("t", 1), b"x")
        await h.step()
        cluster.conn(1).answer(produce_response({("t", 0): (E.MESSAGE_TOO_LARGE, -1), ("t", 1): (E.NOT_ENOUGH_REPLICAS, -1)}))
        await settle()
        err, _ = h.reports[b"big"]
        assert err is not None and err.code() == E.MESSAGE_TOO_LARGE
        await h.step(later=1)
        cluster.conn(1).answer(produce_response({("t", 1): (E.NOT_ENOUGH_REPLICAS, -1)}))
        await settle()
        err, _ = h.reports[b"x"]
        assert err is not None and err.code() == E.NOT_ENOUGH_REPLICAS
        assert read_batch_header(batches_of(cluster.conn(1).requests[0])[("t", 0)]).producer_id == -1

    run(scenario)


def test_acks_zero_completes_without_waiting_for_an_answer() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, idempotent=False, acks=0)
        h.add(("t", 0), b"a")
        await h.step()
        assert cluster.conn(1).waiting == 0 and h.reports[b"a"][0] is None

    run(scenario)


class FakeTransactionGate:
    """The transaction manager's answers to the sender: a partition may be sent once it was added."""

    transactional_id = "txn-1"

    def __init__(self) -> None:
        self.added: set[TP] = set()
        self.asked: list[TP] = []
        self.failures: list[int] = []

    def may_send(self, tp: TP) -> bool:
        self.asked.append(tp)
        return tp in self.added

    def batch_failed(self, error: KafkaError) -> None:
        self.failures.append(error.code())


def test_a_transactional_batch_waits_for_its_partition_to_be_added_and_is_flagged() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        gate = FakeTransactionGate()
        h = Harness(cluster, txn=gate)
        h.add(("t", 0), b"a")
        await h.step()
        assert gate.asked == [("t", 0)] and not cluster.conns  # AddPartitionsToTxn first
        gate.added.add(("t", 0))
        await h.step()
        (request,) = cluster.conn(1).requests
        assert request.transactional_id == "txn-1"
        assert read_batch_header(batches_of(request)[("t", 0)]).attributes & 0x10  # the transactional bit
        cluster.conn(1).answer(produce_response({("t", 0): (E.INVALID_RECORD, -1)}))
        await settle()
        assert gate.failures == [E.INVALID_RECORD] and h.sender.producer_id == 1000  # the transaction aborts; no new id

    run(scenario)


def test_the_idempotent_producer_gets_its_id_or_turns_idempotence_off() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, idempotent=True)
        h.sender.producer_id = -1
        init = asyncio.ensure_future(h.sender.init_producer_id())
        await settle()
        (request,) = cluster.conn(1).requests
        assert isinstance(request, InitProducerIdRequest) and request.transactional_id is None
        cluster.conn(1).answer(InitProducerIdResponse(error_code=0, producer_id=77, producer_epoch=0))
        await init
        assert (h.sender.producer_id, h.sender.producer_epoch) == (77, 0)

        old = FakeCluster({("t", 0): 1})
        old.conns[1] = FakeConnection(1, versions={0: (0, 2), 3: (0, 1)})
        h2 = Harness(old, idempotent=True)
        await h2.sender.init_producer_id()
        assert not h2.sender.idempotent

    run(scenario)
