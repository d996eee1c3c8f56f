"""Clients that record what they see into a History: a producer writing unique values, a group member
consuming and committing, and the final read that every run ends with.

They take client objects with confluent-kafka's API (confluent_kafka.Producer/Consumer, or Strom's
strom.Producer/strom.Consumer), so the same run can be made with a real peer or with Strom's own client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from strom.testing.faults.history import History


class RecordingProducer:
    """Writes `<name>-<n>` to the partitions in turn, from a thread, and records every send, acknowledgement
    and error. `rate` bounds records per second (None: as fast as the client takes them)."""

    def __init__(self, history: History, producer: Any, topic: str, partitions: int, name: str = "p0", rate: float | None = None) -> None:
        self.history, self.producer, self.topic, self.partitions, self.name = history, producer, topic, partitions, name
        self.rate = rate
        self.sent = 0
        self.acked = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"producer-{name}", daemon=True)

    def _delivered(self, err: Any, msg: Any) -> None:
        value = msg.value().decode()
        if err is not None:
            self.errors.append(str(err))
            self.history.send_error(self.name, msg.topic(), msg.partition(), value, str(err))
        else:
            self.acked += 1
            offset = msg.offset()  # None (or negative) when the broker answered a duplicate batch without one
            self.history.ack(self.name, msg.topic(), msg.partition(), -1 if offset is None or offset < 0 else offset, value)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            if self.rate is not None and self.sent >= (time.monotonic() - started) * self.rate:
                self.producer.poll(0.01)
                continue
            value = f"{self.name}-{self.sent}"
            partition = self.sent % self.partitions
            try:
                self.producer.produce(self.topic, value=value.encode(), partition=partition, on_delivery=self._delivered)
            except BufferError:
                self.producer.poll(0.05)
                continue
            self.history.send(self.name, self.topic, partition, value)
            self.sent += 1
            self.producer.poll(0.001)
            if len(self.producer) > 5000:
                self.producer.poll(0.05)

    def start(self) -> RecordingProducer:
        self._thread.start()
        return self

    def stop(self, flush_timeout: float = 120.0) -> int:
        """Stops sending and waits for the outcome of everything sent; returns how many are still unknown."""
        self._stop.set()
        self._thread.join()
        left = int(self.producer.flush(flush_timeout))
        if hasattr(self.producer, "close"):
            self.producer.close()
        return left


class RecordingConsumer:
    """A group member that records each record it is given and each offset commit the coordinator accepted.
    The consumer must be created with `on_commit=recording_consumer.on_commit` in its configuration (the
    callback is how confluent-kafka's API reports commits), hence the factory."""

    def __init__(
        self,
        history: History,
        make_consumer: Callable[[Callable[..., None]], Any],
        topics: Sequence[str],
        group: str,
        name: str = "c0",
        read_committed: bool = False,
    ) -> None:
        self.history, self.topics, self.group, self.name, self.read_committed = history, list(topics), group, name, read_committed
        self.consumer = make_consumer(self.on_commit)
        self.consumed = 0
        self.assignments = 0  # rebalances this member went through
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"consumer-{name}", daemon=True)

    def on_commit(self, err: Any, partitions: Any) -> None:
        if err is not None:
            return
        for tp in partitions:
            if tp.error is None and tp.offset >= 0:
                self.history.commit(self.name, self.group, tp.topic, tp.partition, tp.offset)

    def _assigned(self, consumer: Any, partitions: Any) -> None:
        """A member resumes each partition it is given from the group's committed offset: read it back."""
        self.assignments += 1
        observe_committed(self.history, consumer, self.name, self.group, partitions)

    def _run(self) -> None:
        self.consumer.subscribe(self.topics, on_assign=self._assigned)
        while not self._stop.is_set():
            for msg in self.consumer.consume(500, 0.2):
                if msg.error() is None:
                    self.consumed += 1
                    self.history.consume(self.name, msg.topic(), msg.partition(), msg.offset(), msg.value().decode(), self.read_committed)
        self.consumer.close()

    def start(self) -> RecordingConsumer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def observe_committed(history: History, consumer: Any, process: str, group: str, partitions: Any, timeout: float = 30.0) -> None:
    """Records the group's committed offsets of `partitions` as an OffsetFetch answers them (-1: none)."""
    invoked = history.now()
    try:
        answered = consumer.committed(list(partitions), timeout=timeout)
    except Exception:  # noqa: BLE001 - an OffsetFetch that fails observed nothing
        return
    for tp in answered:
        if tp.error is None:
            history.committed(process, group, tp.topic, tp.partition, max(tp.offset, -1), invoked)


def read_back(
    history: History, consumer: Any, topic: str, partitions: int, ends: dict[int, int], timeout: float = 60.0, read_committed: bool = False
) -> None:
    """The final read of a run: every partition from offset 0 to its end offset (`ends`, exclusive), recorded
    as process "final". `consumer` is an unsubscribed consumer with confluent-kafka's API; it is closed."""
    from_offset = {p: 0 for p in range(partitions)}
    deadline = time.monotonic() + timeout
    try:
        consumer.assign([_topic_partition(consumer, topic, p, 0) for p in range(partitions)])
        while any(from_offset[p] < ends.get(p, 0) for p in range(partitions)) and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                if msg.error() is None:
                    history.consume("final", topic, msg.partition(), msg.offset(), msg.value().decode(), read_committed)
                    from_offset[msg.partition()] = max(from_offset[msg.partition()], msg.offset() + 1)
    finally:
        consumer.close()


def _topic_partition(consumer: Any, topic: str, partition: int, offset: int) -> Any:
    """The TopicPartition class of the consumer's own library: confluent_kafka's (its classes live in the
    compiled module `cimpl`) or Strom's."""
    module = type(consumer).__module__
    library = "confluent_kafka" if module.split(".")[-1] == "cimpl" else module.split(".")[0]
    return __import__(library).TopicPartition(topic, partition, offset)
