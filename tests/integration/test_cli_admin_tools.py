"""kafka-consumer-groups, kafka-configs, kafka-get-offsets, kafka-delete-records, kafka-broker-api-versions and
kafka-dump-log through bin/ scripts against a Strom broker, with real clients making the state they show."""

import contextlib
import importlib
import io
import json
import subprocess
import time
import uuid
from pathlib import Path

import confluent_kafka as ck
import confluent_kafka.admin
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "bin"


def sh(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / script), *args], capture_output=True, text=True, timeout=timeout)


def tool(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The same tool in this process (no interpreter start per call: these tests make dozens of calls)."""
    module = importlib.import_module("strom.cli." + script[: -len(".sh")].replace("-", "_"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = module.main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return subprocess.CompletedProcess([script, *args], code, out.getvalue(), err.getvalue())


def produce(bootstrap: str, topic: str, n: int, partitions: int = 1) -> None:
    admin = ck.admin.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([ck.admin.NewTopic(topic, partitions, 1)])[topic].result(30)
    producer = ck.Producer({"bootstrap.servers": bootstrap})
    # distinct, rising timestamps: the record with the max timestamp (--time -3) is then the last one, however
    # librdkafka splits the records into batches (equal milliseconds made the answer depend on the split)
    now_ms = int(time.time() * 1000) - n
    for i in range(n):
        producer.produce(topic, value=b"%d" % i, key=b"k%d" % i, partition=i % partitions, timestamp=now_ms + i)
    assert producer.flush(30) == 0


def commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    consumer.commit(offsets=[ck.TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
    consumer.close()


@pytest.fixture
def topic(strom_broker):
    name = f"tools-{uuid.uuid4().hex[:6]}"
    produce(strom_broker.bootstrap, name, 30, partitions=2)
    return name


def test_consumer_groups_list_describe_reset_delete(strom_broker, topic):
    server = strom_broker.bootstrap
    group = f"g-{uuid.uuid4().hex[:6]}"
    commit(server, group, {(topic, 0): 10, (topic, 1): 15})
    assert group in sh("kafka-consumer-groups.sh", "--bootstrap-server", server, "--list").stdout.split()
    state = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--list", "--state")
    assert state.stdout.splitlines()[0].split() == ["GROUP", "STATE"] and [group, "Empty"] in [
        ln.split() for ln in state.stdout.splitlines()
    ]

    described = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
    assert described.returncode == 0, described.stderr
    lines = described.stdout.splitlines()
    assert lines[0] == "" and lines[1].split()[:6] == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG"]
    assert [ln.split() for ln in lines[2:]] == [
        [group, topic, "0", "10", "15", "5", "-", "-", "-"],
        [group, topic, "1", "15", "15", "0", "-", "-", "-"],
    ]
    assert f"Consumer group '{group}' has no active members." in described.stderr

    dry = sh(
        "kafka-consumer-groups.sh",
        "--bootstrap-server",
        server,
        "--group",
        group,
        "--topic",
        f"{topic}:0",
        "--reset-offsets",
        "--shift-by",
        "-4",
        "--dry-run",
    )
    assert [ln.split() for ln in dry.stdout.splitlines() if ln.strip()] == [
        ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"],
        [group, topic, "0", "6"],
    ]
    unchanged = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
    assert [group, topic, "0", "10"] == unchanged.stdout.splitlines()[2].split()[:4]

    for spec, expected in (
        (["--to-earliest"], ["0", "0"]),
        (["--to-latest"], ["15", "15"]),
        (["--to-offset", "7"], ["7", "7"]),
        (["--to-offset", "99"], ["15", "15"]),  # clamped to the log end, as Kafka does
        (["--shift-by", "-3"], ["12", "12"]),
        (["--to-datetime", "2000-01-01T00:00:00.000"], ["0", "0"]),
        (["--by-duration", "PT0S"], ["15", "15"]),
    ):
        out = sh(
            "kafka-consumer-groups.sh",
            "--bootstrap-server",
            server,
            "--group",
            group,
            "--all-topics",
            "--reset-offsets",
            *spec,
            "--execute",
        )
        assert out.returncode == 0, out.stderr
        rows = [ln.split() for ln in out.stdout.splitlines()[2:]]
        assert [r[3] for r in rows] == expected, (spec, out.stdout)
        check = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
        assert [ln.split()[3] for ln in check.stdout.splitlines()[2:]] == expected

    no_scope = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--group", group, "--reset-offsets", "--to-latest")
    assert no_scope.returncode == 1 and "One of the reset scopes should be defined" in no_scope.stderr

    dropped = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--delete-offsets", "--group", group, "--topic", f"{topic}:1")
    assert dropped.stdout.splitlines()[0] == f"Request succeed for deleting offsets with topic {topic}:1 group {group}"
    assert dropped.stdout.splitlines()[-1].split() == [topic, "1", "Successful"]
    remaining = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
    assert [ln.split()[2] for ln in remaining.stdout.splitlines()[2:]] == ["0"]

    deleted = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--delete", "--group", group)
    assert deleted.stdout == f"Deletion of requested consumer groups ('{group}') was successful.\n"
    again = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--delete", "--group", group)
    assert "GroupIdNotFoundException: The group id does not exist." in again.stdout
    missing = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
    assert f"Error: Consumer group '{group}' does not exist." in missing.stderr


def test_consumer_groups_with_an_active_member(strom_broker, topic):
    server = strom_broker.bootstrap
    group = f"live-{uuid.uuid4().hex[:6]}"
    consumer = ck.Consumer({"bootstrap.servers": server, "group.id": group, "auto.offset.reset": "earliest", "client.id": "live-client"})
    consumer.subscribe([topic])
    try:
        got = 0
        deadline = time.monotonic() + 30
        while got < 30 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            got += msg is not None and msg.error() is None
        consumer.commit(asynchronous=False)
        members = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group, "--members", "--verbose")
        rows = [ln.split() for ln in members.stdout.splitlines() if ln.strip()]
        assert rows[0] == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"]
        assert rows[1][0] == group and rows[1][3] == "live-client" and rows[1][4] == "2" and rows[1][5] == f"{topic}(0,1)"
        offsets = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group)
        table = [ln.split() for ln in offsets.stdout.splitlines()[2:]]
        assert [(r[2], r[3], r[5], r[8]) for r in table] == [("0", "15", "0", "live-client"), ("1", "15", "0", "live-client")]
        state = tool("kafka-consumer-groups.sh", "--bootstrap-server", server, "--describe", "--group", group, "--state")
        assert state.stdout.splitlines()[2].split()[-3:] == ["range", "Stable", "1"]
        refused = sh(
            "kafka-consumer-groups.sh",
            "--bootstrap-server",
            server,
            "--group",
            group,
            "--all-topics",
            "--reset-offsets",
            "--to-earliest",
            "--execute",
        )
        assert f"Assignments can only be reset if the group '{group}' is inactive, but the current state is Stable." in refused.stderr
    finally:
        consumer.close()


def test_configs_describe_alter_delete(strom_broker, topic):
    server = strom_broker.bootstrap
    before = sh("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--entity-type", "topics", "--entity-name", topic)
    assert before.stdout == f"Dynamic configs for topic {topic} are:\n"
    alter = sh(
        "kafka-configs.sh",
        "--bootstrap-server",
        server,
        "--alter",
        "--topic",
        topic,
        "--add-config",
        "retention.ms=1000,cleanup.policy=[compact,delete]",
    )
    assert alter.stdout == f"Completed updating config for topic {topic}.\n", alter.stderr
    after = tool("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--topic", topic).stdout.splitlines()
    assert after[1].startswith(
        "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete"
    )
    assert after[2] == "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}"
    tool("kafka-configs.sh", "--bootstrap-server", server, "--alter", "--topic", topic, "--delete-config", "retention.ms")
    assert len(tool("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--topic", topic).stdout.splitlines()) == 2
    all_configs = tool("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--topic", topic, "--all").stdout
    assert "  max.message.bytes=" in all_configs and all_configs.startswith(f"All configs for topic {topic} are:")
    bad = tool("kafka-configs.sh", "--bootstrap-server", server, "--alter", "--topic", topic, "--add-config", "no.such.config=1")
    assert bad.returncode == 1 and "InvalidConfigurationException" in bad.stderr and "Traceback" not in bad.stderr
    broker = tool("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--entity-type", "brokers", "--entity-name", "0", "--all")
    assert broker.stdout.startswith("All configs for broker 0 are:\n") and "  log.retention.hours=" in broker.stdout
    missing = tool("kafka-configs.sh", "--bootstrap-server", server, "--describe", "--topic", "no-such-topic-here")
    assert missing.returncode == 1 and "UnknownTopicOrPartitionException" in missing.stderr


def test_get_offsets_and_delete_records(strom_broker, topic, tmp_path):
    server = strom_broker.bootstrap
    latest = sh("kafka-get-offsets.sh", "--bootstrap-server", server, "--topic", topic)
    assert latest.stdout == f"{topic}:0:15\n{topic}:1:15\n"
    spec = tmp_path / "delete.json"
    spec.write_text(
        json.dumps({"partitions": [{"topic": topic, "partition": 0, "offset": 5}, {"topic": "nope", "partition": 0, "offset": 1}]})
    )
    deleted = sh("kafka-delete-records.sh", "--bootstrap-server", server, "--offset-json-file", str(spec))
    assert deleted.stdout.splitlines() == [
        "Executing records delete operation",
        "Records delete operation completed:",
        "partition: nope-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: "
        "This server does not host this topic-partition.",
        f"partition: {topic}-0\tlow_watermark: 5",
    ]
    earliest = tool("kafka-get-offsets.sh", "--bootstrap-server", server, "--topic-partitions", f"{topic}:0", "--time", "earliest")
    assert earliest.stdout == f"{topic}:0:5\n"
    newest = tool("kafka-get-offsets.sh", "--bootstrap-server", server, "--topic", topic, "--partitions", "1", "--time", "-3")
    assert newest.stdout == f"{topic}:1:14\n"
    none = tool("kafka-get-offsets.sh", "--bootstrap-server", server, "--topic", "no-such-.*")
    assert none.returncode == 1 and "Could not match any topic-partitions" in none.stderr


def test_broker_api_versions(strom_broker):
    out = sh("kafka-broker-api-versions.sh", "--bootstrap-server", strom_broker.bootstrap)
    lines = out.stdout.splitlines()
    assert lines[0] == f"{strom_broker.bootstrap} (id: 0 rack: null) -> (" and lines[-1] == ")"
    assert "\tProduce(0): 0 to 11 [usable: 11]," in lines
    assert "\tApiVersions(18): 0 to 4 [usable: 4]," in lines


def test_dump_log_reads_a_strom_segment(strom_broker, topic):
    segment = next((strom_broker.base / "data" / f"{topic}-1").glob("*.log"))
    out = sh("kafka-dump-log.sh", "--files", str(segment), "--print-data-log")
    lines = out.stdout.splitlines()
    assert lines[:2] == [f"Dumping {segment}", "Log starting offset: 0"]
    records = [ln for ln in lines if ln.startswith("| offset: ")]
    assert len(records) == 15 and records[0].endswith("key: k1 payload: 1") and records[-1].endswith("key: k29 payload: 29")
    assert all("isvalid: true" in ln and "compresscodec: none" in ln for ln in lines if ln.startswith("baseOffset: "))
    indexes = sorted(segment.parent.glob("*index"))  # written as the log grows past index.interval.bytes, or on roll
    index = tool("kafka-dump-log.sh", "--files", ",".join(map(str, indexes)))
    assert index.returncode == 0 and index.stdout.count("Dumping ") == len(indexes)


def test_topics_create_alter_delete(strom_broker):
    server = strom_broker.bootstrap
    name = f"topics-{uuid.uuid4().hex[:6]}"
    created = sh(
        "kafka-topics.sh", "--bootstrap-server", server, "--create", "--topic", name, "--partitions", "2", "--config", "retention.ms=5000"
    )
    assert created.stdout == f"Created topic {name}.\n", created.stderr
    described = tool("kafka-topics.sh", "--bootstrap-server", server, "--describe", "--topic", name).stdout.splitlines()
    assert "retention.ms=5000" in described[0].split("Configs: ")[1].split(",") and "PartitionCount: 2" in described[0]
    assert tool("kafka-topics.sh", "--bootstrap-server", server, "--alter", "--topic", name, "--partitions", "3").stdout == ""
    assert "PartitionCount: 3" in tool("kafka-topics.sh", "--bootstrap-server", server, "--describe", "--topic", name).stdout
    shrink = tool("kafka-topics.sh", "--bootstrap-server", server, "--alter", "--topic", name, "--partitions", "2")
    assert shrink.returncode == 1 and "Topic currently has 3 partitions, 2 would not be an increase." in shrink.stderr
    assert tool("kafka-topics.sh", "--bootstrap-server", server, "--describe", "--under-replicated-partitions").stdout == ""
    assert tool("kafka-topics.sh", "--bootstrap-server", server, "--delete", "--topic", name).returncode == 0
    assert name not in tool("kafka-topics.sh", "--bootstrap-server", server, "--list").stdout.split()
    for action in (["--delete"], ["--describe"], ["--alter", "--partitions", "5"]):
        missing = tool("kafka-topics.sh", "--bootstrap-server", server, *action, "--topic", name)
        assert missing.returncode == 1 and "does not exist" in missing.stderr, action
        if action[0] != "--describe":
            assert tool("kafka-topics.sh", "--bootstrap-server", server, *action, "--topic", name, "--if-exists").returncode == 0


def test_usage_errors_and_unreachable_broker(capsys):
    for script in (
        "kafka-consumer-groups.sh",
        "kafka-configs.sh",
        "kafka-get-offsets.sh",
        "kafka-delete-records.sh",
        "kafka-broker-api-versions.sh",
    ):
        out = sh(script, "--no-such-flag")
        assert out.returncode == 1 and "usage" in out.stderr.lower() and "Traceback" not in out.stderr, script
        module = importlib.import_module("strom.cli." + script[: -len(".sh")].replace("-", "_"))
        with pytest.raises(SystemExit) as exit_info:
            module.main(["--help"])
        assert exit_info.value.code == 0 and "--bootstrap-server" in capsys.readouterr().out
    down = sh("kafka-consumer-groups.sh", "--bootstrap-server", "127.0.0.1:1", "--list", timeout=60)
    assert down.returncode == 1 and "no broker is reachable" in down.stderr and "Traceback" not in down.stderr
