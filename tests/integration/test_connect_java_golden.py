"""Kafka 3.9's own Connect classes write the group protocol and config/status records; Strom's must be the same
bytes (ConnectGolden.java runs them with Kafka's jars from Maven Central)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import (
    serialize_properties,
    serialize_restart_request,
    serialize_session_key,
    serialize_target_state,
    serialize_task_commit,
)
from strom.connect.runtime.connect_protocol import (
    ExtendedAssignment,
    WorkerState,
    serialize_assignment,
    serialize_metadata,
)
from strom.connect.runtime.status_store import Status, serialize_status
from strom.testing.apache_kafka import kafka_libs

pytestmark = [pytest.mark.java, pytest.mark.slow]

GOLDEN_SOURCE = Path(__file__).parent / "connect_java" / "ConnectGolden.java"


def strom_bytes() -> dict[str, bytes | None]:
    tasks = (ConnectorTaskId("c1", 0), ConnectorTaskId("c1", 1))
    a = ExtendedAssignment(1, 0, "leader-1", "http://l:8083/", 12, ("c1",), tasks, ("c2",), (ConnectorTaskId("c2", 3),), 5000)
    return {
        "v0_metadata": serialize_metadata(WorkerState("http://w1:8083/", 7), 0),
        "v0_assignment": serialize_assignment(ExtendedAssignment(0, 0, "leader-1", "http://l:8083/", 12, ("c1",), tasks)),
        "v1_assignment": serialize_assignment(a, 1),
        "v2_assignment": serialize_assignment(a, 2),
        "v1_error_assignment": serialize_assignment(ExtendedAssignment(1, 1, "leader-1", "http://l:8083/", -1)),
        "v1_metadata": serialize_metadata(WorkerState("http://w1:8083/", 7, a), 1),
        "v2_metadata": serialize_metadata(WorkerState("http://w1:8083/", 7, a), 2),
        "v2_metadata_empty": serialize_metadata(WorkerState("http://w1:8083/", -1), 2),
        "connector_config": serialize_properties({"connector.class": "FileStreamSource", "tasks.max": "1", "file": "/tmp/in é.txt"}),
        "commit": serialize_task_commit(2),
        "target_state": serialize_target_state("STOPPED"),
        "restart": serialize_restart_request(True, False),
        "session_key": serialize_session_key(b"\0\1\2", "HmacSHA256", 1700000000000),
        "status_running": serialize_status(Status("c", None, "RUNNING", "w1:8083", 3)),
        "status_failed": serialize_status(Status("c", 0, "FAILED", "w1:8083", 4, "java.lang.Exception: x\n\tat y")),
    }


def test_bytes_equal_kafkas(tmp_path: Path) -> None:
    libs = kafka_libs()
    proc = subprocess.run(
        ["java", "-cp", f"{libs}/*", str(GOLDEN_SOURCE)], capture_output=True, text=True, timeout=180, cwd=tmp_path, check=True
    )
    kafka = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    ours = strom_bytes()
    assert set(kafka) == set(ours)
    for name, value in ours.items():
        assert value is not None and value.hex() == kafka[name].strip(), name
