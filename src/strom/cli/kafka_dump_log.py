"""kafka-dump-log.sh (DumpLogSegments): print the batches, records and index entries of segment files.

Reads the files directly (no broker), so it works on Strom's and Apache Kafka's log directories alike:
both use Kafka's on-disk format (RecordBatch v2 in .log, 8-byte offset index entries, 12-byte time index entries).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterator
from typing import TextIO

from strom.cli.common import KafkaArgumentParser
from strom.protocol import records as rb
from strom.protocol.errors import CorruptMessage

CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
DELETE_HORIZON_MASK = 0x40
_OFFSET_ENTRY = struct.Struct(">ii")
_TIME_ENTRY = struct.Struct(">qi")
_CONTROL_KEY = struct.Struct(">hh")
_TXN_MARKER = struct.Struct(">hi")


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-dump-log.sh", description="This tool helps to parse a log file and dump its contents to the console."
    )
    p.add_argument("--files", required=True, help="REQUIRED: The comma separated list of data and index log files to be dumped.")
    p.add_argument("--print-data-log", action="store_true", help="If set, printing the messages content when dumping data logs.")
    p.add_argument("--deep-iteration", action="store_true", help="If set, uses deep instead of shallow iteration.")
    p.add_argument("--verify-index-only", action="store_true", help="If set, just verify the index log without printing its content.")
    p.add_argument("--index-sanity-check", action="store_true", help="If set, just checks the index sanity without printing its content.")
    p.add_argument("--skip-record-metadata", action="store_true", help="Whether to skip printing metadata for each record.")
    p.add_argument("--max-bytes", type=int, default=2**31 - 1, help="Limit the amount of total batches read in bytes.")
    p.add_argument("--max-message-size", type=int, default=5 * 1024 * 1024, help="Size of largest message (accepted).")
    p.add_argument("--key-decoder-class", help="Accepted for compatibility; keys are printed as UTF-8 text.")
    p.add_argument("--value-decoder-class", help="Accepted for compatibility; values are printed as UTF-8 text.")
    p.add_argument("--offsets-decoder", action="store_true", help="Accepted for compatibility (not decoded yet).")
    p.add_argument("--transaction-log-decoder", action="store_true", help="Accepted for compatibility (not decoded yet).")
    return p


def base_offset_of(path: str) -> int:
    name = os.path.basename(path).split(".")[0]
    return int(name) if name.isdigit() else 0


def text(data: bytes | None) -> str:
    return "null" if data is None else data.decode("utf-8", "replace")


def iter_file_batches(data: bytes, max_bytes: int) -> Iterator[tuple[int, rb.BatchHeader | None, str | None]]:
    """(position, header, error) for each batch; an error ends the file as Kafka's tool reports it."""
    pos = 0
    limit = min(len(data), max_bytes)
    while pos + rb.LOG_OVERHEAD <= limit:
        length = struct.unpack_from(">i", data, pos + 8)[0]
        if length == 0 and not any(data[pos : pos + rb.LOG_OVERHEAD]):
            return  # zero padding of a preallocated segment
        if pos + rb.LOG_OVERHEAD + length > len(data):
            yield pos, None, "truncated batch"
            return
        if pos + rb.LOG_OVERHEAD + length > limit:
            return
        try:
            yield pos, rb.read_batch_header(data, pos), None
        except CorruptMessage as exc:
            yield pos, None, str(exc)
            return
        pos += rb.LOG_OVERHEAD + length


def batch_line(pos: int, h: rb.BatchHeader, valid: bool) -> str:
    ts_kind = "LogAppendTime" if h.timestamp_type else "CreateTime"
    horizon = f"OptionalLong[{h.base_timestamp}]" if h.attributes & DELETE_HORIZON_MASK else "OptionalLong.empty"
    return (
        f"baseOffset: {h.base_offset} lastOffset: {h.last_offset} count: {h.records_count} baseSequence: {h.base_sequence} "
        f"lastSequence: {h.last_sequence} producerId: {h.producer_id} producerEpoch: {h.producer_epoch} "
        f"partitionLeaderEpoch: {h.partition_leader_epoch} isTransactional: {str(h.is_transactional).lower()} "
        f"isControl: {str(h.is_control).lower()} deleteHorizonMs: {horizon} position: {pos} {ts_kind}: {h.max_timestamp} "
        f"size: {h.size} magic: {h.magic} compresscodec: {CODEC_NAMES.get(h.compression, 'unknown')} crc: {h.crc} "
        f"isvalid: {str(valid).lower()}"
    )


def control_text(key: bytes | None, value: bytes | None) -> str:
    """Control records: transaction markers (type 0 abort, 1 commit) as Kafka prints them."""
    if key is None or len(key) < 4:
        return "unknown control record"
    _, kind = _CONTROL_KEY.unpack_from(key)
    if kind in (0, 1) and value is not None and len(value) >= 6:
        _, coordinator_epoch = _TXN_MARKER.unpack_from(value)
        return f"endTxnMarker: {'COMMIT' if kind == 1 else 'ABORT'} coordinatorEpoch: {coordinator_epoch}"
    return f"controlType: {kind}"


def dump_log(path: str, data: bytes, a: argparse.Namespace, out: TextIO) -> None:
    out.write(f"Log starting offset: {base_offset_of(path)}\n")
    deep = a.deep_iteration or a.print_data_log
    for pos, header, error in iter_file_batches(data, a.max_bytes):
        if header is None:
            out.write(f"Found {len(data) - pos} invalid bytes at the end of {os.path.basename(path)} ({error})\n")
            return
        out.write(batch_line(pos, header, rb.crc_ok(data, pos, header)) + "\n")
        if not deep:
            continue
        try:
            records = list(_iter_raw_records(data, pos, header))
        except (CorruptMessage, ValueError) as exc:
            out.write(f"Could not read the records of the batch at position {pos}: {exc}\n")
            continue
        for offset, timestamp, key, value, header_keys in records:
            line = ""
            if not a.skip_record_metadata:
                sequence = (header.base_sequence + offset - header.base_offset) & 0x7FFFFFFF if header.base_sequence >= 0 else -1
                line = (
                    f"| offset: {offset} {'LogAppendTime' if header.timestamp_type else 'CreateTime'}: {timestamp} "
                    f"keySize: {-1 if key is None else len(key)} valueSize: {-1 if value is None else len(value)} "
                    f"sequence: {sequence} headerKeys: [{','.join(header_keys)}]"
                )
            if header.is_control:
                if not a.skip_record_metadata:  # Kafka prints the marker as part of the record's metadata
                    line += " " + control_text(key, value)
            elif a.print_data_log:
                # Kafka's layout: a key only when there is one, a payload only when the value is not null.
                if key is not None:
                    line += ("| " if a.skip_record_metadata else " ") + f"key: {text(key)}"
                if value is not None:
                    line += f" payload: {text(value)}"
            out.write(line + "\n")


def _iter_raw_records(data: bytes, pos: int, header: rb.BatchHeader) -> Iterator[tuple[int, int, bytes | None, bytes | None, list[str]]]:
    for r in rb.iter_records(data, pos):
        yield r.offset, r.timestamp, r.key, r.value, [k for k, _ in r.headers]


def dump_offset_index(path: str, data: bytes, out: TextIO) -> None:
    base = base_offset_of(path)
    for i in range(len(data) // _OFFSET_ENTRY.size):
        relative, position = _OFFSET_ENTRY.unpack_from(data, i * _OFFSET_ENTRY.size)
        if i > 0 and relative == 0 and position == 0:
            break  # the unused, preallocated tail
        out.write(f"offset: {base + relative} position: {position}\n")


def dump_time_index(path: str, data: bytes, out: TextIO) -> None:
    base = base_offset_of(path)
    for i in range(len(data) // _TIME_ENTRY.size):
        timestamp, relative = _TIME_ENTRY.unpack_from(data, i * _TIME_ENTRY.size)
        if i > 0 and timestamp == 0 and relative == 0:
            break
        out.write(f"timestamp: {timestamp} offset: {base + relative}\n")


def dump_file(path: str, a: argparse.Namespace, out: TextIO) -> bool:
    out.write(f"Dumping {path}\n")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        print(f"Error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return False
    suffix = os.path.basename(path).rsplit(".", 1)[-1] if "." in os.path.basename(path) else ""
    if suffix == "log":
        dump_log(path, data, a, out)
    elif suffix == "index":
        if not (a.verify_index_only or a.index_sanity_check):
            dump_offset_index(path, data, out)
        else:
            out.write(f"{path} passed sanity check.\n" if len(data) % _OFFSET_ENTRY.size == 0 else f"{path} is corrupt.\n")
    elif suffix == "timeindex":
        if not (a.verify_index_only or a.index_sanity_check):
            dump_time_index(path, data, out)
        else:
            out.write(f"{path} passed sanity check.\n" if len(data) % _TIME_ENTRY.size == 0 else f"{path} is corrupt.\n")
    else:
        print(f"Ignoring unknown file {path}", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    ok = True
    out = sys.stdout
    try:
        for path in (p.strip() for p in a.files.split(",")):
            if path:
                ok = dump_file(path, a, out) and ok
        out.flush()
    except BrokenPipeError:
        return 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
