"""StandbyTask: a warm copy of another process's task state, kept by reading its changelogs without processing.

When the task moves here (its owner died or the assignment rebalanced), the active task starts from this
checkpoint and only restores the tail.
"""

from __future__ import annotations

import logging
from typing import Any

from strom.protocol.types import TP
from strom.streams.processor.api import TaskId
from strom.streams.processor.nodes import ProcessorTopology
from strom.streams.runtime.processor_context_impl import ProcessorContextImpl
from strom.streams.runtime.processor_state_manager import ProcessorStateManager, build_stores, init_stores
from strom.streams.runtime.state_directory import StateDirectory

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StandbyTask")


class _NoCollector:
    """Standby stores are written by restore only; nothing may be sent from here."""

    def send_bytes(self, *args: Any) -> None:
        raise AssertionError("a standby task does not write changelogs")

    def offsets(self) -> dict[TP, int]:
        return {}


class StandbyTask:
    def __init__(
        self,
        task_id: TaskId,
        topology: ProcessorTopology,
        application_id: str,
        configs: dict[str, Any],
        directory: StateDirectory,
        key_serde: Any,
        value_serde: Any,
        eos: bool,
    ) -> None:
        self.id = task_id
        self.topology = topology
        changelogs = dict(topology.store_to_changelog_topic)
        self.state_manager = ProcessorStateManager(task_id, directory, changelogs, task_id.partition, eos, standby=True)
        self.context = ProcessorContextImpl(
            task_id,
            application_id,
            configs,
            directory.task_dir(task_id),
            key_serde,
            value_serde,
            _NoCollector(),  # type: ignore[arg-type]
            None,
            self.state_manager.register,
            self.state_manager.changelog_partition,
            lambda: -1,
        )
        self.closed = False

    def initialize(self) -> None:
        builders = {n: b for n, b in self.topology.store_builders.items() if n in self.topology.store_to_changelog_topic}
        stores = build_stores(builders)
        self.state_manager.load_checkpoint(any(s.persistent() for s in stores.values()))
        init_stores(stores, self.context, self.state_manager, lambda name, store: None)
        log.info("standby-task [%s] Initialized with changelogs %s", self.id, sorted(self.state_manager.changelog_partitions()))

    def changelog_partitions(self) -> dict[TP, int | None]:
        return self.state_manager.changelog_partitions()

    def checkpoint(self) -> None:
        self.state_manager.flush()
        self.state_manager.checkpoint()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.checkpoint()
        finally:
            self.state_manager.close()
            self.closed = True
