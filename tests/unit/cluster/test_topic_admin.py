"""The embedded broker's topic administration: a real LocalMetadataStore in a temp dir; the partitions it
opens and drops are recorded where the broker's replica manager would act on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strom.cluster.metadata import LocalMetadataStore, TopicState
from strom.cluster.topic_admin import LocalAdminManager, validate_topic_name
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP
from strom.storage.config import LogConfig

BROKER_ID = 1


class Admin:
    def __init__(self, directory: Path, **overrides: Any) -> None:
        self.config: dict[str, Any] = {"num.partitions": 3, "default.replication.factor": 1, "delete.topic.enable": True, **overrides}
        self.store = LocalMetadataStore(directory, BROKER_ID)
        self.opened: list[TP] = []
        self.removed: list[TP] = []
        self.manager = LocalAdminManager(BROKER_ID, self.config, self.store, LogConfig, self._open, self._remove)

    def _open(self, topic: TopicState, index: int) -> None:
        self.opened.append((topic.name, index))

    def _remove(self, topic: str, index: int) -> None:
        self.removed.append((topic, index))


def _code(exc: pytest.ExceptionInfo[KafkaError]) -> int:
    return int(exc.value.code())


def test_create_topic_with_defaults_opens_its_partitions_and_persists_it(tmp_path: Path) -> None:
    admin = Admin(tmp_path)
    topic = admin.manager.create_topic("t", -1, -1, {"cleanup.policy": "compact"})
    assert topic is not None and sorted(topic.partitions) == [0, 1, 2]
    assert admin.opened == [("t", 0), ("t", 1), ("t", 2)]
    reloaded = LocalMetadataStore(tmp_path, BROKER_ID)
    assert reloaded.topics["t"].configs == {"cleanup.policy": "compact"}
    assert reloaded.topics["t"].partitions[0].replicas == [BROKER_ID]


def test_validate_only_and_refusals_create_nothing(tmp_path: Path) -> None:
    admin = Admin(tmp_path)
    assert admin.manager.create_topic("t", 2, 1, {}, validate_only=True) is None
    with pytest.raises(KafkaError) as exc:
        admin.manager.create_topic("t", 1, 2, {})
    assert _code(exc) == ErrorCode.INVALID_REPLICATION_FACTOR
    with pytest.raises(KafkaError) as exc:
        admin.manager.create_topic("t", 0, 1, {})
    assert _code(exc) == ErrorCode.INVALID_PARTITIONS
    with pytest.raises(KafkaError) as exc:
        admin.manager.create_topic("t", -1, -1, {}, assignment={0: [BROKER_ID + 1]})
    assert _code(exc) == ErrorCode.INVALID_REPLICA_ASSIGNMENT
    with pytest.raises(KafkaError) as exc:
        admin.manager.create_topic("t", 1, 1, {"retention.ms": "soon"})
    assert _code(exc) == ErrorCode.INVALID_CONFIG
    assert admin.store.topics == {} and admin.opened == []


def test_a_topic_exists_once(tmp_path: Path) -> None:
    admin = Admin(tmp_path)
    admin.manager.create_topic("t", 1, 1, {})
    with pytest.raises(KafkaError) as exc:
        admin.manager.create_topic("t", 1, 1, {})
    assert _code(exc) == ErrorCode.TOPIC_ALREADY_EXISTS


def test_add_partitions_opens_only_the_new_ones(tmp_path: Path) -> None:
    admin = Admin(tmp_path)
    admin.manager.create_topic("t", 2, 1, {})
    admin.manager.add_partitions("t", 4, validate_only=False)
    assert admin.opened == [("t", 0), ("t", 1), ("t", 2), ("t", 3)]
    with pytest.raises(KafkaError) as exc:
        admin.manager.add_partitions("t", 4, validate_only=False)
    assert _code(exc) == ErrorCode.INVALID_PARTITIONS
    with pytest.raises(KafkaError) as exc:
        admin.manager.add_partitions("nope", 4, validate_only=False)
    assert _code(exc) == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_delete_topic_drops_its_partitions_unless_deletion_is_disabled(tmp_path: Path) -> None:
    admin = Admin(tmp_path)
    admin.manager.create_topic("t", 2, 1, {})
    admin.manager.delete_topic("t")
    assert admin.removed == [("t", 0), ("t", 1)]
    assert "t" not in LocalMetadataStore(tmp_path, BROKER_ID).topics
    kept = Admin(tmp_path / "kept", **{"delete.topic.enable": False})
    kept.manager.create_topic("t", 1, 1, {})
    with pytest.raises(KafkaError) as exc:
        kept.manager.delete_topic("t")
    assert _code(exc) == ErrorCode.TOPIC_DELETION_DISABLED
    assert kept.removed == [] and "t" in kept.store.topics


@pytest.mark.parametrize("name", ["", ".", "..", "a" * 250, "bad name", "bad/name"])
def test_illegal_topic_names(name: str) -> None:
    with pytest.raises(KafkaError) as exc:
        validate_topic_name(name)
    assert _code(exc) == ErrorCode.INVALID_TOPIC_EXCEPTION


def test_legal_topic_name() -> None:
    validate_topic_name("orders.v2_eu-1")
