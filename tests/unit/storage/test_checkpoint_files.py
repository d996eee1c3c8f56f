"""Checkpoint files (replication-offset-checkpoint and the others) written by more than one thread."""

from __future__ import annotations

import threading
from pathlib import Path

from strom.storage.log_manager import read_checkpoint, write_checkpoint


def test_two_threads_writing_one_checkpoint_file_never_fail(tmp_path: Path) -> None:
    """The broker's checkpoint tick (LogManager) and the replica manager's high-watermark loop both write
    replication-offset-checkpoint from executor threads. Through one temporary file, one writer's rename
    took the other's file and the other's rename failed (ENOENT), which took the log dir offline and, with
    one log dir, halted the broker (found by the zombie-leader fault campaign under load)."""
    path = tmp_path / "replication-offset-checkpoint"
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(offset: int) -> None:
        start.wait()
        try:
            for n in range(100):
                write_checkpoint(path, {("t", p): offset + n for p in range(50)})
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(base,)) for base in (0, 10_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    written = read_checkpoint(path)
    assert len(written) == 50 and len(set(written.values())) == 1  # one writer's whole file, not a mix
    assert not list(tmp_path.glob("*.tmp"))
