"""ProcessorStateManager closing a task's stores: what a dirty close must not let through."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.streams.processor.task_id import TaskId
from strom.streams.runtime.processor_state_manager import ProcessorStateManager
from strom.streams.runtime.state_directory import StateDirectory
from strom.streams.serdes import Serdes
from strom.streams.state.internals.thread_cache import ThreadCache
from strom.streams.state.stores import Stores
from tests.unit.streams.state_context import ChangelogContext


class ManagedContext(ChangelogContext):
    """The store test context, registering stores with a real ProcessorStateManager as the runtime does."""

    def __init__(self, tmp_path: Path, manager: ProcessorStateManager) -> None:
        super().__init__(tmp_path, ThreadCache(1 << 20))
        self.manager = manager

    def register(self, store, restore_callback) -> None:  # type: ignore[no-untyped-def]
        super().register(store, restore_callback)
        self.manager.register(store, restore_callback)


@pytest.mark.parametrize("clean", [True, False])
def test_a_dirty_close_drops_unflushed_cached_writes(tmp_path: Path, clean: bool) -> None:
    directory = StateDirectory(str(tmp_path), "app", stateful=False)
    manager = ProcessorStateManager(TaskId(0, 0), directory, {"counts": "app-counts-changelog"}, partition=0, eos=False)
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), Serdes.String(), Serdes.Long())
    store = builder.with_caching_enabled().build()
    context = ManagedContext(tmp_path, manager)
    store.init(context, store)
    manager.register_store_object("counts", store)
    store.put("committed", 1)
    manager.flush()
    store.put("uncommitted", 2)
    manager.close(clean)
    logged = [key for _, key, _, _ in context.changelog]
    assert logged == ([b"committed", b"uncommitted"] if clean else [b"committed"])
