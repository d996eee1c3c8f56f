"""Replays a partition of an internal topic (`__consumer_offsets`, `__transaction_state`) into a coordinator.

Both coordinators rebuild their state the same way when they start or become a partition's leader: read the
partition from its log start, in the order its records take effect (a transaction's records at its COMMIT
marker, never if it aborted), and apply each; a record that cannot be read is skipped with a warning, as
Kafka's CoordinatorLoader does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from strom.cluster.partition_state import Partition
from strom.coordination.transaction_offsets import committed_records
from strom.protocol.records import Record


def replay(part: Partition, apply: Callable[[Record], bool], log: logging.Logger) -> int:
    """Applies every record of the partition; returns how many `apply` took (it answers False for a record
    it ignores)."""
    count = 0
    for record in committed_records(part.log.read_bytes(part.log.log_start_offset)):
        try:
            if apply(record):
                count += 1
        except Exception:  # an unreadable record is skipped, as Kafka's loader does
            log.warning("Skipping unreadable record at offset %d of %s-%d", record.offset, part.topic, part.index)
    return count
