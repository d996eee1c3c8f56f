"""The consumer's side of an incremental fetch session (KIP-227) with one broker.

The first Fetch to a broker is full (session id 0, epoch 0) and asks the broker to open a session. Once
it has, each request names only the partitions that are new or whose fetch offset or size changed, and
lists in `forgotten_topics_data` the ones the consumer no longer wants (unassigned, paused, or with data
still buffered); the broker keeps fetching the rest and answers only for partitions with news.
After a session error the next fetch is full again: FETCH_SESSION_ID_NOT_FOUND asks for a brand new
session (id 0); any other error or a lost request closes the old one by naming it with epoch 0.
Closing the consumer sends epoch -1 (FINAL) so the broker frees the slot at once.
Pure state, no IO: the consumer builds a request from `plan()` and reports the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from strom.protocol.errors import ErrorCode
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic, ForgottenTopic
from strom.protocol.types import TP

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1

PartitionFetch = tuple[int, int]  # (fetch offset, partition max bytes): what the broker must know


def next_epoch(epoch: int) -> int:
    return 1 if epoch >= 0x7FFFFFFF else epoch + 1


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """One request's session fields: what to send, what to forget, and the partitions it leaves in the session."""

    session_id: int
    epoch: int
    to_send: dict[TP, PartitionFetch]
    forgotten: list[TP]
    wanted: dict[TP, PartitionFetch]

    @property
    def full(self) -> bool:
        return self.epoch in (INITIAL_EPOCH, FINAL_EPOCH)


class FetchSessionHandler:
    """What one broker's session holds and which (id, epoch) the next request carries."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled  # False for brokers without Fetch v7: every fetch is sessionless
        self.session_id = INVALID_SESSION_ID
        self.epoch = INITIAL_EPOCH
        self.partitions: dict[TP, PartitionFetch] = {}  # the broker's view of the session

    @property
    def active(self) -> bool:
        return self.session_id != INVALID_SESSION_ID and self.epoch != INITIAL_EPOCH

    def plan(self, wanted: dict[TP, PartitionFetch]) -> FetchPlan:
        if not self.enabled:
            return FetchPlan(INVALID_SESSION_ID, FINAL_EPOCH, dict(wanted), [], dict(wanted))
        if not self.active:
            return FetchPlan(self.session_id, INITIAL_EPOCH, dict(wanted), [], dict(wanted))
        to_send = {tp: fetch for tp, fetch in wanted.items() if self.partitions.get(tp) != fetch}
        forgotten = [tp for tp in self.partitions if tp not in wanted]
        return FetchPlan(self.session_id, self.epoch, to_send, forgotten, dict(wanted))

    def unexpected_partitions(self, plan: FetchPlan, returned: list[TP]) -> list[TP]:
        """Partitions in a response that the request (full) or the session (incremental) did not hold."""
        return [tp for tp in returned if tp not in plan.wanted]

    def handle_response(self, plan: FetchPlan, error_code: int, session_id: int, returned: list[TP]) -> bool:
        """Advances the session after a response; False when its partition data must not be used."""
        if not self.enabled:
            return error_code == 0
        if error_code:
            if error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND:
                self.session_id = INVALID_SESSION_ID
            self.epoch = INITIAL_EPOCH
            self.partitions = {}
            return False
        if self.unexpected_partitions(plan, returned):
            self.epoch = INITIAL_EPOCH  # out of step with the broker: start over, closing this session
            self.partitions = {}
            return False
        if session_id == INVALID_SESSION_ID:
            # no session (a full cache, or the broker closed ours): the next fetch is full again
            self.session_id, self.epoch, self.partitions = INVALID_SESSION_ID, INITIAL_EPOCH, {}
            return True
        if plan.full or session_id != self.session_id:
            self.session_id, self.epoch = session_id, 1
        else:
            self.epoch = next_epoch(self.epoch)
        self.partitions = dict(plan.wanted)
        return True

    def handle_failure(self) -> None:
        """The request got no answer (connection lost, timeout): the broker's state is unknown."""
        self.epoch = INITIAL_EPOCH
        self.partitions = {}

    def close_plan(self) -> FetchPlan | None:
        """The request that closes the session (epoch -1, no partitions), or None without one."""
        if not self.enabled or self.session_id == INVALID_SESSION_ID:
            return None
        plan = FetchPlan(self.session_id, FINAL_EPOCH, {}, [], {})
        self.session_id, self.epoch, self.partitions = INVALID_SESSION_ID, INITIAL_EPOCH, {}
        return plan


def fetch_request(plan: FetchPlan, max_wait_ms: int, min_bytes: int, max_bytes: int, isolation_level: int) -> FetchRequest:
    """The Fetch request (topic names, v12 and below) that carries `plan`."""
    topics: dict[str, list[FetchPartition]] = {}
    for (topic, partition), (offset, partition_max) in plan.to_send.items():
        topics.setdefault(topic, []).append(FetchPartition(partition=partition, fetch_offset=offset, partition_max_bytes=partition_max))
    forgotten: dict[str, list[int]] = {}
    for topic, partition in plan.forgotten:
        forgotten.setdefault(topic, []).append(partition)
    return FetchRequest(
        replica_id=-1,
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        isolation_level=isolation_level,
        session_id=plan.session_id,
        session_epoch=plan.epoch,
        topics=[FetchTopic(topic=t, partitions=ps) for t, ps in topics.items()],
        forgotten_topics_data=[ForgottenTopic(topic=t, partitions=ps) for t, ps in forgotten.items()],
    )
