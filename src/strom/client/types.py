"""Values the client hands to applications: messages, topic-partitions, record metadata.

Shapes and accessor names follow confluent-kafka-python (msg.value(), msg.timestamp() -> (type, ms),
TopicPartition(topic, partition, offset)) so code can switch clients by changing an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strom import _native
from strom.protocol.errors import KafkaError

OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_STORED = -1000
OFFSET_INVALID = -1001

TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2

Headers = list[tuple[str, bytes | None]]


class TopicPartition:
    """A partition of a topic, optionally with an offset (a position, a commit, a seek target)."""

    __slots__ = ("topic", "partition", "offset", "metadata", "leader_epoch", "error")

    def __init__(
        self,
        topic: str,
        partition: int = -1,
        offset: int = OFFSET_INVALID,
        metadata: str | None = None,
        leader_epoch: int | None = None,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
        self.leader_epoch = leader_epoch
        self.error: KafkaError | None = None

    def __hash__(self) -> int:
        return hash((self.topic, self.partition))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopicPartition):
            return NotImplemented
        return (self.topic, self.partition) == (other.topic, other.partition)

    def __lt__(self, other: TopicPartition) -> bool:
        return (self.topic, self.partition) < (other.topic, other.partition)

    def __repr__(self) -> str:  # confluent-kafka's form
        error = repr(self.error) if self.error is not None else "None"
        where = f"topic={self.topic},partition={self.partition},offset={self.offset}"
        return f"TopicPartition{{{where},leader_epoch={self.leader_epoch},error={error}}}"

    __str__ = __repr__


class Message:
    """One consumed record or one delivery report; accessors as in confluent-kafka."""

    __slots__ = ("_topic", "_partition", "_offset", "_key", "_value", "_headers", "_ts_type", "_ts", "_error", "_leader_epoch")

    def __init__(
        self,
        topic: str | None,
        partition: int | None = None,
        offset: int | None = None,
        key: Any = None,
        value: Any = None,
        headers: Headers | None = None,
        timestamp: tuple[int, int] = (TIMESTAMP_NOT_AVAILABLE, -1),
        error: KafkaError | None = None,
        leader_epoch: int | None = None,
    ) -> None:
        self._topic = topic
        self._partition = partition
        self._offset = offset
        self._key = key
        self._value = value
        self._headers = headers
        self._ts_type, self._ts = timestamp
        self._error = error
        self._leader_epoch = leader_epoch

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def key(self) -> Any:
        return self._key

    def value(self) -> Any:
        return self._value

    def headers(self) -> Headers | None:
        return self._headers or None

    def timestamp(self) -> tuple[int, int]:
        return (self._ts_type, self._ts)

    def error(self) -> KafkaError | None:
        return self._error

    def leader_epoch(self) -> int | None:
        return self._leader_epoch

    def set_key(self, key: Any) -> None:
        self._key = key

    def set_value(self, value: Any) -> None:
        self._value = value

    # the rest of confluent-kafka's Message API
    def set_topic(self, topic: str | None) -> None:
        self._topic = topic

    def set_headers(self, headers: Headers | None) -> None:
        self._headers = headers

    def set_error(self, error: KafkaError | None) -> None:
        self._error = error

    def deserialized_key(self) -> Any:
        return self._key

    def deserialized_value(self) -> Any:
        return self._value

    def latency(self) -> float | None:
        """Produce latency in seconds in librdkafka; Strom does not measure it."""
        return None

    def delivery_count(self) -> int | None:
        """Share-group delivery count (KIP-932); None for a classic consumer's message."""
        return None

    def __len__(self) -> int:
        return len(self._value) if isinstance(self._value, (bytes, bytearray, str)) else 0

    def __repr__(self) -> str:
        where = f"{self._topic}-{self._partition}@{self._offset}"
        return f"Message({where}, key={self._key!r}, value={self._value!r}{', error=' + str(self._error) if self._error else ''})"


PyMessage = Message  # the pure-Python reference, kept reachable for tests and STROM_NO_EXTENSIONS

_fast = _native.load("strom.client._fast_codec")
if _fast is not None:
    Message = _fast.Message  # type: ignore[misc]  # same attributes and accessors, allocated in C


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where an acknowledged record landed (offset -1 when acks=0)."""

    topic: str
    partition: int
    offset: int
    timestamp: int = -1


@dataclass(frozen=True, slots=True)
class ConsumerGroupMetadata:
    """What a transactional producer needs of a consumer to commit its offsets in a transaction, so the
    group coordinator can fence a consumer that was kicked out of the group (KIP-447)."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None
