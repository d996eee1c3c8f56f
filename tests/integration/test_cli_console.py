"""kafka-console-producer / kafka-console-consumer beyond the quickstart: groups, partition/offset, formatter and
reader properties, codecs and acks -- checked with real clients and the segment files the broker wrote."""

import contextlib
import importlib
import io
import subprocess
import sys
import uuid

import confluent_kafka as ck
import confluent_kafka.admin
import pytest


def tool(module: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the tool in this process (stdin, stdout, stderr swapped): no interpreter start per call."""
    main = importlib.import_module(f"strom.cli.{module}").main
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(input or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess([module, *args], code, out.getvalue(), err.getvalue())


def consume(server: str, topic: str, *args: str) -> subprocess.CompletedProcess[str]:
    return tool("kafka_console_consumer", "--bootstrap-server", server, "--topic", topic, *args)


def produce(server: str, topic: str, lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    out = tool("kafka_console_producer", "--bootstrap-server", server, "--topic", topic, *args, input=lines)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def topic(strom_broker):
    return f"console-{uuid.uuid4().hex[:6]}"


def test_group_consumption_resumes_from_committed_offsets(strom_broker, topic):
    server = strom_broker.bootstrap
    produce(server, topic, "".join(f"m{i}\n" for i in range(5)))
    group = f"cg-{uuid.uuid4().hex[:6]}"
    first = consume(server, topic, "--group", group, "--from-beginning", "--timeout-ms", "1500")
    assert first.stdout.splitlines() == [f"m{i}" for i in range(5)] and "Processed a total of 5 messages" in first.stderr
    described = tool("kafka_consumer_groups", "--bootstrap-server", server, "--describe", "--group", group)
    assert described.stdout.splitlines()[2].split()[:6] == [group, topic, "0", "5", "5", "0"]
    produce(server, topic, "m5\nm6\n")
    second = consume(server, topic, "--group", group, "--from-beginning", "--timeout-ms", "1500")
    assert second.stdout.splitlines() == ["m5", "m6"]  # committed offsets win over --from-beginning, as in Kafka


def test_partition_and_offset(strom_broker, topic):
    server = strom_broker.bootstrap
    admin = ck.admin.AdminClient({"bootstrap.servers": server})
    admin.create_topics([ck.admin.NewTopic(topic, 2, 1)])[topic].result(30)
    producer = ck.Producer({"bootstrap.servers": server})
    for i in range(6):
        producer.produce(topic, value=b"p%d-%d" % (i % 2, i // 2), partition=i % 2)
    producer.flush(30)
    out = consume(server, topic, "--partition", "1", "--offset", "1", "--max-messages", "2", "--property", "print.partition=true")
    assert out.stdout.splitlines() == ["Partition:1\tp1-1", "Partition:1\tp1-2"]
    earliest = consume(server, topic, "--partition", "0", "--offset", "earliest", "--max-messages", "1")
    assert earliest.stdout == "p0-0\n"
    bad = consume(server, topic, "--offset", "1")
    assert bad.returncode == 1 and "The partition is required when offset is specified." in bad.stderr
    bad = consume(server, topic, "--partition", "0", "--offset", "-5")
    assert bad.returncode == 1 and "is incorrect" in bad.stderr


def test_reader_and_formatter_properties(strom_broker, topic):
    server = strom_broker.bootstrap
    produce(
        server,
        topic,
        "h1:a,h2:b|k1=v1\n|k2=NULL\n",
        *("--property", "parse.headers=true", "--property", "headers.delimiter=|", "--property", "parse.key=true"),
        *("--property", "key.separator==", "--property", "null.marker=NULL"),
    )
    out = consume(
        server,
        topic,
        "--from-beginning",
        "--max-messages",
        "2",
        *("--property", "print.key=true", "--property", "print.headers=true", "--property", "print.timestamp=true"),
        *("--property", "print.offset=true", "--property", "key.separator= | ", "--property", "null.literal=<null>"),
    )
    first, second = out.stdout.splitlines()
    assert first.startswith("CreateTime:") and first.split(" | ")[1:] == ["Offset:0", "h1:a,h2:b", "k1", "v1"]
    assert second.split(" | ")[1:] == ["Offset:1", "NO_HEADERS", "k2", "<null>"]
    no_value = consume(
        server, topic, "--from-beginning", "--max-messages", "1", "--property", "print.value=false", "--property", "print.key=true"
    )
    assert no_value.stdout == "k1\n"
    missing = tool(
        "kafka_console_producer", "--bootstrap-server", server, "--topic", topic, "--property", "parse.key=true", input="nokey\n"
    )
    assert missing.returncode == 1 and "No key separator found on line number 1: 'nokey'" in missing.stderr


def test_codecs_acks_and_producer_properties(strom_broker, topic):
    server = strom_broker.bootstrap
    produce(server, topic, "gz1\ngz2\n", "--compression-codec")  # no value: gzip, as Kafka
    produce(server, topic, "zs\n", "--compression-codec", "zstd", "--request-required-acks", "1")
    produce(server, topic, "lz\n", "--producer-property", "compression.type=lz4", "--producer-property", "acks=0", "--sync")
    produce(server, topic, "sn\n", "--compression-codec", "snappy", "--producer-property", "linger.ms=0")
    out = consume(server, topic, "--from-beginning", "--max-messages", "5")
    assert out.stdout.splitlines() == ["gz1", "gz2", "zs", "lz", "sn"]
    segment = next((strom_broker.base / "data" / f"{topic}-0").glob("*.log"))
    batches = [ln for ln in _dump(segment).splitlines() if ln.startswith("baseOffset:")]
    assert [ln.split("compresscodec: ")[1].split()[0] for ln in batches] == ["gzip", "zstd", "lz4", "snappy"]
    assert "producerId: -1" in batches[1] and "producerId: -1" not in batches[0]  # acks=1 turns idempotence off
    bad = tool("kafka_console_producer", "--bootstrap-server", server, "--topic", topic, "--compression-codec", "brotli", input="x\n")
    assert bad.returncode == 1 and "Unknown compression codec 'brotli'" in bad.stderr
    unknown = produce(server, topic, "x\n", "--producer-property", "no.such.key=1")
    assert "The configuration 'no.such.key' was supplied but isn't a known config." in unknown.stderr


def test_isolation_level_flag(strom_broker, topic):
    server = strom_broker.bootstrap
    produce(server, topic, "plain\n")
    out = consume(server, topic, "--from-beginning", "--max-messages", "1", "--isolation-level", "read_committed")
    assert out.stdout == "plain\n"
    bad = consume(server, topic, "--isolation-level", "dirty")
    assert bad.returncode == 1 and "usage" in bad.stderr.lower()


def _dump(segment) -> str:
    return tool("kafka_dump_log", "--files", str(segment)).stdout
