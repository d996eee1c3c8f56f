"""GlobalStreamThread: keeps the global stores (global tables, add_global_store) of this instance up to date.

It reads every partition of the global topics with a consumer outside the group, through the global topology's
nodes (the source topic is the store's changelog, so there is none of its own). start() waits until it has read to
the end offsets it saw at start-up before the stream threads begin, so lookups in a global table see its contents;
afterwards it follows the topics for as long as the instance runs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any

from strom import Consumer
from strom.client.types import OFFSET_BEGINNING, TopicPartition
from strom.protocol.types import TP
from strom.streams.config import StreamsConfig
from strom.streams.errors import StreamsException
from strom.streams.processor.api import TaskId
from strom.streams.runtime.record_collector import RecordCollectorImpl
from strom.streams.runtime.state_directory import StateDirectory
from strom.streams.runtime.stream_task import StreamTask

log = logging.getLogger("org.apache.kafka.streams.processor.internals.GlobalStreamThread")

GLOBAL_TASK_ID = TaskId(-1, -1)
QUIET_S = 2.0


class GlobalStreamThread(threading.Thread):
    def __init__(self, builder: Any, config: StreamsConfig, directory: StateDirectory, client_id: str) -> None:
        super().__init__(name=f"{client_id}-GlobalStreamThread", daemon=True)
        self.prefix = f"global-stream-thread [{self.name}]"
        self.consumer_client_id = f"{client_id}-global-consumer"
        self.consumer = Consumer(config.get_global_consumer_configs(self.consumer_client_id))
        specs = builder.global_stores()
        topology = builder.build_global_state_topology()
        if topology is None:
            raise StreamsException("the topology has global stores but no global state topology")
        topology = dataclasses.replace(topology, store_builders={name: spec.store_builder for name, spec in specs.items()})
        topics = sorted(builder.global_topics())
        md = self.consumer.list_topics(timeout=30)
        missing = [t for t in topics if t not in md.topics or md.topics[t].error is not None]
        if missing:
            raise StreamsException(f"Global topics {missing} do not exist")
        self.partitions: list[TP] = [(t, p) for t in topics for p in sorted(md.topics[t].partitions)]
        self.task = StreamTask(
            GLOBAL_TASK_ID,
            self.partitions,
            topology,
            config.application_id,
            config.originals(),
            directory,
            RecordCollectorImpl(None, GLOBAL_TASK_ID, config.default_production_exception_handler()),  # global nodes send nothing
            None,
            config.default_key_serde(),
            config.default_value_serde(),
            config.default_timestamp_extractor(),
            config.default_deserialization_exception_handler(),
            False,
        )
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._running = threading.Event()
        self._running.set()

    @property
    def stores(self) -> dict[str, Any]:
        return self.task.context.stores

    def run(self) -> None:
        try:
            self.task.initialize()
            self.task.complete_restoration()
            self.consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in self.partitions])
            marks = {tp: self.consumer.get_watermark_offsets(TopicPartition(*tp), timeout=30) for tp in self.partitions}
            ends = {tp: high for tp, (low, high) in marks.items() if high > low}  # partitions with something to read
            log.info("%s Bootstrapping global stores %s from %s", self.prefix, sorted(self.stores), sorted(ends.items()))
            started = last_data = time.monotonic()
            while self._running.is_set():
                batch: dict[TP, list[Any]] = {}
                for msg in self.consumer.consume(1000, 0.05 if self.ready.is_set() else 0.01):
                    if msg.error() is None:
                        batch.setdefault((msg.topic() or "", msg.partition() or 0), []).append(msg)
                if batch:
                    last_data = time.monotonic()
                for tp, msgs in batch.items():
                    self.task.add_records(tp, msgs)
                if batch:
                    while self.task.has_records():
                        self.task.process(10000)
                    self.task.state_manager.flush()  # the stores' caches write through, so lookups see every update
                caught_up = all(self.task.consumed.get(tp, 0) >= end for tp, end in ends.items())
                # transaction markers or compaction can leave the last offsets without a record: quiet for 2 s is the end too
                if not self.ready.is_set() and (caught_up or time.monotonic() - last_data > QUIET_S):
                    log.info("%s Global stores bootstrapped in %.1f s", self.prefix, time.monotonic() - started)
                    self.ready.set()
        except BaseException as exc:
            self.error = exc
            log.error("%s Encountered an error and is shutting down: %r", self.prefix, exc)
            self.ready.set()
        finally:
            try:
                self.task.state_manager.flush()
            except Exception:
                pass
            self.task.close(clean=self.error is None)
            self.consumer.close()

    def shutdown(self) -> None:
        self._running.clear()
