"""StateDirectory and ProcessorStateManager: the application lock, the persisted process id, offset sums for the
assignor, and exactly-once's rule that a task without a checkpoint loses its local state."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.streams.errors import StreamsException
from strom.streams.processor.api import TaskId
from strom.streams.runtime.processor_state_manager import ProcessorStateManager
from strom.streams.runtime.state_directory import StateDirectory, read_checkpoint, write_checkpoint


def test_one_instance_per_state_dir_and_a_stable_process_id(tmp_path: Path) -> None:
    first = StateDirectory(str(tmp_path), "app")
    with pytest.raises(StreamsException, match="multiple instances of Kafka Streams are running in the same state directory"):
        StateDirectory(str(tmp_path), "app")
    pid = first.process_id
    first.close()
    second = StateDirectory(str(tmp_path), "app")
    assert second.process_id == pid  # a restarted instance is the same client to the assignor
    second.close()


def test_offset_sums_come_from_checkpoints(tmp_path: Path) -> None:
    d = StateDirectory(str(tmp_path), "app")
    write_checkpoint(d.checkpoint_path(TaskId(0, 1)), {("app-s-changelog", 1): 10, ("app-t-changelog", 1): 5})
    d.task_dir(TaskId(1, 0))  # a directory without a checkpoint holds no usable state
    (d.app_dir / "not-a-task").mkdir()
    assert d.task_offset_sums() == {TaskId(0, 1): 15}
    assert read_checkpoint(d.checkpoint_path(TaskId(0, 1))) == {("app-s-changelog", 1): 10, ("app-t-changelog", 1): 5}
    (d.checkpoint_path(TaskId(0, 1))).write_text("7\n")
    assert read_checkpoint(d.checkpoint_path(TaskId(0, 1))) == {}  # unreadable: restore from the changelog
    d.clean()
    assert not any(p.is_dir() for p in d.app_dir.iterdir())
    d.close()


@pytest.mark.parametrize("eos", [False, True])
def test_checkpoint_loading_under_each_guarantee(tmp_path: Path, eos: bool) -> None:
    d = StateDirectory(str(tmp_path), "app")
    task = TaskId(0, 0)
    (d.task_dir(task) / "rocksdb").mkdir()
    write_checkpoint(d.checkpoint_path(task), {("app-s-changelog", 0): 41})
    m = ProcessorStateManager(task, d, {"s": "app-s-changelog"}, 0, eos)
    m.load_checkpoint(has_persistent_stores=True)
    assert (d.task_dir(task) / "rocksdb").exists()  # a checkpoint vouches for the local state
    assert d.checkpoint_path(task).exists() is (not eos)  # EOS removes it while the task runs
    m2 = ProcessorStateManager(task, d, {"s": "app-s-changelog"}, 0, eos)
    m2.load_checkpoint(has_persistent_stores=True)
    assert (d.task_dir(task) / "rocksdb").exists() is (not eos)  # after a crash under EOS: wiped, rebuilt from the changelog
    d.close()
