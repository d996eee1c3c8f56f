"""Protocol codec throughput: Strom's compiled codecs side by side with kafka-python's and kio's, in one run.

Cases (the messages a broker handles most, at the versions current clients send):
  produce request   decode / encode, 100 partitions x 1 batch (10 records of 100 B)
  fetch response    encode / decode, 100 partitions x 16 KiB of records
  metadata response encode / decode, 10 topics x 100 partitions x 3 replicas (1000 partitions)
  1 MiB record batch: header + CRC32C verify + base offset rewrite; CRC32C alone
The other libraries get the very same content: their message objects are made by decoding Strom's bytes, and each
library's output is checked to be the same size as Strom's before it is timed. Figures are calls per CPU-second
of this process, best of --repeat alternating runs of about --seconds each: on a shared machine, wall-clock rates
mostly measure the neighbours' load.

    python bench/protocol_bench.py [--seconds 0.3] [--repeat 3] [--markdown] [--update-docs docs/PERFORMANCE.md]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import crc32c

from strom.checksum import IMPLEMENTATION as CRC32C_IMPLEMENTATION
from strom.checksum import crc32c as strom_crc32c
from strom.protocol import compiler
from strom.protocol.records import BatchBuilder, crc_ok, read_batch_header, set_base_offset
from strom.protocol.schema.fetch import FetchableTopicResponse, FetchResponse, PartitionData
from strom.protocol.schema.metadata import (
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData

PRODUCE_VERSION = 9  # librdkafka 2.x and kio's newest common version; flexible
FETCH_VERSION = 12  # flexible, topics by name (what librdkafka and kafka-python send)
METADATA_VERSION = 12


def _batch(records: int, size: int) -> bytes:
    builder = BatchBuilder(producer_id=1000, producer_epoch=0, base_sequence=0)
    for i in range(records):
        builder.append(os.urandom(size), key=b"key-%d" % i, timestamp=1_700_000_000_000 + i)
    return builder.build()


def produce_request() -> ProduceRequest:
    batch = _batch(10, 100)
    topics = [
        TopicProduceData(name=f"topic-{t}", partition_data=[PartitionProduceData(index=p, records=batch) for p in range(10)])
        for t in range(10)
    ]
    return ProduceRequest(acks=-1, timeout_ms=30_000, topic_data=topics)


def fetch_response() -> FetchResponse:
    records = _batch(150, 100)[: 16 * 1024]
    topics = [
        FetchableTopicResponse(
            topic=f"topic-{t}",
            partitions=[
                PartitionData(partition_index=p, high_watermark=123_456, last_stable_offset=123_456, log_start_offset=0, records=records)
                for p in range(10)
            ],
        )
        for t in range(10)
    ]
    return FetchResponse(session_id=0, responses=topics)


def metadata_response() -> MetadataResponse:
    brokers = [MetadataResponseBroker(node_id=i, host=f"broker-{i}.example.com", port=9092, rack=None) for i in range(3)]
    topics = [
        MetadataResponseTopic(
            name=f"topic-{t}",
            partitions=[
                MetadataResponsePartition(
                    partition_index=p,
                    leader_id=p % 3,
                    leader_epoch=5,
                    replica_nodes=[p % 3, (p + 1) % 3, (p + 2) % 3],
                    isr_nodes=[p % 3, (p + 1) % 3, (p + 2) % 3],
                    offline_replicas=[],
                )
                for p in range(100)
            ],
        )
        for t in range(10)
    ]
    return MetadataResponse(brokers=brokers, cluster_id="strom-bench", controller_id=0, topics=topics)


# ---- the other codecs ---------------------------------------------------------------------------------


class KafkaPython:
    name = "kafka-python"

    def __init__(self) -> None:
        from kafka.protocol.consumer.fetch import FetchResponse as Fetch
        from kafka.protocol.metadata.metadata import MetadataResponse as Metadata
        from kafka.protocol.producer.produce import ProduceRequest as Produce

        self.classes = {"ProduceRequest": Produce, "FetchResponse": Fetch, "MetadataResponse": Metadata}

    def decoder(self, msg_name: str, version: int) -> Callable[[bytes], Any]:
        cls = self.classes[msg_name]
        return lambda raw: cls.decode(raw, version=version)

    def encoder(self, msg_name: str, version: int, raw: bytes) -> Callable[[], bytes]:
        obj = self.classes[msg_name].decode(raw, version=version)
        obj._header = None  # decoded objects skip __init__, which encode() expects to have set this slot
        return lambda: obj.encode(version=version)


class Kio:
    name = "kio"

    def __init__(self) -> None:
        import kio.serial

        self.serial = kio.serial

    def _cls(self, msg_name: str, version: int) -> type:
        import importlib

        kind = "response" if msg_name.endswith("Response") else "request"
        snake = {"ProduceRequest": "produce", "FetchResponse": "fetch", "MetadataResponse": "metadata"}[msg_name]
        return getattr(importlib.import_module(f"kio.schema.{snake}.v{version}.{kind}"), msg_name)  # type: ignore[no-any-return]

    def decoder(self, msg_name: str, version: int) -> Callable[[bytes], Any]:
        reader = self.serial.entity_reader(self._cls(msg_name, version))
        return lambda raw: reader(memoryview(raw), 0)

    def encoder(self, msg_name: str, version: int, raw: bytes) -> Callable[[], bytes]:
        cls = self._cls(msg_name, version)
        obj, _ = self.serial.entity_reader(cls)(memoryview(raw), 0)
        writer = self.serial.entity_writer(cls)

        def encode() -> bytes:
            buf = io.BytesIO()
            writer(buf, obj)
            return buf.getvalue()

        return encode


# ---- timing -------------------------------------------------------------------------------------------


def _calibrate(fn: Callable[[], Any], seconds: float) -> int:
    """Calls per timed chunk, so that clock reads stay negligible (a chunk takes ~seconds/10)."""
    fn()
    n = 1
    while True:
        start = time.process_time()
        for _ in range(n):
            fn()
        if time.process_time() - start > seconds / 10:
            return n
        n *= 2


def measure(fns: dict[str, Callable[[], Any]], seconds: float, repeat: int) -> dict[str, float]:
    """Best calls per CPU-second of each function. The runs of the libraries alternate and the clock is this
    process's CPU time, so load from other processes on a shared machine skews the comparison as little as it can."""
    chunks = {name: _calibrate(fn, seconds) for name, fn in fns.items()}
    best = dict.fromkeys(fns, 0.0)
    for _ in range(repeat):
        for name, fn in fns.items():
            n = chunks[name]
            start = time.process_time()
            done = 0
            while time.process_time() - start < seconds:
                for _ in range(n):
                    fn()
                done += n
            best[name] = max(best[name], done / (time.process_time() - start))
    return best


def run(seconds: float, repeat: int) -> list[dict[str, Any]]:
    others: list[Any] = []
    for lib in (KafkaPython, Kio):
        try:
            others.append(lib())
        except ImportError as exc:  # the dev-only oracles may be absent
            print(f"skipping {lib.name}: {exc}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    cases = [
        ("produce request, 100 partitions x 1 batch", produce_request(), PRODUCE_VERSION, ("decode", "encode")),
        ("fetch response, 100 partitions x 16 KiB", fetch_response(), FETCH_VERSION, ("encode", "decode")),
        ("metadata response, 1000 partitions", metadata_response(), METADATA_VERSION, ("encode", "decode")),
    ]
    for title, msg, version, ops in cases:
        raw = msg.encode(version)
        cls = type(msg)
        msg_name = cls.__name__
        for op in ops:
            row: dict[str, Any] = {"case": f"{title}: {op} v{version}", "bytes": len(raw)}
            fns: dict[str, Callable[[], Any]] = {}
            if op == "decode":
                fns["strom"] = lambda cls=cls, raw=raw, version=version: cls.decode(raw, version)
                if compiler.native_decoding():  # the pure-Python reference decoder, for comparison
                    reference = compiler.python_decoder(cls, version)
                    fns[PY] = lambda dec=reference, raw=raw: dec(raw, 0)
            else:
                fns["strom"] = lambda msg=msg, version=version: msg.encode(version)
            for lib in others:
                try:
                    if op == "decode":
                        dec = lib.decoder(msg_name, version)
                        dec(raw)
                        fns[lib.name] = lambda dec=dec, raw=raw: dec(raw)
                    else:
                        enc = lib.encoder(msg_name, version, raw)
                        produced = enc()
                        if len(produced) != len(raw):
                            raise ValueError(f"encodes {len(produced)} bytes, Strom {len(raw)}")
                        fns[lib.name] = enc
                except Exception as exc:  # noqa: BLE001 - a library that cannot do a case gets a note, not a crash
                    row[lib.name] = f"n/a ({type(exc).__name__}: {str(exc)[:40]})"
            row.update(measure(fns, seconds, repeat))
            rows.append(row)
    fetch = cases[1][1]
    row = {"case": f"fetch response, 100 partitions x 16 KiB: encode_parts v{FETCH_VERSION} (the broker's call)"}
    row["bytes"] = len(fetch.encode(FETCH_VERSION))
    row.update(measure({"strom": lambda: fetch.encode_parts(FETCH_VERSION)}, seconds, repeat))
    row["kafka-python"] = row["kio"] = "-"
    rows.append(row)
    rows.extend(_batch_rows(seconds, repeat))
    rows.extend(_bound_rows(seconds, repeat))
    return rows


def _batch_rows(seconds: float, repeat: int) -> list[dict[str, Any]]:
    batch = bytearray(_batch(1024, 1000))  # ~1 MiB
    view = memoryview(batch)

    def strom_check() -> None:
        header = read_batch_header(view, 0)
        if not crc_ok(view, 0, header):
            raise AssertionError("crc")
        set_base_offset(view, 0, 42)

    row: dict[str, Any] = {"case": "1 MiB record batch: header + CRC32C verify + base offset rewrite", "bytes": len(batch)}
    fns: dict[str, Callable[[], Any]] = {"strom": strom_check}
    try:
        from kafka.record.default_records import DefaultRecordBatch

        def kp_check() -> None:
            if not DefaultRecordBatch(batch).validate_crc():
                raise AssertionError("crc")

        fns["kafka-python"] = kp_check
    except ImportError:
        row["kafka-python"] = "n/a"
    row.update(measure(fns, seconds, repeat))
    row["kio"] = "n/a (no record codec)"
    crc_row: dict[str, Any] = {"case": "CRC32C of 1 MiB (kafka-python: the crc32c library)", "bytes": len(batch)}
    crc_row["kio"] = "-"
    crc_row.update(measure({"strom": lambda: strom_crc32c(view), "kafka-python": lambda: crc32c.crc32c(view)}, seconds, repeat))
    return [row, crc_row]


def _bound_rows(seconds: float, repeat: int) -> list[dict[str, Any]]:
    """What bounds the 1 MiB batch case: the CRC32C rate in cache and out of it (the same GB/s at 64 KiB as at
    1 MiB means the CRC instructions, not memory, set the pace) and the 1 MiB copy kafka-python makes first."""
    rows = []
    for label, size in (("64 KiB (in L2)", 64 << 10), ("16 MiB (beyond L2)", 16 << 20)):
        view = memoryview(os.urandom(size))
        row: dict[str, Any] = {"case": f"bound: CRC32C of {label}", "bytes": size, "kio": "-"}
        fns = {"strom": lambda view=view: strom_crc32c(view), "kafka-python": lambda view=view: crc32c.crc32c(view)}
        row.update(measure(fns, seconds, repeat))
        rows.append(row)
    batch = _batch(1024, 1000)
    row = {"case": "bound: bytearray copy of 1 MiB (kafka-python's DefaultRecordBatch does it first)", "bytes": len(batch)}
    row.update({"kafka-python": "-", "kio": "-"})
    row.update(measure({"strom": lambda: bytearray(batch)}, seconds, repeat))
    rows.append(row)
    return rows


def _fmt(value: Any, size: int) -> str:
    if isinstance(value, str):
        return value
    mbs = value * size / 1e6
    return f"{value:,.0f} ops/s ({mbs:,.0f} MB/s)"


PY = "strom, Python decoder"


def render(rows: list[dict[str, Any]], markdown: bool) -> str:
    libs = ["strom", PY, "kafka-python", "kio"]
    lines = []
    if markdown:
        lines.append("| case | bytes | " + " | ".join(libs) + " | Strom / best other |")
        lines.append("|---|---:|" + "---:|" * len(libs) + "---:|")
    for row in rows:
        others = [row[lib] for lib in ("kafka-python", "kio") if isinstance(row.get(lib), float)]
        ratio = f"{row['strom'] / max(others):.1f}x" if others else "-"
        cells = [_fmt(row.get(lib, "-" if lib == PY else "n/a"), row["bytes"]) for lib in libs]
        if markdown:
            lines.append(f"| {row['case']} | {row['bytes']:,} | " + " | ".join(cells) + f" | {ratio} |")
        else:
            lines.append(f"{row['case']} [{row['bytes']:,} B]")
            for lib, cell in zip(libs, cells, strict=True):
                lines.append(f"    {lib:22s} {cell}")
            lines.append(f"    strom / best other: {ratio}")
    return "\n".join(lines)


DOCS_BEGIN = "<!-- protocol-bench:begin (bench/protocol_bench.py --update-docs rewrites this section) -->"
DOCS_END = "<!-- protocol-bench:end -->"


def docs_section(rows: list[dict[str, Any]], seconds: float, repeat: int, load: tuple[float, float]) -> str:
    libs = []
    for module in ("kafka", "kio"):
        try:
            from importlib.metadata import version

            libs.append(f"{'kafka-python' if module == 'kafka' else module} {version('kafka-python' if module == 'kafka' else module)}")
        except Exception:  # noqa: BLE001 - a missing oracle is simply not listed
            pass
    return "\n".join(
        [
            DOCS_BEGIN,
            "## Protocol codecs (bench/protocol_bench.py)",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} with `python bench/protocol_bench.py --seconds {seconds} --repeat {repeat}`:"
            f" Python {platform.python_version()}, {os.cpu_count()} cores shared with other work (load average"
            f" {load[0]:.1f} at the start, {load[1]:.1f} at the end), {', '.join(libs)}, compiled decoder"
            f" {'in use' if compiler.native_decoding() else 'NOT built'}, CRC32C by {CRC32C_IMPLEMENTATION}."
            " Calls per CPU-second of the benchmark process (best of alternating runs); MB/s is message bytes.",
            "",
            render(rows, markdown=True),
            "",
            NOTES,
            DOCS_END,
        ]
    )


NOTES = """Reading the table:
- Decode runs the compiled decoder (`strom.protocol._fast_decode`, built by `pip install -e .` where a C compiler
  is): the schema tables as C field programs that fill the frozen slotted classes directly. The column "strom,
  Python decoder" is the generated pure-Python reference, which is what runs without the extension (or with
  STROM_NO_EXTENSIONS=1). kio 0.6 decodes in native code too (`kio/_kio_native`) and copies every record set
  into `bytes`; Strom's records stay memoryview slices of the request.
- Produce decode (the broker's hot path): per partition the decoder makes one struct and one memoryview of the
  request, and CPython's generic paths for those objects were most of the cost. The engine
  (`_decode_engine.h`) fills slots directly, gives the struct classes a lean deallocator instead of
  CPython's generic subtype_dealloc, keeps freed struct blocks (bounded) for the next decode, cuts record
  views from one memoryview of the request, and shares the ints -5..1023. With callgrind, a 100-partition
  request went from ~129k to ~90k instructions; about a third of what is left is the memoryviews (allocation,
  GC linking, release), which stay real memoryviews of the request.
- The compiled decoder does not register its structs and lists with the cyclic GC (decoded messages are trees
  of atoms; record memoryviews stay tracked). Without that, GC rescans were 80% of a Metadata decode.
- Encode is straight-line generated Python into one bytearray. `encode()` leaves record sets of 4 KiB or more
  out of that buffer and joins them into the result in one copy: copying 1.6 MB of Fetch records into the
  buffer first made glibc free two 1.6 MB blocks per call, over its trim threshold, so each call gave the
  pages back to the kernel and faulted them in again (0.4x kio; now one large block per call). The
  broker calls `encode_parts` (its own row): the encoding buffer without a copy, log data left as file
  regions for sendfile.
- The 1 MiB batch case is bounded by CRC32C. Strom computes it with `strom.checksum.crc32c`: where the CPU has
  AVX-512 VPCLMULQDQ, the compiled `strom._crc32c` folds four 128-bit lanes per carry-less multiply, 256 bytes a
  round. kafka-python uses the `crc32c` library (the SSE4.2 crc32 instruction, three interleaved streams, about
  8 bytes a cycle); the CRC rows put that library in kafka-python's column. Folding is about 2x the library in
  L2 (64 KiB, 1 MiB) and beyond it (16 MiB). Strom's call is the CRC plus ~1-2 us (header, base offset rewrite
  in place); kafka-python's is the CRC plus a 1 MiB copy into a bytearray (its own row). Where Strom falls back
  to the library (no AVX-512 VPCLMULQDQ, or STROM_NO_EXTENSIONS=1) this case is about 1.6x."""


def update_docs(path: str, section: str) -> None:
    """Replaces this benchmark's section of the file (between its markers), or appends it; the rest is untouched."""
    with open(path) as f:
        text = f.read()
    if DOCS_BEGIN in text and DOCS_END in text:
        head, rest = text.split(DOCS_BEGIN, 1)
        tail = rest.split(DOCS_END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one timed run per case and library")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best one counts")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--update-docs", metavar="PATH", help="write the results into PATH's protocol section")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.repeat < 1:
        parser.error("--seconds must be > 0 and --repeat >= 1")
    load_before = os.getloadavg()[0]
    rows = run(args.seconds, args.repeat)
    load = (load_before, os.getloadavg()[0])
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.1f} -> {load[1]:.1f}"
    )
    print(f"compiled decoder (strom.protocol._fast_decode): {'in use' if compiler.native_decoding() else 'not in use'}")
    print(f"CRC32C: {CRC32C_IMPLEMENTATION}")
    print(render(rows, args.markdown))
    if args.update_docs:
        update_docs(args.update_docs, docs_section(rows, args.seconds, args.repeat, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
