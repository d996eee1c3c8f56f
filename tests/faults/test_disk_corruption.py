"""Segment and index files damaged while the broker is down -- truncated, or one bit flipped -- then opened.

Kafka's recovery rules, checked over a seeded campaign of damages: a segment past the recovery point (and the
last one) is scanned and truncated at its last valid batch, every unflushed segment after a damaged one goes
(so offsets stay contiguous), damaged indexes are rebuilt from the log, and each repair is logged. Opening and
reading never fail; what was not damaged is read back exactly. A bit flipped inside a flushed segment's
records is, as in Kafka, not looked for at start-up: the broker serves the batch and the consumer's CRC check
catches it -- but a damaged batch header there no longer breaks the fetch (CORRUPT_MESSAGE for the partition)."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog

CONFIG = LogConfig(segment_bytes=2000, index_interval_bytes=300)
BATCHES, PER_BATCH = 60, 3
RECORDS = BATCHES * PER_BATCH


def batch(i: int) -> bytes:
    b = BatchBuilder()
    for j in range(PER_BATCH):
        b.append(b"v%d.%d." % (i, j) + b"x" * 50, key=b"k", timestamp=1_700_000_000_000 + i)
    return b.build()


def damage(rnd: random.Random, directory: Path) -> tuple[Path, str]:
    files = sorted(p for p in directory.iterdir() if p.suffix in (".log", ".index", ".timeindex") and p.stat().st_size)
    target = rnd.choice(files)
    data = bytearray(target.read_bytes())
    kind = rnd.choice(["flip", "truncate"])
    if kind == "flip":
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
    else:
        del data[rnd.randrange(len(data)) :]
    target.write_bytes(bytes(data))
    return target, kind


def build(directory: Path) -> None:
    lg = PartitionLog.open(directory, CONFIG, ManualClock())
    for i in range(BATCHES):
        lg.append_as_leader(batch(i), 0)
    lg.close()


@pytest.mark.parametrize("seeds", [range(100), pytest.param(range(100, 2100), marks=pytest.mark.slow)], ids=["100", "2000"])
def test_damaged_files_recover_to_a_valid_log_and_say_so(tmp_path, seeds, caplog):
    for seed in seeds:
        rnd = random.Random(seed)
        directory = tmp_path / f"t-{seed}"
        build(directory)
        clean_shutdown = rnd.random() < 0.5  # the recovery point: everything, or nothing (a kill -9 before any flush)
        last_log = max(directory.glob("*.log"))
        target, kind = damage(rnd, directory)
        damaged_size = target.stat().st_size
        caplog.clear()
        with caplog.at_level(logging.INFO):
            lg = PartitionLog.open(directory, CONFIG, ManualClock(), recovery_point=RECORDS if clean_shutdown else 0)
        context = f"seed {seed}: {kind} {target.name}, clean={clean_shutdown}"
        trusted_records = target.suffix == ".log" and kind == "flip" and clean_shutdown and target != last_log
        # reading every offset by the broker's path never fails
        for offset in range(lg.log_start_offset, lg.log_end_offset):
            lg.read(offset, 1 << 20)
        lg.offset_for_timestamp(1_700_000_000_030)
        if not trusted_records:
            read = [(r.offset, r.value) for _, r in iter_all_records(lg.read_bytes(0))]
            offsets = [o for o, _ in read]
            assert all(v is not None and v.startswith(b"v%d.%d." % divmod(o, PER_BATCH)) for o, v in read), context
            if target.suffix != ".log":
                assert offsets == list(range(RECORDS)), context  # an index is only a cache of the log
            elif target == last_log or not clean_shutdown:
                assert offsets == list(range(len(offsets))) and lg.log_end_offset == len(offsets), context
                if target.exists() and target.stat().st_size < damaged_size:  # recovery cut it (not already at a batch end)
                    assert f"Found invalid messages in log segment {target}" in caplog.text, context
        # the log takes appends at its end
        end = lg.log_end_offset
        assert lg.append_as_leader(batch(999), 0).first_offset == end, context
        lg.close()


def test_a_broker_restarted_on_a_torn_segment_truncates_it_and_serves_the_rest(tmp_path):
    """kill -9, the last segment torn mid-batch and its index bit-flipped, restart: the broker logs the repair
    and serves every batch before the tear, and the partition takes appends after it."""
    import confluent_kafka as ck

    from strom.testing.broker import BrokerProcess

    with BrokerProcess(tmp_path / "broker") as broker:
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "batch.num.messages": 1})
        for i in range(20):
            producer.produce("torn", value=b"%d" % i, key=b"k")
            producer.flush(10)
        broker.kill()
        segment = tmp_path / "broker" / "data" / "torn-0" / "00000000000000000000.log"
        size = segment.stat().st_size
        with open(segment, "r+b") as f:
            f.truncate(size - 10)  # the last batch torn
        index = segment.with_suffix(".index")
        index.write_bytes(b"\xff" * 8 + index.read_bytes())  # an entry no batch has
        broker.start()
        consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "g", "auto.offset.reset": "earliest"})
        consumer.assign([ck.TopicPartition("torn", 0, 0)])
        values: list[bytes] = []
        while len(values) < 19:
            msg = consumer.poll(10)
            assert msg is not None and msg.error() is None
            values.append(msg.value())
        assert values == [b"%d" % i for i in range(19)]
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
        producer.produce("torn", value=b"after", key=b"k")
        assert producer.flush(10) == 0
        msg = consumer.poll(10)
        assert msg is not None and (msg.offset(), msg.value()) == (19, b"after")
        consumer.close()
        server_log = (broker.base / "logs" / "server.log").read_text()
        assert f"Found invalid messages in log segment {segment}" in server_log
