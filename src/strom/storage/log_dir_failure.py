"""Kafka's LogDirFailureChannel: where an I/O error in a log directory is reported, once per directory.

A disk that refused a write or an fsync (full, remounted read-only, failing) cannot be trusted for any
partition on it: Kafka takes the whole log directory offline, stops serving its partitions (produce and
fetch get KAFKA_STORAGE_ERROR, the controller moves leadership away) and keeps serving the other log
directories. Nothing is retried on that directory until the broker restarts. Errors are reported from the
event loop and from worker threads (flush, retention, checkpoints), so the channel is thread-safe; its
listeners (the replica manager) decide on which thread they act.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("kafka.server.LogDirFailureChannel")

LogDirFailureListener = Callable[[Path], None]


class LogDirFailureChannel:
    def __init__(self) -> None:
        self._offline: set[Path] = set()
        self._lock = threading.Lock()
        self.listeners: list[LogDirFailureListener] = []

    @property
    def offline_dirs(self) -> frozenset[Path]:
        return frozenset(self._offline)

    def is_offline(self, log_dir: Path) -> bool:
        return log_dir in self._offline

    def maybe_add_offline_log_dir(self, log_dir: Path, message: str, exc: BaseException) -> None:
        """Reports an I/O error in `log_dir`: the first report of a directory is logged (with the error) and
        handed to the listeners; later ones for the same directory change nothing."""
        with self._lock:
            if log_dir in self._offline:
                return
            self._offline.add(log_dir)
        log.error("%s: %s", message, exc)
        for listener in self.listeners:
            listener(log_dir)
