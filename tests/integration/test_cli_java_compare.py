"""Our tools and Apache Kafka's own (3.9.1 jars) run side by side on the same state; outputs compared line by line,
modulo the columns that are ids or timings. kafka-dump-log also reads segments written by real Apache Kafka."""

import json
import re
import time
import uuid

import confluent_kafka as ck
import confluent_kafka.admin
import pytest

from strom.cli import (
    kafka_broker_api_versions,
    kafka_configs,
    kafka_consumer_groups,
    kafka_delete_records,
    kafka_dump_log,
    kafka_get_offsets,
    kafka_topics,
)

pytestmark = pytest.mark.java

KAFKA_CLASSES = {
    "groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "configs": "kafka.admin.ConfigCommand",
    "offsets": "org.apache.kafka.tools.GetOffsetShell",
    "delete": "org.apache.kafka.tools.DeleteRecordsCommand",
    "versions": "kafka.admin.BrokerApiVersionsCommand",
    "dump": "kafka.tools.DumpLogSegments",
}


def ours(module, args, capsys) -> tuple[int, str, str]:
    code = module.main(args)
    out, err = capsys.readouterr()
    return code, out, err


# CI runs the first variant of each comparison; the slow run (exhaustive=True) runs all of them.
EXHAUSTIVE = pytest.mark.parametrize("exhaustive", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["ci", "exhaustive"])


def pick(variants: list, exhaustive: bool) -> list:  # type: ignore[type-arg]
    return variants if exhaustive else variants[:1]


def reset_cells(text: str) -> tuple[list[str], list[list[str]]]:
    cells = text.split()
    return cells[:4], sorted(cells[i : i + 4] for i in range(4, len(cells), 4))


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def state(strom_broker):
    """A topic with 3 partitions of keyed records and a group with committed offsets on two of them."""
    topic = f"cmp-{uuid.uuid4().hex[:6]}"
    group = f"cmp-g-{uuid.uuid4().hex[:6]}"
    admin = ck.admin.AdminClient({"bootstrap.servers": strom_broker.bootstrap})
    admin.create_topics([ck.admin.NewTopic(topic, 3, 1)])[topic].result(30)
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap})
    for i in range(60):
        producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=i % 3)
    producer.flush(30)
    consumer = ck.Consumer({"bootstrap.servers": strom_broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    consumer.commit(offsets=[ck.TopicPartition(topic, 0, 7), ck.TopicPartition(topic, 2, 20)], asynchronous=False)
    consumer.close()
    return topic, group


@EXHAUSTIVE
def test_consumer_groups_describe_and_reset_match(strom_broker, kafka_tool, state, capsys, exhaustive):
    topic, group = state
    args = ["--bootstrap-server", strom_broker.bootstrap, "--describe", "--group", group]
    theirs = kafka_tool(KAFKA_CLASSES["groups"], args)
    _, out, err = ours(kafka_consumer_groups, args, capsys)
    assert sorted(rows(out)) == sorted(rows(theirs.stdout))  # Kafka lists partitions without members in hash order
    assert err.strip() == theirs.stderr.strip()
    for spec in pick([["--to-earliest"], ["--to-current"], ["--to-offset", "5"], ["--to-datetime", "2000-01-01T00:00:00.000"]], exhaustive):
        args = ["--bootstrap-server", strom_broker.bootstrap, "--group", group, "--topic", topic, "--reset-offsets", *spec, "--dry-run"]
        theirs = kafka_tool(KAFKA_CLASSES["groups"], args)
        _, out, _ = ours(kafka_consumer_groups, args, capsys)
        # Kafka 3.9 prints the reset rows without line breaks between them, in hash order; compare the cells
        assert reset_cells(out) == reset_cells(theirs.stdout), spec
    if exhaustive:
        args = ["--bootstrap-server", strom_broker.bootstrap, "--group", group, "--topic", topic, "--reset-offsets", "--shift-by", "3"]
        theirs = kafka_tool(KAFKA_CLASSES["groups"], args)
        code, _, err = ours(kafka_consumer_groups, args, capsys)
        message = f"Cannot shift offset for partition {topic}-1 since there is no current committed offset"
        assert code == theirs.returncode == 1 and message in err and message in theirs.stdout + theirs.stderr
    for listing in pick([["--list", "--state"], ["--list"], ["--describe", "--group", group, "--state"]], exhaustive):
        args = ["--bootstrap-server", strom_broker.bootstrap, *listing]
        theirs = kafka_tool(KAFKA_CLASSES["groups"], args)
        _, out, _ = ours(kafka_consumer_groups, args, capsys)
        assert [r for r in rows(out) if group in r or "GROUP" in r] == [r for r in rows(theirs.stdout) if group in r or "GROUP" in r]


def test_topics_describe_matches(strom_broker, kafka_tool, state, capsys):
    topic, _ = state
    args = ["--bootstrap-server", strom_broker.bootstrap, "--describe", "--topic", topic]
    theirs = kafka_tool("org.apache.kafka.tools.TopicCommand", args).stdout.splitlines()
    mine = ours(kafka_topics, args, capsys)[1].splitlines()
    # Kafka lists the non-default configs in hash-map order; the same set here
    head, configs = mine[0].split("Configs: ")
    their_head, their_configs = theirs[0].split("Configs: ")
    assert head == their_head and sorted(configs.split(",")) == sorted(their_configs.split(","))
    assert mine[1:] == theirs[1:]


@EXHAUSTIVE
def test_configs_match(strom_broker, kafka_tool, state, capsys, exhaustive):
    topic, _ = state
    alter = ["--bootstrap-server", strom_broker.bootstrap, "--alter", "--entity-type", "topics", "--entity-name", topic]
    assert ours(kafka_configs, [*alter, "--add-config", "retention.ms=86400000,cleanup.policy=[compact,delete]"], capsys)[0] == 0
    for describe in pick([["--topic", topic], ["--topic", topic, "--all"], ["--entity-type", "brokers", "--entity-name", "0"]], exhaustive):
        args = ["--bootstrap-server", strom_broker.bootstrap, "--describe", *describe]
        theirs = kafka_tool(KAFKA_CLASSES["configs"], args)
        assert theirs.returncode == 0, theirs.stderr
        assert ours(kafka_configs, args, capsys)[1] == theirs.stdout, describe
    if exhaustive:
        theirs = kafka_tool(KAFKA_CLASSES["configs"], [*alter, "--delete-config", "retention.ms"])
        assert theirs.stdout == f"Completed updating config for topic {topic}.\n"
        args = ["--bootstrap-server", strom_broker.bootstrap, "--describe", "--topic", topic]
        assert ours(kafka_configs, args, capsys)[1] == kafka_tool(KAFKA_CLASSES["configs"], args).stdout


@EXHAUSTIVE
def test_get_offsets_delete_records_and_api_versions_match(strom_broker, kafka_tool, state, capsys, tmp_path, exhaustive):
    topic, _ = state
    spec = tmp_path / "offsets.json"
    spec.write_text(json.dumps({"partitions": [{"topic": topic, "partition": 1, "offset": 4}], "version": 1}))
    args = ["--bootstrap-server", strom_broker.bootstrap, "--offset-json-file", str(spec)]
    mine = ours(kafka_delete_records, args, capsys)[1]
    assert mine.endswith(f"partition: {topic}-1\tlow_watermark: 4\n"), mine
    if exhaustive:
        assert kafka_tool(KAFKA_CLASSES["delete"], args).stdout == mine
    for extra in pick(
        [["--time", "-2"], [], ["--time", "earliest"], ["--time", "-3"], ["--partitions", "0,2"], ["--time", "1"]], exhaustive
    ):
        args = ["--bootstrap-server", strom_broker.bootstrap, "--topic", topic, *extra]
        assert ours(kafka_get_offsets, args, capsys)[1] == kafka_tool(KAFKA_CLASSES["offsets"], args).stdout, extra
    args = ["--bootstrap-server", strom_broker.bootstrap]
    mine = ours(kafka_broker_api_versions, args, capsys)[1].splitlines()
    reference = kafka_tool(KAFKA_CLASSES["versions"], args).stdout.splitlines()
    # the broker's ranges are the same; "usable" is the top version the client knows, which for a few APIs is
    # lower in Strom's protocol tables than in Kafka 3.9's client
    assert [re.sub(r" \[usable: \d+\]", "", x) for x in mine] == [re.sub(r" \[usable: \d+\]", "", x) for x in reference]
    same = sum(a == b for a, b in zip(mine, reference, strict=True))
    assert same >= len(reference) - 3 and "\tProduce(0): 0 to 11 [usable: 11]," in mine


@EXHAUSTIVE
def test_dump_log_matches_kafka_on_segments_written_by_apache_kafka(apache_kafka, kafka_tool, capsys, exhaustive):
    topic = f"dump-{uuid.uuid4().hex[:6]}"
    # one batch for all ten: librdkafka sends a batch uncompressed when lz4 does not make it smaller, as it does not
    # for a batch of one short record (a 20 ms linger split them on a loaded machine)
    # the topic exists and its leader is known before the first record, so all ten wait in one linger window (with
    # auto-creation librdkafka may send the first ones as soon as the leader appears, each alone and uncompressed)
    admin = ck.admin.AdminClient({"bootstrap.servers": apache_kafka.bootstrap})
    admin.create_topics([ck.admin.NewTopic(topic, 1, 1)])[topic].result(30)
    plain = ck.Producer({"bootstrap.servers": apache_kafka.bootstrap, "compression.type": "lz4", "linger.ms": 1000})
    deadline = time.monotonic() + 30
    while plain.list_topics(topic, timeout=10).topics[topic].partitions[0].leader < 0:
        assert time.monotonic() < deadline, "no leader for the new topic"
        time.sleep(0.1)
    for i in range(10):
        plain.produce(topic, key=None if i % 3 == 0 else b"k%d" % i, value=None if i == 4 else f"värde {i}", headers={"h": b"x"})
    plain.flush(30)
    txn = ck.Producer({"bootstrap.servers": apache_kafka.bootstrap, "transactional.id": f"t-{topic}"})
    txn.init_transactions(30)
    for commit in (True, False):
        txn.begin_transaction()
        txn.produce(topic, key=b"tk", value=b"in a transaction")
        txn.flush(30)  # sent, so the partition is in the transaction and gets a marker even on abort
        txn.commit_transaction(30) if commit else txn.abort_transaction(30)
    del plain, txn  # librdkafka handles: closed now, not at interpreter exit
    segment = next((apache_kafka.base / "data" / f"{topic}-0").glob("*.log"))
    deadline = time.monotonic() + 20
    while "endTxnMarker: ABORT" not in ours(kafka_dump_log, ["--files", str(segment), "--deep-iteration"], capsys)[1]:
        assert time.monotonic() < deadline, "Kafka did not write the abort marker"
        time.sleep(0.2)  # transaction markers are written after EndTxn answers
    files = ",".join(str(segment.with_suffix(s)) for s in (".log", ".index", ".timeindex"))
    for flags in pick([["--print-data-log"], ["--deep-iteration"], [], ["--print-data-log", "--skip-record-metadata"]], exhaustive):
        theirs = kafka_tool(KAFKA_CLASSES["dump"], ["--files", str(segment), *flags])
        assert theirs.returncode == 0, theirs.stderr
        _, out, _ = ours(kafka_dump_log, ["--files", str(segment), *flags], capsys)
        assert out == theirs.stdout, flags
        if flags == ["--print-data-log"]:
            assert "endTxnMarker: COMMIT coordinatorEpoch: 0" in out and "endTxnMarker: ABORT coordinatorEpoch: 0" in out
            assert "compresscodec: lz4" in out and "payload: värde 1" in out
    _, out, _ = ours(kafka_dump_log, ["--files", files], capsys)
    assert out.splitlines()[0] == f"Dumping {segment}"
