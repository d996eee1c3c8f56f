"""kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh against a Strom broker: Kafka's flags and output lines,
the records really land, and a terminal gets a progress line."""

import re
import subprocess
import uuid
from pathlib import Path

import confluent_kafka as ck
import pexpect

BIN = Path(__file__).resolve().parents[2] / "bin"
SUMMARY = re.compile(
    r"^(\d+) records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, "
    r"\d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99.9th\.$"
)


def sh(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / script), *args], capture_output=True, text=True, timeout=timeout)


def watermarks(bootstrap: str, topic: str) -> tuple[int, int]:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "perf-check"})
    try:
        return consumer.get_watermark_offsets(ck.TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()


def test_producer_then_consumer_perf(strom_broker):
    topic = f"perf-{uuid.uuid4().hex[:6]}"
    out = sh(
        "kafka-producer-perf-test.sh",
        "--topic", topic, "--num-records", "10000", "--record-size", "100", "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={strom_broker.bootstrap}", "acks=all", "compression.type=lz4", "linger.ms=5",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    last = out.stdout.splitlines()[-1]
    assert SUMMARY.match(last) and last.startswith("10000 records sent"), out.stdout
    assert watermarks(strom_broker.bootstrap, topic) == (0, 10000)

    consumed = sh("kafka-consumer-perf-test.sh", "--bootstrap-server", strom_broker.bootstrap, "--topic", topic, "--messages", "10000")
    assert consumed.returncode == 0, consumed.stderr
    header, row = consumed.stdout.splitlines()
    assert header.split(", ")[:6] == ["start.time", "end.time", "data.consumed.in.MB", "MB.sec", "data.consumed.in.nMsg", "nMsg.sec"]
    cols = row.split(", ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}", cols[0]) and cols[2] == "0.9537" and cols[4] == "10000"

    short = sh(
        "kafka-consumer-perf-test.sh", "--bootstrap-server", strom_broker.bootstrap, "--topic", topic,
        "--messages", "15000", "--timeout", "1000", "--hide-header",
    )  # fmt: skip
    assert "Exiting before consuming the expected number of messages: timeout (1000 ms) exceeded" in short.stderr
    assert short.stdout.split(", ")[4] == "10000"


def test_payload_file_and_throttle(strom_broker, tmp_path):
    topic = f"perf-file-{uuid.uuid4().hex[:6]}"
    payloads = tmp_path / "payloads.txt"
    payloads.write_text("alpha\nbeta\ngamma\n")
    out = sh(
        "kafka-producer-perf-test.sh", "--topic", topic, "--num-records", "300", "--payload-file", str(payloads),
        "--throughput", "200", "--producer-props", f"bootstrap.servers={strom_broker.bootstrap}",
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert lines[:2] == [f"Reading payloads from: {payloads}", "Number of messages read: 3"]
    rate = float(lines[-1].split(" records/sec")[0].split(", ")[1])
    assert 100 < rate <= 215, lines[-1]  # throttled to about 200/s
    bad = sh("kafka-producer-perf-test.sh", "--topic", topic, "--num-records", "10", "--throughput", "-1")
    assert bad.returncode == 1 and "usage" in bad.stderr.lower()


def test_progress_on_a_terminal(strom_broker):
    topic = f"perf-tty-{uuid.uuid4().hex[:6]}"
    child = pexpect.spawn(
        str(BIN / "kafka-producer-perf-test.sh"),
        ["--topic", topic, "--num-records", "1500", "--record-size", "10", "--throughput", "1000",
         "--producer-props", f"bootstrap.servers={strom_broker.bootstrap}"],
        timeout=60, encoding="utf-8",
    )  # fmt: skip
    child.expect(r"\d+/1500 records acknowledged")
    child.expect("1500 records sent")
    child.expect(pexpect.EOF)


def _metrics(stdout: str) -> dict[str, float]:
    """Kafka's --print-metrics table: `group:name:{tags} : value` lines after a `Metric Name   Value` header."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Metric Name"))
    out = {}
    for line in lines[header + 1 :]:
        name, _, value = line.rpartition(" : ")
        out[name.strip()] = float(value)
    return out


def test_print_metrics_reports_what_the_clients_did(strom_broker):
    topic = f"perf-metrics-{uuid.uuid4().hex[:6]}"
    out = sh(
        "kafka-producer-perf-test.sh", "--topic", topic, "--num-records", "2000", "--record-size", "100", "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={strom_broker.bootstrap}", "--print-metrics",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    produced = _metrics(out.stdout)
    client = "{client-id=perf-producer-client}"
    assert produced[f"producer-metrics:record-send-total:{client}"] == 2000
    assert produced[f"producer-topic-metrics:byte-total:{{client-id=perf-producer-client, topic={topic}}}"] == 2000 * 100
    assert produced[f"producer-metrics:outgoing-byte-total:{client}"] > 2000 * 100  # the records and the requests around them
    assert produced[f"producer-metrics:request-total:{client}"] == produced[f"producer-metrics:response-total:{client}"] > 0
    out = sh(
        "kafka-consumer-perf-test.sh", "--bootstrap-server", strom_broker.bootstrap, "--topic", topic, "--messages", "2000",
        "--print-metrics",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    consumed = _metrics(out.stdout)
    assert consumed["consumer-fetch-manager-metrics:records-consumed-total:{client-id=perf-consumer-client}"] == 2000
    assert consumed[f"consumer-fetch-manager-metrics:bytes-consumed-total:{{client-id=perf-consumer-client, topic={topic}}}"] == 2000 * 100
    assert not [name for name in consumed if name.startswith("consumer-metrics:")]  # gone with the closed consumer, as in Kafka
