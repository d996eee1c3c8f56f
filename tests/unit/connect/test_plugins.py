"""Plugins answer to Kafka's Java names, their aliases and Python paths; validation reports Kafka's texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.connect.connectors.file import FileStreamSinkConnector, FileStreamSourceConnector, FileStreamSourceTask
from strom.connect.converters import JsonConverter, StringConverter
from strom.connect.errors import ConnectException
from strom.connect.plugins import Plugins, PluginType
from strom.connect.rest.errors import BadRequestException
from strom.connect.runtime.connector_config import raise_if_invalid, validate_connector_config
from strom.connect.runtime.topic_creation import TopicCreation


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins()


@pytest.mark.parametrize(
    "name",
    [
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "FileStreamSourceConnector",
        "FileStreamSource",
        "strom.connect.connectors.file.FileStreamSourceConnector",
        "strom.connect.connectors.file:FileStreamSourceConnector",
    ],
)
def test_connector_names(plugins: Plugins, name: str) -> None:
    assert plugins.connector_class(name) is FileStreamSourceConnector


def test_converters_and_canonical_names(plugins: Plugins) -> None:
    assert isinstance(plugins.new_converter("org.apache.kafka.connect.json.JsonConverter"), JsonConverter)
    assert isinstance(plugins.new_converter("StringConverter"), StringConverter)
    assert plugins.canonical_name("FileStreamSink") == "org.apache.kafka.connect.file.FileStreamSinkConnector"
    listed = {(p.class_name, p.type) for p in plugins.all_plugins()}
    assert ("org.apache.kafka.connect.storage.StringConverter", PluginType.CONVERTER) in listed
    assert ("org.apache.kafka.connect.storage.StringConverter", PluginType.HEADER_CONVERTER) in listed
    assert ("org.apache.kafka.connect.transforms.InsertField$Value", PluginType.TRANSFORMATION) in listed
    assert [p.class_name for p in plugins.connector_plugins()].count("org.apache.kafka.connect.file.FileStreamSinkConnector") == 1


def test_unknown_connector_class(plugins: Plugins) -> None:
    with pytest.raises(ConnectException, match="Failed to find any class that implements Connector and which name matches Nope"):
        plugins.connector_class("Nope")
    with pytest.raises(BadRequestException, match="contains no connector type"):
        validate_connector_config(plugins, {"name": "x"})


def test_validation_messages(plugins: Plugins) -> None:
    infos, connector = validate_connector_config(
        plugins, {"name": "s", "connector.class": "FileStreamSink", "topics": "a", "topics.regex": "b.*", "errors.tolerance": "some"}
    )
    assert isinstance(connector, FileStreamSinkConnector)
    errors = {c.value.name: c.value.errors for c in infos.configs if c.value.errors}
    assert errors == {
        "topics": ["topics and topics.regex are mutually exclusive options, but both are set."],
        "topics.regex": ["topics and topics.regex are mutually exclusive options, but both are set."],
        "errors.tolerance": ["Invalid value some for configuration errors.tolerance: String must be one of: none, all"],
    }
    with pytest.raises(BadRequestException) as raised:
        raise_if_invalid(infos)
    assert raised.value.message.splitlines()[0] == "Connector configuration is invalid and contains the following 3 error(s):"
    props = {"name": "s", "connector.class": "FileStreamSink", "topics": "a", "transforms": "x,y", "transforms.y.type": "Nope"}
    props |= {"predicates": "p", "predicates.p.type": "TopicNameMatches"}
    infos, _ = validate_connector_config(plugins, props)
    errors = {c.value.name: c.value.errors for c in infos.configs if c.value.errors}
    assert errors == {  # as Kafka's enriched validation reports them
        "transforms.x.type": ['Missing required configuration "transforms.x.type" which has no default value.'],
        "transforms.y.type": ["Invalid value Nope for configuration transforms.y.type: Class Nope could not be found."],
        "predicates.p.pattern": ['Missing required configuration "predicates.p.pattern" which has no default value.'],
    }
    assert infos.groups[-3:] == ["Transforms: x", "Transforms: y", "Predicates: p"]
    props |= {"transforms": "y", "transforms.y.type": "org.apache.kafka.connect.transforms.InsertField$Value", "predicates.p.pattern": "a"}
    infos, _ = validate_connector_config(plugins, props)
    assert infos.error_count == 0
    transform_keys = [(c.value.name, c.definition.order_in_group) for c in infos.configs if c.value.name.startswith("transforms.y.")]
    assert transform_keys[:3] == [("transforms.y.type", 0), ("transforms.y.negate", 1), ("transforms.y.offset.field", 2)]


def test_file_source_splits_lines_and_keeps_positions() -> None:
    task = FileStreamSourceTask()
    task.start({"file": "f", "topic": "t", "batch.size": "2"})
    task.buffer = b"one\r\ntwo\rthree\nfour"
    first = task._lines()
    assert [r.value for r in first] == ["one", "two"] and [r.source_offset for r in first] == [{"position": 5}, {"position": 9}]
    second = task._lines()
    assert [r.value for r in second] == ["three"] and second[0].source_offset == {"position": 15}
    assert task.buffer == b"four" and task._lines() == []  # an unfinished line waits for its newline


def test_topic_creation_groups() -> None:
    assert TopicCreation.from_config(True, {"topic.creation.default.partitions": "1"}) is None
    props = {
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "3",
        "topic.creation.default.cleanup.policy": "compact",
        "topic.creation.groups": "big",
        "topic.creation.big.include": "big-.*",
        "topic.creation.big.exclude": "big-no",
        "topic.creation.big.partitions": "12",
    }
    creation = TopicCreation.from_config(True, props)
    assert creation is not None and TopicCreation.from_config(False, props) is None
    big = creation.group_for("big-one").new_topic("big-one")
    assert (big.num_partitions, big.replication_factor, big.config) == (12, 1, {"cleanup.policy": "compact"})
    assert creation.group_for("big-no").name == "default" and creation.group_for("other").new_topic("other").num_partitions == 3


def test_client_override_policy(plugins: Plugins) -> None:
    props = {"name": "s", "connector.class": "FileStreamSink", "topics": "a", "consumer.override.max.poll.records": "5"}
    props["producer.override.security.protocol"] = "SSL"
    assert validate_connector_config(plugins, props)[0].error_count == 0  # All, Kafka's default
    infos, _ = validate_connector_config(plugins, props, None, "Principal")
    assert [(c.value.name, c.value.errors) for c in infos.configs if c.value.errors] == [
        (
            "consumer.override.max.poll.records",
            ["The 'Principal' policy does not allow 'max.poll.records' to be overridden in the connector configuration."],
        )
    ]
    none = "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy"
    assert validate_connector_config(plugins, props, None, none)[0].error_count == 2


def test_exactly_once_preflight(plugins: Plugins) -> None:
    """KIP-618's checks on an exactly-once worker: FileStreamSource supports exactly once but not
    connector-defined transaction boundaries."""
    props = {"name": "s", "connector.class": "FileStreamSource", "topic": "t", "exactly.once.support": "required"}
    assert validate_connector_config(plugins, props, exactly_once=True)[0].error_count == 0
    infos, _ = validate_connector_config(plugins, {**props, "transaction.boundary": "connector"}, exactly_once=True)
    errors = [e for c in infos.configs if c.value.name == "transaction.boundary" for e in c.value.errors]
    assert errors and errors[0].startswith("The connector does not support connector-defined transaction boundaries")
    assert validate_connector_config(plugins, {**props, "transaction.boundary": "connector"})[0].error_count == 0  # EOS off


def test_plugins_of_other_packages_through_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package declaring [project.entry-points."strom.connect"] is found by its entry point name."""
    dist = tmp_path / "acme_connectors-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connectors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[strom.connect]\ncom.acme.LinesSource = {__name__}:AcmeSource\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = Plugins()
    assert plugins.connector_class("com.acme.LinesSource") is AcmeSource
    assert ("com.acme.LinesSource", PluginType.SOURCE) in [(p.class_name, p.type) for p in plugins.connector_plugins()]


class AcmeSource(FileStreamSourceConnector):
    """A connector another package ships."""
