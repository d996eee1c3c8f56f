"""Offsets committed inside transactions (TxnOffsetCommit), as the `__consumer_offsets` log holds them.

Such offsets are a transactional batch of the producer; they take effect at the transaction's COMMIT
marker on the same partition and never if it aborts, so a loader must read the log in that order.
"""

from __future__ import annotations

from collections.abc import Iterator

from strom.protocol.records import Record, iter_batch_headers, iter_records
from strom.storage.txn_index import CONTROL_COMMIT, control_type


def committed_records(data: bytes, open_txns: dict[int, list[Record]] | None = None) -> Iterator[Record]:
    """Records of a `__consumer_offsets` log in the order they take effect: a transaction's offsets at its
    COMMIT marker, never if it aborted. Records of transactions still open at the end go to `open_txns`
    (producer id -> records) when given."""
    pending: dict[int, list[Record]] = {}
    for pos, header in iter_batch_headers(data):
        if not header.is_transactional:
            yield from iter_records(data, pos)
        elif header.is_control:
            records = pending.pop(header.producer_id, [])
            if control_type(data, pos) == CONTROL_COMMIT:
                yield from records
        else:
            pending.setdefault(header.producer_id, []).extend(iter_records(data, pos))
    if open_txns is not None:
        for pid, records in pending.items():
            open_txns.setdefault(pid, []).extend(records)
