"""One partition's replication state on this broker: leader or follower, leader epoch, replicas, ISR, and -- on
the leader -- what each follower has fetched, from which the high watermark and ISR changes follow.

Kafka's rules (Partition.scala in 2.8), kept free of IO so they are unit-tested with plain numbers:
- the high watermark is the smallest log end offset in the ISR and never moves backwards; a follower whose
  log end offset is not known yet (no fetch since this broker became leader) holds it where it is;
- a follower is caught up when it fetched from the leader's log end offset of that moment; it drops out of
  the ISR when it has not been caught up for replica.lag.time.max.ms;
- a follower outside the ISR rejoins once it has reached the high watermark and the start of the current
  leader epoch;
- while an ISR change is in flight to the controller the high watermark is computed over the larger
  ("maximal") ISR, so an expansion cannot commit too early and a shrink cannot commit too late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strom.storage.log import PartitionLog

UNKNOWN_OFFSET = -1
NO_LEADER = -1


@dataclass(slots=True)
class FollowerState:
    """What the leader knows of one follower, from that follower's fetches."""

    log_end_offset: int = UNKNOWN_OFFSET
    last_fetch_ms: int = 0
    last_caught_up_ms: int = 0
    last_fetch_leader_leo: int = UNKNOWN_OFFSET

    def record_fetch(self, fetch_offset: int, leader_leo: int, now_ms: int) -> None:
        """Kafka's Replica.updateFetchState: caught up if it asked for the leader's LEO now, or for the LEO the
        leader had at its previous fetch (then it was caught up at that previous fetch)."""
        if fetch_offset >= leader_leo:
            self.last_caught_up_ms = max(self.last_caught_up_ms, now_ms)
        elif fetch_offset >= self.last_fetch_leader_leo >= 0:
            self.last_caught_up_ms = max(self.last_caught_up_ms, self.last_fetch_ms)
        self.log_end_offset = fetch_offset
        self.last_fetch_leader_leo = leader_leo
        self.last_fetch_ms = now_ms


def high_watermark_candidate(leader_leo: int, isr: Iterable[int], local_id: int, followers: dict[int, FollowerState]) -> int | None:
    """The smallest log end offset in the ISR, or None while some ISR follower's offset is unknown."""
    low = leader_leo
    for replica in isr:
        if replica == local_id:
            continue
        state = followers.get(replica)
        if state is None or state.log_end_offset == UNKNOWN_OFFSET:
            return None
        low = min(low, state.log_end_offset)
    return low


def out_of_sync_replicas(isr: Iterable[int], local_id: int, followers: dict[int, FollowerState], now_ms: int, lag_max_ms: int) -> list[int]:
    """ISR followers that have not been caught up for longer than replica.lag.time.max.ms."""
    out = []
    for replica in isr:
        if replica == local_id:
            continue
        state = followers.get(replica)
        caught_up = state.last_caught_up_ms if state is not None else 0
        if now_ms - caught_up > lag_max_ms:
            out.append(replica)
    return out


def can_join_isr(state: FollowerState, high_watermark: int, epoch_start_offset: int) -> bool:
    return state.log_end_offset != UNKNOWN_OFFSET and state.log_end_offset >= high_watermark and state.log_end_offset >= epoch_start_offset


@dataclass(slots=True)
class Partition:
    """A partition with a replica on this broker (leader or follower)."""

    topic: str
    index: int
    log: PartitionLog
    leader_epoch: int
    replicas: list[int]
    isr: list[int]
    leader: int = NO_LEADER
    local_id: int = 0
    partition_epoch: int = 0
    followers: dict[int, FollowerState] = field(default_factory=dict)
    pending_isr: list[int] | None = None  # ISR sent to the controller, not yet acknowledged
    leader_epoch_start_offset: int = 0
    controlled: bool = False  # set once a controller's LeaderAndIsr governs this partition

    @property
    def high_watermark(self) -> int:
        return self.log.high_watermark

    @property
    def is_leader(self) -> bool:
        return self.leader == self.local_id

    @property
    def maximal_isr(self) -> list[int]:
        if self.pending_isr is None:
            return self.isr
        return sorted(set(self.isr) | set(self.pending_isr))

    def become_leader(self, leader_epoch: int, isr: list[int], replicas: list[int], partition_epoch: int, now_ms: int) -> None:
        self.leader = self.local_id
        self.leader_epoch = leader_epoch
        self.isr = list(isr)
        self.replicas = list(replicas)
        self.partition_epoch = partition_epoch
        self.pending_isr = None
        self.controlled = True
        # Followers start unknown; ISR members count as caught up now, so they get replica.lag.time.max.ms to fetch.
        self.followers = {
            r: FollowerState(last_caught_up_ms=now_ms if r in isr else 0, last_fetch_ms=now_ms if r in isr else 0)
            for r in replicas
            if r != self.local_id
        }
        self.leader_epoch_start_offset = self.log.log_end_offset
        if leader_epoch >= 0:
            self.log.leader_epoch_cache.assign(leader_epoch, self.log.log_end_offset)
        self.maybe_advance_high_watermark()

    def become_follower(self, leader: int, leader_epoch: int, isr: list[int], replicas: list[int], partition_epoch: int) -> None:
        self.leader = leader
        self.leader_epoch = leader_epoch
        self.isr = list(isr)
        self.replicas = list(replicas)
        self.partition_epoch = partition_epoch
        self.pending_isr = None
        self.followers = {}
        self.controlled = True

    def maybe_advance_high_watermark(self) -> bool:
        """Moves the high watermark forward to the smallest LEO of the (maximal) ISR; True if it moved."""
        if not self.is_leader:
            return False
        isr = self.isr if self.pending_isr is None else self.maximal_isr
        if len(isr) == 1 and isr[0] == self.local_id:  # an ISR of just this leader (every embedded partition): the LEO
            candidate: int | None = self.log.log_end_offset
        else:
            candidate = high_watermark_candidate(self.log.log_end_offset, isr, self.local_id, self.followers)
        if candidate is None or candidate <= self.log.high_watermark:
            return False
        self.log.high_watermark = candidate
        return True

    def record_follower_fetch(self, replica_id: int, fetch_offset: int, now_ms: int) -> FollowerState | None:
        state = self.followers.get(replica_id)
        if state is None:
            return None
        state.record_fetch(fetch_offset, self.log.log_end_offset, now_ms)
        return state

    def isr_expansion(self, replica_id: int) -> list[int] | None:
        """The ISR to propose when `replica_id` has caught up and is outside it, else None."""
        if self.pending_isr is not None or replica_id in self.isr or replica_id not in self.replicas:
            return None
        state = self.followers.get(replica_id)
        if state is None or not can_join_isr(state, self.log.high_watermark, self.leader_epoch_start_offset):
            return None
        return sorted([*self.isr, replica_id])

    def isr_shrink(self, now_ms: int, lag_max_ms: int) -> list[int] | None:
        """The ISR to propose without the followers that fell behind, else None (never below the leader)."""
        if self.pending_isr is not None or not self.is_leader:
            return None
        lagging = out_of_sync_replicas(self.isr, self.local_id, self.followers, now_ms, lag_max_ms)
        if not lagging:
            return None
        return [r for r in self.isr if r not in lagging]
