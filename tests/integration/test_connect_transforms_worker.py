"""Transforms inside a standalone worker on a Strom broker: a source chain (HoistField, InsertField, RegexRouter,
a Filter gated by a predicate) shapes what reaches the topic, a sink chain (ExtractField) what the sink writes,
and config/validate reports transform keys."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom import Consumer
from strom.testing.broker import BrokerProcess

from .test_connect_standalone import Worker, wait_for


@pytest.fixture(scope="module")
def worker(strom_broker: BrokerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(strom_broker, tmp_path_factory.mktemp("connect-transforms"))
    yield w
    w.close()


def test_source_and_sink_chains(worker: Worker, tmp_path: Path) -> None:
    src, dst = tmp_path / "people.txt", tmp_path / "names.txt"
    src.write_text("alice\nskip-me\nbob\n")
    source = {
        "connector.class": "FileStreamSource",
        "file": str(src),
        "topic": "people-raw",
        "transforms": "hoist,insert,route,skip",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "name",
        "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.topic.field": "from",
        "transforms.insert.static.field": "origin",
        "transforms.insert.static.value": "file",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)-raw",
        "transforms.route.replacement": "$1-clean",
        "transforms.skip.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.skip.predicate": "isSkipTopic",
        "transforms.skip.negate": "true",
        "predicates": "isSkipTopic",
        "predicates.isSkipTopic.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.isSkipTopic.pattern": "people-clean",
    }
    r = worker.http.post("/connectors", json={"name": "people-source", "config": source})
    assert r.status_code == 201, r.text
    sink = {
        "connector.class": "FileStreamSink",
        "file": str(dst),
        "topics": "people-clean",
        "transforms": "name",
        "transforms.name.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
        "transforms.name.field": "name",
    }
    r = worker.http.post("/connectors", json={"name": "people-sink", "config": sink})
    assert r.status_code == 201, r.text
    wait_for(lambda: dst.exists() and dst.read_text() == "alice\nskip-me\nbob\n", 60, "sink file")

    consumer = Consumer(
        {"bootstrap.servers": worker.props["bootstrap.servers"], "group.id": "people-check", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["people-clean"])
    payloads: list[dict[str, str]] = []
    deadline = time.monotonic() + 30
    while len(payloads) < 3 and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            envelope = json.loads(msg.value())
            assert [f["field"] for f in envelope["schema"]["fields"]] == ["name", "from", "origin"]
            payloads.append(envelope["payload"])
    consumer.close()
    assert [p["name"] for p in payloads] == ["alice", "skip-me", "bob"]
    assert {(p["from"], p["origin"]) for p in payloads} == {("people-raw", "file")}


def test_filter_drops_what_the_predicate_matches(worker: Worker, tmp_path: Path) -> None:
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("x\n")
    source = {
        "connector.class": "FileStreamSource",
        "file": str(src),
        "topic": "dropped-topic",
        "transforms": "drop",
        "transforms.drop.type": "Filter",
        "transforms.drop.predicate": "all",
        "predicates": "all",
        "predicates.all.type": "TopicNameMatches",
        "predicates.all.pattern": "dropped-.*",
    }
    assert worker.http.post("/connectors", json={"name": "drop-source", "config": source}).status_code == 201
    sink = {"connector.class": "FileStreamSink", "file": str(dst), "topics": "dropped-topic,marker-topic"}
    assert worker.http.post("/connectors", json={"name": "drop-sink", "config": sink}).status_code == 201
    marker = {"connector.class": "FileStreamSource", "file": str(src), "topic": "marker-topic"}
    assert worker.http.post("/connectors", json={"name": "marker-source", "config": marker}).status_code == 201
    # the marker's copy of the line arrives; the filtered one never does
    wait_for(lambda: dst.exists() and dst.read_text() == "x\n", 60, "marker line")
    time.sleep(1.5)
    assert dst.read_text() == "x\n"


def test_bad_transform_config_is_refused(worker: Worker, tmp_path: Path) -> None:
    config = {
        "connector.class": "FileStreamSource",
        "file": str(tmp_path / "f.txt"),
        "topic": "t",
        "transforms": "c",
        "transforms.c.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.c.spec": "a:bytes",
    }
    r = worker.http.post("/connectors", json={"name": "bad-cast", "config": config})
    assert r.status_code == 400, r.text
    assert "Cast transformation does not support casting to BYTES" in r.json()["message"]
