"""Strom's on-disk layout against Apache Kafka 3.9: Kafka's DumpLogSegments reads Strom's segments, indexes
and time indexes; Strom reads the segment files a real Kafka broker wrote."""

import shutil
import time
import uuid
from pathlib import Path

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.records import BatchBuilder, iter_all_records, iter_batch_headers
from strom.storage.cleaner import LogCleaner
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.producer_state import decode_snapshot
from strom.storage.segment import Segment

pytestmark = pytest.mark.java

BAD_SIGNS = ("Mismatches", "mismatch", "out of order", "smaller than", "Exception", "corrupt", "isvalid: false")


def dump(kafka_tool, files: list[Path], *extra: str):
    result = kafka_tool("kafka-dump-log.sh", ["--files", ",".join(map(str, files)), *extra])
    assert result.returncode == 0, result.stderr[-3000:]
    for sign in BAD_SIGNS:
        assert sign not in result.stdout and sign not in result.stderr, (sign, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def write_strom_log(directory: Path) -> tuple[PartitionLog, list[tuple[int, bytes, bytes]]]:
    clock = ManualClock()
    lg = PartitionLog.open(directory, LogConfig(segment_bytes=3000, index_interval_bytes=200, cleanup_policy="compact"), clock)
    written = []
    for i in range(60):
        idempotent = i % 3 == 0
        b = BatchBuilder(
            compression_type=i % 5,
            producer_id=5 if idempotent else -1,
            producer_epoch=0 if idempotent else -1,
            base_sequence=(i // 3) * 3 if idempotent else -1,
        )
        for j in range(3):
            b.append(b"value-%d-%d" % (i, j), key=b"k%d" % ((i + j) % 7), timestamp=clock.now_ms() + i, headers=[("h", b"%d" % j)])
        first = lg.append_as_leader(b.build(), i // 20).first_offset
        written += [(first + j, b"k%d" % ((i + j) % 7), b"value-%d-%d" % (i, j)) for j in range(3)]
        lg.high_watermark = lg.log_end_offset
    return lg, written


def test_kafka_dump_log_reads_strom_segments_and_indexes(tmp_path, kafka_tool):
    lg, written = write_strom_log(tmp_path / "plain-0")
    lg.close()
    files = sorted(p for p in (tmp_path / "plain-0").iterdir() if p.suffix in (".log", ".index", ".timeindex", ".snapshot"))
    assert len(files) >= 7  # several segments and the producer snapshot
    out = dump(kafka_tool, files, "--deep-iteration", "--print-data-log", "--index-sanity-check")
    # the idempotent producer's last batch, from Strom's snapshot in Kafka's format
    assert "producerId: 5 producerEpoch: 0" in out and "lastSequence: 59" in out
    assert out.count("| offset:") == len(written)
    for offset, key, value in written:
        assert f"| offset: {offset} " in out
        assert f"key: {key.decode()} payload: {value.decode()}" in out
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        assert f"compresscodec: {codec}" in out
    assert "passed sanity check" in out
    dump(kafka_tool, files, "--verify-index-only")


def test_kafka_dump_log_reads_compacted_segments(tmp_path, kafka_tool):
    lg, written = write_strom_log(tmp_path / "compacted-0")
    lg.roll()
    stats = LogCleaner().clean(lg, lg.clock.now_ms(), force=True)
    assert stats is not None and stats.records_after < stats.records_before
    kept = [(r.offset, r.key, r.value) for _, r in iter_all_records(lg.read_bytes(0))]
    lg.close()
    files = sorted(p for p in (tmp_path / "compacted-0").iterdir() if p.suffix in (".log", ".index", ".timeindex"))
    out = dump(kafka_tool, files, "--deep-iteration", "--print-data-log", "--index-sanity-check")
    assert out.count("| offset:") == len(kept)
    for offset, key, value in kept:
        assert f"| offset: {offset} " in out and f"key: {key.decode()} payload: {value.decode()}" in out
    dump(kafka_tool, files, "--verify-index-only")


def test_strom_reads_segments_written_by_apache_kafka(apache_kafka, tmp_path):
    topic = f"layout-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": apache_kafka.bootstrap})
    config = {"segment.bytes": "4096", "index.interval.bytes": "256"}
    admin.create_topics([NewTopic(topic, 1, config=config)])[topic].result(30)
    sent = []
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        conf = {"compression.type": codec, "linger.ms": 5, "batch.size": 1500, "enable.idempotence": True}
        producer = ck.Producer({"bootstrap.servers": apache_kafka.bootstrap, **conf})
        for i in range(200):
            key = b"%s-%d" % (codec.encode(), i % 10)
            value = b"%s value %d " % (codec.encode(), i) + b"y" * (i % 40)
            producer.produce(topic, key=key, value=value, headers=[("n", b"%d" % i)])
            sent.append((key, value))
        assert producer.flush(30) == 0
    # Kafka writes through the page cache: a copy of its partition directory is what a crash would leave
    source = Path(apache_kafka.base) / "data" / f"{topic}-0"
    deadline = time.monotonic() + 10
    while len(list(source.glob("*.log"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    target = tmp_path / f"{topic}-0"
    shutil.copytree(source, target)
    kafka_files = {p.name for p in target.iterdir()}
    assert "leader-epoch-checkpoint" in kafka_files and len([n for n in kafka_files if n.endswith(".log")]) >= 3

    # Kafka's producer snapshots (written at each roll) decode with Strom's reader
    snapshots = sorted(target.glob("*.snapshot"))
    assert snapshots
    for snap in snapshots:
        for entry in decode_snapshot(snap.read_bytes()).values():
            assert entry.epoch == 0 and entry.batches[-1][1] >= 0

    # Kafka's own indexes of its closed segments are accepted as they are (no rebuild) and agree with ours
    bases = sorted(int(p.name[:20]) for p in target.glob("*.log"))
    for base in bases[:-1]:
        theirs = Segment(target, base, 256, 0)
        assert theirs.load_indexes(), f"Kafka's index of segment {base} was not accepted"
        assert theirs.index_positions, "Kafka wrote index entries"
        # the positions Kafka indexed are batch starts, keyed by the batch's last offset, as Strom indexes
        headers = dict(theirs.batch_headers())
        for offset, pos in zip(theirs.index_offsets, theirs.index_positions, strict=True):
            assert headers[pos].last_offset == offset
        assert theirs.time_entries == sorted(theirs.time_entries)
        theirs.close()

    lg = PartitionLog.open(target, LogConfig(segment_bytes=4096, index_interval_bytes=256), ManualClock(), recovery_point=bases[-1])
    try:
        got = [(r.key, r.value, r.headers) for _, r in iter_all_records(lg.read_bytes(0))]
        assert [(k, v) for k, v, _ in got] == sent
        assert [h for _, _, h in got] == [[("n", b"%d" % (i % 200))] for i in range(len(sent))]
        assert lg.log_end_offset == len(sent)
        codecs = {h.compression for _, h in iter_batch_headers(lg.read_bytes(0))}
        assert codecs == {0, 1, 2, 3, 4}
        assert lg.leader_epoch_cache.latest_epoch == 0
        # five idempotent producers, each with its last sequence (snapshot + replay of Kafka's batches)
        assert sorted(e.last_seq for e in lg.producer_state.producers.values()) == [199] * 5
        # and Strom appends after Kafka's data at the right offset
        assert lg.append_as_leader(_one(b"after"), 0).first_offset == len(sent)
        # ListOffsets by timestamp over Kafka's time index
        first_ts = next(iter_all_records(lg.read_bytes(0)))[1].timestamp
        assert lg.offset_for_timestamp(first_ts)[0] == 0
    finally:
        lg.close()


def _one(value: bytes) -> bytes:
    b = BatchBuilder()
    b.append(value)
    return b.build()
