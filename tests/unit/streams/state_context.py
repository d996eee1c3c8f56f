"""A StateStoreContext for store tests: it keeps what the runtime would send to the changelog, and replays it into
a fresh store the way the changelog reader restores one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strom.streams.processor.task_id import TaskId
from strom.streams.serdes import Serde, Serdes
from strom.streams.state.api import ProcessorRecordContext, RestoreCallback, StateStore, StateStoreContext
from strom.streams.state.internals.thread_cache import ThreadCache


class ChangelogContext(StateStoreContext):
    def __init__(self, state_dir: Path, cache: ThreadCache | None = None, task: TaskId | None = None) -> None:
        self._state_dir = state_dir
        self._cache = cache
        self._task = task or TaskId(0, 0)
        self.changelog: list[tuple[str, bytes, bytes | None, int]] = []
        self.registered: dict[str, tuple[StateStore, RestoreCallback]] = {}
        self.timestamp = 0

    @property
    def application_id(self) -> str:
        return "app"

    @property
    def task_id(self) -> TaskId:
        return self._task

    @property
    def state_dir(self) -> Path:
        return self._state_dir

    def app_configs(self) -> dict[str, Any]:
        return {"strom.state.lmdb.map.size.bytes": 1 << 26}

    @property
    def key_serde(self) -> Serde[Any]:
        return Serdes.String()

    @property
    def value_serde(self) -> Serde[Any]:
        return Serdes.Long()

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        self.registered[store.name] = (store, restore_callback)

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int, headers: Any = None) -> None:
        self.changelog.append((store_name, key, value, timestamp))

    def record_context(self) -> ProcessorRecordContext | None:
        return ProcessorRecordContext(self.timestamp, 0, 0, "input")

    def cache(self) -> ThreadCache | None:
        return self._cache

    def restore_into(self, store_name: str, target: ChangelogContext, batch: int = 3) -> None:
        """Replay this context's changelog of `store_name` into the store registered with `target`."""
        records = [(k, v, ts) for name, k, v, ts in self.changelog if name == store_name]
        _, callback = target.registered[store_name]
        for i in range(0, len(records), batch):
            callback(records[i : i + batch])
