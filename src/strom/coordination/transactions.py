"""The transaction coordinator as a pure state machine (time passed in, no IO), as Kafka's
TransactionCoordinator and TransactionMetadata behave.

A transactional id maps to a producer id and epoch and to at most one transaction at a time:

    Empty/Complete* --AddPartitions/AddOffsets--> Ongoing --EndTxn--> PrepareCommit|PrepareAbort
        --markers written on every partition--> CompleteCommit|CompleteAbort

InitProducerId bumps the epoch, which fences any older producer with the same transactional id; an
ongoing transaction is then aborted first (the caller retries on CONCURRENT_TRANSACTIONS). A transaction
open longer than its timeout is aborted the same way (the epoch is bumped, so its producer is fenced).

Every change that must survive a restart is listed in `changed` (the service writes the id's record to
`__transaction_state`) and every transaction that needs markers in `pending_markers` (the service writes
them, then calls `markers_written`). `restore` rebuilds the state from the replayed records; transactions
found in a Prepare* state get their markers again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from strom.protocol.errors import ErrorCode
from strom.protocol.types import TP

EMPTY, ONGOING, PREPARE_COMMIT, PREPARE_ABORT, COMPLETE_COMMIT, COMPLETE_ABORT, DEAD, PREPARE_EPOCH_FENCE = range(8)
STATE_NAMES = {
    EMPTY: "Empty",
    ONGOING: "Ongoing",
    PREPARE_COMMIT: "PrepareCommit",
    PREPARE_ABORT: "PrepareAbort",
    COMPLETE_COMMIT: "CompleteCommit",
    COMPLETE_ABORT: "CompleteAbort",
    DEAD: "Dead",
    PREPARE_EPOCH_FENCE: "PrepareEpochFence",
}
STATES_BY_NAME = {name: state for state, name in STATE_NAMES.items()}
NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
MAX_EPOCH = 32767
_PREPARING = (PREPARE_COMMIT, PREPARE_ABORT, PREPARE_EPOCH_FENCE)


def epoch_exhausted(epoch: int) -> bool:
    """Kafka keeps the last epoch (Short.MaxValue) for fencing: at MaxValue - 1 a new producer id is due."""
    return epoch >= MAX_EPOCH - 1


@dataclass(frozen=True, slots=True)
class TxnConfig:
    max_timeout_ms: int = 900_000


@dataclass(slots=True)
class TxnMetadata:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: int = EMPTY
    partitions: set[TP] = field(default_factory=set)
    start_ms: int = -1
    last_update_ms: int = -1
    last_producer_id: int = NO_PRODUCER_ID
    last_producer_epoch: int = NO_PRODUCER_EPOCH

    def partitions_by_topic(self) -> dict[str, list[int]]:
        return group_by_topic(sorted(self.partitions))


def group_by_topic(partitions: Iterable[TP]) -> dict[str, list[int]]:
    """Partition indexes grouped by topic, in the order given: the shape of the transaction requests."""
    out: dict[str, list[int]] = {}
    for topic, index in partitions:
        out.setdefault(topic, []).append(index)
    return out


@dataclass(frozen=True, slots=True)
class MarkerJob:
    """Markers to write: one COMMIT or ABORT control batch on every partition of the transaction."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    commit: bool
    partitions: tuple[TP, ...]


class TransactionCoordinator:
    def __init__(self, config: TxnConfig) -> None:
        self.config = config
        self.txns: dict[str, TxnMetadata] = {}
        self.changed: list[str] = []  # ids whose record must be written, in order
        self.pending_markers: list[MarkerJob] = []
        self.expired: list[str] = []  # ids removed by transactional.id.expiration.ms: tombstones to write

    # ---- effects --------------------------------------------------------------------------------------

    def take_changed(self) -> list[str]:
        out, self.changed = self.changed, []
        return list(dict.fromkeys(out))

    def take_markers(self) -> list[MarkerJob]:
        out, self.pending_markers = self.pending_markers, []
        return out

    def _touch(self, m: TxnMetadata, now: int) -> None:
        m.last_update_ms = now
        self.changed.append(m.transactional_id)

    # ---- InitProducerId -------------------------------------------------------------------------------

    def init_producer_id(
        self,
        now: int,
        transactional_id: str,
        timeout_ms: int,
        expected_producer_id: int,
        expected_epoch: int,
        new_producer_id: Callable[[], int],
    ) -> tuple[int, int, int]:
        """(error, producer id, epoch). A new id gets a fresh producer id at epoch 0; a known one gets its
        epoch bumped (KIP-360: a producer that passes its id and epoch may bump them itself after an error,
        and a retry whose bump already happened gets the same answer)."""
        if timeout_ms <= 0 or timeout_ms > self.config.max_timeout_ms:
            return ErrorCode.INVALID_TRANSACTION_TIMEOUT, NO_PRODUCER_ID, NO_PRODUCER_EPOCH
        m = self.txns.get(transactional_id)
        if m is None:
            m = TxnMetadata(transactional_id, new_producer_id(), NO_PRODUCER_EPOCH, timeout_ms, last_update_ms=now)
            self.txns[transactional_id] = m
        if expected_producer_id >= 0 and not (
            m.producer_epoch == NO_PRODUCER_EPOCH
            or expected_producer_id == m.producer_id
            or (expected_producer_id == m.last_producer_id and epoch_exhausted(expected_epoch))
        ):
            return ErrorCode.PRODUCER_FENCED, NO_PRODUCER_ID, NO_PRODUCER_EPOCH
        if m.state in _PREPARING:
            return ErrorCode.CONCURRENT_TRANSACTIONS, NO_PRODUCER_ID, NO_PRODUCER_EPOCH
        if m.state == ONGOING:
            self._fence_and_abort(m, now)  # the client retries once the abort has completed
            return ErrorCode.CONCURRENT_TRANSACTIONS, NO_PRODUCER_ID, NO_PRODUCER_EPOCH
        if expected_producer_id >= 0 and expected_producer_id == m.last_producer_id and m.producer_id != expected_producer_id:
            return ErrorCode.NONE, m.producer_id, m.producer_epoch  # a retry of the bump that gave a new id
        if epoch_exhausted(m.producer_epoch):
            m.last_producer_id, m.producer_id = m.producer_id, new_producer_id()
            m.last_producer_epoch, m.producer_epoch = NO_PRODUCER_EPOCH, 0
        elif expected_producer_id < 0:
            m.last_producer_epoch, m.producer_epoch = NO_PRODUCER_EPOCH, m.producer_epoch + 1
        elif m.producer_epoch == NO_PRODUCER_EPOCH or expected_epoch == m.producer_epoch:
            m.last_producer_epoch, m.producer_epoch = m.producer_epoch, m.producer_epoch + 1
        elif expected_epoch != m.last_producer_epoch:
            return ErrorCode.PRODUCER_FENCED, NO_PRODUCER_ID, NO_PRODUCER_EPOCH
        # else: the retry of a bump already made -- the same id and epoch again
        m.timeout_ms = timeout_ms
        m.state = EMPTY
        m.partitions = set()
        m.start_ms = -1
        self._touch(m, now)
        return ErrorCode.NONE, m.producer_id, m.producer_epoch

    def _fence_and_abort(self, m: TxnMetadata, now: int) -> None:
        """Bumps the epoch (the producer of the open transaction is fenced) and aborts the transaction."""
        if not epoch_exhausted(m.producer_epoch):
            m.producer_epoch += 1
        m.last_producer_epoch = NO_PRODUCER_EPOCH
        self._prepare(m, False, now)

    def _prepare(self, m: TxnMetadata, commit: bool, now: int) -> None:
        m.state = PREPARE_COMMIT if commit else PREPARE_ABORT
        self._touch(m, now)
        self.pending_markers.append(MarkerJob(m.transactional_id, m.producer_id, m.producer_epoch, commit, tuple(sorted(m.partitions))))

    # ---- the transaction's calls ----------------------------------------------------------------------

    def _check_producer(self, transactional_id: str, producer_id: int, epoch: int) -> tuple[int, TxnMetadata | None]:
        m = self.txns.get(transactional_id)
        if m is None or m.producer_id != producer_id:
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING, None
        if m.producer_epoch != epoch:
            return ErrorCode.PRODUCER_FENCED, None
        return ErrorCode.NONE, m

    def add_partitions(self, now: int, transactional_id: str, producer_id: int, epoch: int, partitions: list[TP]) -> int:
        error, m = self._check_producer(transactional_id, producer_id, epoch)
        if m is None:
            return error
        if m.state in _PREPARING:
            return ErrorCode.CONCURRENT_TRANSACTIONS
        if m.state == DEAD:
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING
        if m.state == ONGOING and all(tp in m.partitions for tp in partitions):
            return ErrorCode.NONE  # nothing new: nothing to write
        if m.state != ONGOING:
            m.start_ms = now
            m.partitions = set()
        m.state = ONGOING
        m.partitions.update(partitions)
        self._touch(m, now)
        return ErrorCode.NONE

    def verify_partition(self, transactional_id: str, producer_id: int, epoch: int, partition: TP) -> int:
        """Kafka 3.6+'s transaction verification: a transactional write is accepted only for a partition
        the producer added to its ongoing transaction."""
        m = self.txns.get(transactional_id)
        if m is None or m.producer_id != producer_id:
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING
        if epoch < m.producer_epoch:
            return ErrorCode.INVALID_PRODUCER_EPOCH
        if m.producer_epoch != epoch or m.state != ONGOING or partition not in m.partitions:
            return ErrorCode.INVALID_TXN_STATE
        return ErrorCode.NONE

    def end_txn(self, now: int, transactional_id: str, producer_id: int, epoch: int, commit: bool) -> int:
        error, m = self._check_producer(transactional_id, producer_id, epoch)
        if m is None:
            return error
        state = m.state
        if state == ONGOING:
            self._prepare(m, commit, now)
            return ErrorCode.NONE
        if state == COMPLETE_COMMIT:
            return ErrorCode.NONE if commit else ErrorCode.INVALID_TXN_STATE
        if state == COMPLETE_ABORT:
            return ErrorCode.NONE if not commit else ErrorCode.INVALID_TXN_STATE
        if state == PREPARE_COMMIT:
            return ErrorCode.CONCURRENT_TRANSACTIONS if commit else ErrorCode.INVALID_TXN_STATE
        if state == PREPARE_ABORT:
            return ErrorCode.CONCURRENT_TRANSACTIONS if not commit else ErrorCode.INVALID_TXN_STATE
        if state == PREPARE_EPOCH_FENCE:
            return ErrorCode.PRODUCER_FENCED
        return ErrorCode.INVALID_TXN_STATE  # Empty, Dead

    def markers_written(self, now: int, job: MarkerJob) -> None:
        """Every partition has its marker: the transaction is complete."""
        m = self.txns.get(job.transactional_id)
        if m is None or m.producer_id != job.producer_id or m.producer_epoch != job.producer_epoch:
            return
        if m.state not in (PREPARE_COMMIT, PREPARE_ABORT):
            return
        m.state = COMPLETE_COMMIT if m.state == PREPARE_COMMIT else COMPLETE_ABORT
        m.partitions = set()
        self._touch(m, now)

    # ---- time -----------------------------------------------------------------------------------------

    def abort_timed_out(self, now: int) -> list[str]:
        """Kafka's abortTimedOutTransactions: an Ongoing transaction older than its timeout is aborted with
        a bumped epoch. Returns the ids aborted."""
        out = []
        for m in self.txns.values():
            if m.state == ONGOING and m.start_ms >= 0 and now - m.start_ms > m.timeout_ms:
                self._fence_and_abort(m, now)
                out.append(m.transactional_id)
        return out

    def expire_ids(self, now: int, expiration_ms: int) -> list[str]:
        """transactional.id.expiration.ms: an id with no transaction in progress and no update for that
        long is forgotten (its record gets a tombstone); a producer using it later starts afresh."""
        gone = [
            m.transactional_id
            for m in self.txns.values()
            if m.state in (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT) and now - m.last_update_ms > expiration_ms
        ]
        for txn_id in gone:
            del self.txns[txn_id]
        self.expired.extend(gone)
        return gone

    def take_expired(self) -> list[str]:
        out, self.expired = self.expired, []
        return out

    def next_timeout(self) -> int | None:
        deadlines = [m.start_ms + m.timeout_ms for m in self.txns.values() if m.state == ONGOING and m.start_ms >= 0]
        return min(deadlines) if deadlines else None

    # ---- loading --------------------------------------------------------------------------------------

    def apply_record(self, transactional_id: str, m: TxnMetadata | None) -> None:
        """A replayed `__transaction_state` record (None: a tombstone)."""
        if m is None:
            self.txns.pop(transactional_id, None)
        else:
            self.txns[transactional_id] = m

    def resume(self, now: int) -> list[str]:
        """After loading: transactions caught between Prepare* and Complete* get their markers again, and a
        PrepareEpochFence becomes the abort it was heading for. Returns the ids resumed."""
        out = []
        for m in self.txns.values():
            if m.state in (PREPARE_COMMIT, PREPARE_ABORT):
                commit = m.state == PREPARE_COMMIT
                self.pending_markers.append(
                    MarkerJob(m.transactional_id, m.producer_id, m.producer_epoch, commit, tuple(sorted(m.partitions)))
                )
                out.append(m.transactional_id)
            elif m.state == PREPARE_EPOCH_FENCE:
                self._prepare(m, False, now)
                out.append(m.transactional_id)
        return out

    def unload(self, keep: Callable[[str], bool]) -> None:
        for txn_id in [t for t in self.txns if not keep(t)]:
            del self.txns[txn_id]

    # ---- describe / list ------------------------------------------------------------------------------

    def describe(self, transactional_id: str) -> TxnMetadata | None:
        return self.txns.get(transactional_id)

    def list(self, states: set[int] | None, producer_ids: set[int] | None, min_duration_ms: int, now: int) -> list[TxnMetadata]:
        out = []
        for m in self.txns.values():
            if states and m.state not in states:
                continue
            if producer_ids and m.producer_id not in producer_ids:
                continue
            if min_duration_ms >= 0 and now - m.start_ms <= min_duration_ms:
                continue  # Kafka: running (since its last start) no longer than the filter
            out.append(m)
        return out
