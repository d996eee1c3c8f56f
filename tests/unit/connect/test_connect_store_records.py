"""Config- and status-topic records: the bytes Kafka 3.9's KafkaConfigBackingStore / KafkaStatusBackingStore write
through JsonConverter (ConnectGolden.java), and the order rules of applying them."""

from __future__ import annotations

from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import (
    ConfigRecordApplier,
    ConfigUpdateListener,
    RestartRequest,
    parse_task_key,
    serialize_properties,
    serialize_restart_request,
    serialize_session_key,
    serialize_target_state,
    serialize_task_commit,
    serialize_task_count_record,
)
from strom.connect.runtime.status_store import Status, StatusRecordApplier, TopicStatus, serialize_status, serialize_topic_status

GOLDEN = {
    "connector_config": "7b2270726f70657274696573223a7b22636f6e6e6563746f722e636c617373223a2246696c6553747265616d536f75726365222c"
    "227461736b732e6d6178223a2231222c2266696c65223a222f746d702f696e20c3a92e747874227d7d",
    "commit": "7b227461736b73223a327d",
    "target_state": "7b227374617465223a22504155534544222c2273746174652e7632223a2253544f50504544227d",
    "restart": "7b22696e636c7564652d7461736b73223a747275652c226f6e6c792d6661696c6564223a66616c73657d",
    "session_key": "7b226b6579223a2241414543222c22616c676f726974686d223a22486d6163534841323536222c226372656174696f6e2d74696d65"
    "7374616d70223a313730303030303030303030307d",
    "status_running": "7b227374617465223a2252554e4e494e47222c227472616365223a6e756c6c2c22776f726b65725f6964223a2277313a38303833"
    "222c2267656e65726174696f6e223a337d",
    "status_failed": "7b227374617465223a224641494c4544222c227472616365223a226a6176612e6c616e672e457863657074696f6e3a20785c6e5c"
    "7461742079222c22776f726b65725f6964223a2277313a38303833222c2267656e65726174696f6e223a347d",
}


def test_config_values_match_kafka() -> None:
    props = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": "/tmp/in é.txt"}
    assert serialize_properties(props).hex() == GOLDEN["connector_config"]
    assert serialize_task_commit(2).hex() == GOLDEN["commit"]
    assert serialize_target_state("STOPPED").hex() == GOLDEN["target_state"]
    assert serialize_restart_request(include_tasks=True, only_failed=False).hex() == GOLDEN["restart"]
    assert serialize_session_key(b"\0\1\2", "HmacSHA256", 1700000000000).hex() == GOLDEN["session_key"]


def test_status_values_match_kafka() -> None:
    assert serialize_status(Status("c", None, "RUNNING", "w1:8083", 3)) == bytes.fromhex(GOLDEN["status_running"])
    failed = Status("c", 0, "FAILED", "w1:8083", 4, "java.lang.Exception: x\n\tat y")
    assert serialize_status(failed) == bytes.fromhex(GOLDEN["status_failed"])
    assert serialize_status(Status("c", 0, "DESTROYED", "w1:8083", 4)) is None
    assert serialize_topic_status(TopicStatus("t", "c", 0, 5)) == b'{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":5}}'


def test_task_configs_apply_only_on_a_complete_commit() -> None:
    updates: list[tuple[str, list[ConnectorTaskId]]] = []
    applier = ConfigRecordApplier(ConfigUpdateListener(on_task_config_update=lambda n, t: updates.append((n, t))))
    applier.apply("connector-my-conn", serialize_properties({"tasks.max": "2"}), 0)
    applier.apply("task-my-conn-0", serialize_properties({"a": "0"}), 1)
    applier.apply("task-my-conn-1", serialize_properties({"a": "1"}), 2)
    assert applier.snapshot().tasks("my-conn") == []  # not committed yet
    applier.apply("commit-my-conn", serialize_task_commit(2), 3)
    snap = applier.snapshot()
    assert snap.tasks("my-conn") == [ConnectorTaskId("my-conn", 0), ConnectorTaskId("my-conn", 1)]
    assert snap.task_config(ConnectorTaskId("my-conn", 1)) == {"a": "1"}
    assert updates == [("my-conn", [ConnectorTaskId("my-conn", 0), ConnectorTaskId("my-conn", 1)])]
    # a commit whose task configs were compacted away marks the connector inconsistent, keeping no tasks
    applier.apply("task-my-conn-1", serialize_properties({"a": "x"}), 4)
    applier.apply("commit-my-conn", serialize_task_commit(2), 5)
    assert applier.snapshot().inconsistent == frozenset({"my-conn"})
    assert applier.snapshot().tasks("my-conn") == []
    # the next complete commit heals it; fewer tasks drop the old ones
    applier.apply("task-my-conn-0", serialize_properties({"a": "y"}), 6)
    applier.apply("commit-my-conn", serialize_task_commit(1), 7)
    snap = applier.snapshot()
    assert (snap.inconsistent, snap.tasks("my-conn"), snap.offset) == (frozenset(), [ConnectorTaskId("my-conn", 0)], 8)


def test_target_state_restart_and_delete() -> None:
    restarts: list[RestartRequest] = []
    removed: list[str] = []
    applier = ConfigRecordApplier(ConfigUpdateListener(on_restart_request=restarts.append, on_connector_config_remove=removed.append))
    applier.apply("target-state-c", serialize_target_state("STOPPED"), 0)
    applier.apply("connector-c", serialize_properties({"k": "v"}), 1)
    assert applier.snapshot().target_state("c") == "STOPPED"
    applier.apply("target-state-c", b'{"state":"PAUSED"}', 2)  # written by a worker older than 3.5
    assert applier.snapshot().target_state("c") == "PAUSED"
    applier.apply("restart-connector-c", serialize_restart_request(True, True), 3)
    assert restarts == [RestartRequest("c", only_failed=True, include_tasks=True)]
    applier.apply("task-c-0", serialize_properties({}), 4)
    applier.apply("commit-c", serialize_task_commit(1), 5)
    applier.apply("connector-c", None, 6)
    applier.apply("target-state-c", None, 7)
    snap = applier.snapshot()
    assert (snap.connectors(), snap.task_configs, snap.target_state("c"), removed) == ([], {}, "STARTED", ["c"])
    applier.apply("connector-bad", b"[1]", 8)  # not an object: skipped, not fatal
    applier.apply("bogus-key", b"{}", 9)
    assert applier.snapshot().connectors() == []


def test_task_configs_after_the_last_tasks_fencing_record_are_pending_fencing() -> None:
    """KIP-618: each applied commit is a new task generation that needs fencing until a tasks-fencing record follows."""
    assert serialize_task_count_record(3) == b'{"task-count":3}'  # KafkaConfigBackingStore's TASK_COUNT_RECORD_V0
    applier = ConfigRecordApplier()
    applier.apply("connector-c", serialize_properties({"tasks.max": "1"}), 0)
    assert applier.snapshot().task_config_generation("c") is None and not applier.snapshot().is_pending_fencing("c")
    applier.apply("task-c-0", serialize_properties({"a": "0"}), 1)
    applier.apply("commit-c", serialize_task_commit(1), 2)
    snap = applier.snapshot()
    assert (snap.task_config_generation("c"), snap.is_pending_fencing("c"), snap.task_count_record("c")) == (0, True, None)
    applier.apply("tasks-fencing-c", serialize_task_count_record(1), 3)
    snap = applier.snapshot()
    assert (snap.is_pending_fencing("c"), snap.task_count_record("c")) == (False, 1)
    applier.apply("commit-c", serialize_task_commit(0), 4)  # stopped: empty task configs are a generation too
    assert (applier.snapshot().task_config_generation("c"), applier.snapshot().is_pending_fencing("c")) == (1, True)


def test_task_keys_with_dashes() -> None:
    assert parse_task_key("task-my-conn-12") == ConnectorTaskId("my-conn", 12)
    assert parse_task_key("task-nonumber") is None


def test_status_applier() -> None:
    a = StatusRecordApplier()
    a.apply("status-connector-my-conn", serialize_status(Status("my-conn", None, "RUNNING", "w:1", 1)))
    a.apply("status-task-my-conn-3", serialize_status(Status("my-conn", 3, "FAILED", "w:1", 1, "boom")))
    a.apply("status-topic-orders:connector-my-conn", serialize_topic_status(TopicStatus("orders", "my-conn", 3, 9)))
    assert a.connectors["my-conn"].state == "RUNNING"
    assert a.tasks[ConnectorTaskId("my-conn", 3)].trace == "boom"
    assert list(a.topics["my-conn"]) == ["orders"]
    a.apply("status-task-my-conn-3", None)
    a.apply("status-task-garbage", b"{}")
    assert a.tasks == {}
