"""ProcessorStateManager: a task's stores, their changelog partitions, restore, flush and the checkpoint file.

Under exactly-once the checkpoint is written only when a task closes cleanly and is removed when the task starts:
after a crash there is none, and a persistent store that cannot be trusted is wiped and rebuilt from the
(read_committed) changelog, so uncommitted state is never exposed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from strom.protocol.types import TP
from strom.streams.errors import ProcessorStateException
from strom.streams.processor.api import TaskId
from strom.streams.runtime.state_directory import StateDirectory, read_checkpoint, write_checkpoint
from strom.streams.state.api import RestoreCallback, RestoreRecord, StateStore
from strom.streams.state.internals.wrapped import clear_cache

log = logging.getLogger("org.apache.kafka.streams.processor.internals.ProcessorStateManager")


class ProcessorStateManager:
    def __init__(
        self, task_id: TaskId, directory: StateDirectory, changelogs: dict[str, str], partition: int, eos: bool, standby: bool = False
    ) -> None:
        self.task_id = task_id
        self.directory = directory
        self.changelogs = changelogs  # store name -> changelog topic
        self.partition = partition
        self.eos = eos
        self.standby = standby
        self.stores: dict[str, StateStore] = {}
        self.source_topics: set[str] = set()  # the task's input topics: a changelog among them restores to the committed offset
        self._callbacks: dict[TP, RestoreCallback] = {}
        self._persistent: set[TP] = set()
        self.offsets: dict[TP, int] = {}  # last changelog offset in the store (restored or written)
        self._loaded: dict[TP, int] = {}

    def load_checkpoint(self, has_persistent_stores: bool) -> None:
        """Before the stores open: the checkpointed offsets; under EOS, no checkpoint means wipe (crash or first run)."""
        path = self.directory.checkpoint_path(self.task_id)
        loaded = read_checkpoint(path)
        if self.eos:
            if not loaded and has_persistent_stores:
                self.directory.wipe_task(self.task_id)
            path.unlink(missing_ok=True)  # a crash from here on leaves no checkpoint behind
        self._loaded = loaded

    def changelog_partition(self, store_name: str) -> TP | None:
        topic = self.changelogs.get(store_name)
        return None if topic is None else (topic, self.partition)

    def register(self, store: StateStore, callback: RestoreCallback) -> None:
        name = store.name
        if name in self.stores:
            raise ProcessorStateException(f"Store {name} has already been registered.")
        self.stores[name] = store
        tp = self.changelog_partition(name)
        if tp is None:
            return
        self._callbacks[tp] = callback
        if store.persistent():
            self._persistent.add(tp)
            if tp in self._loaded:
                self.offsets[tp] = self._loaded[tp]

    def register_store_object(self, name: str, store: StateStore) -> None:
        """The outer (metered) store under its name, for processors and queries (register sees the inner one)."""
        self.stores[name] = store

    def changelog_partitions(self) -> dict[TP, int | None]:
        """Changelog partition -> the offset restore starts after (None: from the beginning)."""
        return {tp: self.offsets.get(tp) for tp in self._callbacks}

    def restore(self, tp: TP, records: Sequence[RestoreRecord], last_offset: int) -> None:
        self._callbacks[tp](records)
        self.offsets[tp] = last_offset

    def update_written(self, written: dict[TP, int]) -> None:
        for tp, offset in written.items():
            if tp in self._callbacks:
                self.offsets[tp] = offset

    def flush(self) -> None:
        for name, store in self.stores.items():
            try:
                store.flush()
            except Exception as exc:
                raise ProcessorStateException(f"task [{self.task_id}] Failed to flush state store {name}", exc, self.task_id) from exc

    def checkpoint(self) -> None:
        offsets = {tp: o for tp, o in self.offsets.items() if tp in self._persistent}
        if offsets or not self.eos:
            write_checkpoint(self.directory.checkpoint_path(self.task_id), offsets)

    def close(self, clean: bool = True) -> None:
        """Closes every store once. A dirty close (a crash, fencing) first drops what the caches hold unflushed:
        those writes belong to records whose offsets were never committed, so neither the store nor its changelog
        may see them (Java's TaskManager clears the caches before closing dirty)."""
        seen: set[int] = set()
        for store in self.stores.values():
            if id(store) in seen:
                continue
            seen.add(id(store))
            try:
                if not clean:
                    clear_cache(store)
                if store.is_open():
                    store.close()
            except Exception as exc:  # one failing store must not leave the others open
                log.warning("task [%s] Failed to close state store %s: %s", self.task_id, store.name, exc)


def build_stores(builders: dict[str, Any]) -> dict[str, Any]:
    """Fresh store objects; nothing is opened before init(), so exactly-once can still wipe the task directory."""
    return {name: builder.build() for name, builder in builders.items()}


def init_stores(stores: dict[str, Any], context: Any, manager: ProcessorStateManager, on_built: Callable[[str, Any], None]) -> None:
    """Initializes each store (its innermost layer registers with the manager) and records it under its name."""
    for name, store in stores.items():
        store.init(context, store)
        manager.register_store_object(name, store)
        on_built(name, store)
