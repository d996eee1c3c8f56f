"""The coordinators' replay of an internal-topic partition, on a real PartitionLog in a temp dir."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.broker.coordinator_loader import replay
from strom.broker.transaction_service import build_marker
from strom.cluster.partition_state import Partition
from strom.protocol.records import BatchBuilder, Record
from strom.storage.clock import SystemClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog

log = logging.getLogger("test.coordinator_loader")


@pytest.fixture
def part(tmp_path: Path) -> Iterator[Partition]:
    plog = PartitionLog.open(tmp_path / "__consumer_offsets-0", LogConfig(), SystemClock())
    yield Partition("__consumer_offsets", 0, plog, 0, [1], [1], 1, local_id=1)
    plog.close()


def _append(part: Partition, keys: list[bytes], producer_id: int = -1) -> None:
    builder = BatchBuilder(producer_id=producer_id, producer_epoch=0 if producer_id >= 0 else -1, is_transactional=producer_id >= 0)
    for key in keys:
        builder.append(b"v", key=key, timestamp=0)
    part.log.append_as_leader(builder.build(), 0)


def _marker(part: Partition, producer_id: int, commit: bool) -> None:
    part.log.append_as_leader(build_marker(producer_id, 0, commit, 0, 0), 0)


def test_replay_applies_records_in_the_order_they_take_effect(part: Partition) -> None:
    _append(part, [b"a"])
    _append(part, [b"committed"], producer_id=7)
    _append(part, [b"aborted"], producer_id=8)
    _append(part, [b"b"])
    _marker(part, 8, commit=False)
    _marker(part, 7, commit=True)
    _append(part, [b"open"], producer_id=9)  # no marker yet: not in effect
    seen: list[bytes | None] = []

    def apply(record: Record) -> bool:
        seen.append(record.key)
        return True

    assert replay(part, apply, log) == 3
    assert seen == [b"a", b"b", b"committed"]


def test_replay_skips_unreadable_records_and_counts_only_what_apply_took(part: Partition, caplog: pytest.LogCaptureFixture) -> None:
    _append(part, [b"good", b"bad", b"ignored", b"good"])

    def apply(record: Record) -> bool:
        if record.key == b"bad":
            raise ValueError("unreadable")
        return record.key == b"good"

    with caplog.at_level(logging.WARNING, logger=log.name):
        assert replay(part, apply, log) == 2
    assert "Skipping unreadable record at offset 1 of __consumer_offsets-0" in caplog.text
