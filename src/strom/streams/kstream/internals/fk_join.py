"""Foreign-key table joins (KIP-213): each left-table row subscribes, by its foreign key, to the right table's
partition of that key (the subscription-registration topic); the right side keeps the subscriptions in a store
and answers each one, and every right-table change, with the right value (the subscription-response topic, back
to the left row's partition); the left side joins an answer only if the row still hashes as when it asked.
The internal records are Java's bytes (SubscriptionWrapper v1, SubscriptionResponseWrapper v0, CombinedKey, the
value hash Murmur3.hash128), so Java's and Strom's instances of an application read each other's topics and
subscription stores."""

from __future__ import annotations

import enum
import logging
import struct
from collections.abc import Callable
from typing import Any

from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.murmur3 import hash128
from strom.streams.kstream.internals.stream_processors import _Supplier
from strom.streams.kstream.internals.table_processors import ValueGetterSupplier
from strom.streams.processor.api import ContextualProcessor, ProcessorContext, ProcessorSupplier, Record, StreamPartitioner
from strom.streams.serdes import Deserializer, Serde, Serializer
from strom.streams.state.api import ValueAndTimestamp

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.foreignkeyjoin.SubscriptionSendProcessorSupplier")
_I = struct.Struct(">i")
_HASH = struct.Struct(">qq")
_NO_HASH = 0x80  # the version byte's high bit: the wrapper carries no hash
SUBSCRIPTION_VERSION = 1  # adds the primary partition (Kafka 3.5, KIP-889)
RESPONSE_VERSION = 0
ValueHash = tuple[int, int]


class Instruction(enum.IntEnum):
    DELETE_KEY_NO_PROPAGATE = 0
    DELETE_KEY_AND_PROPAGATE = 1
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE = 2
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE = 3


class Serdes2:
    """The key and value serdes of both tables, defaulted from the application's at the first processor init."""

    def __init__(self, key: Serde[Any] | None, value: Serde[Any] | None, fk: Serde[Any] | None, foreign_value: Serde[Any] | None) -> None:
        self.key, self.value, self.fk, self.foreign_value = key, value, fk, foreign_value

    def resolve(self, context: ProcessorContext) -> None:
        self.key = self.key or context.key_serde
        self.value = self.value or context.value_serde
        self.fk = self.fk or context.key_serde
        self.foreign_value = self.foreign_value or context.value_serde


def _bytes(serde: Serde[Any] | None, topic: str, value: Any) -> bytes | None:
    assert serde is not None
    return None if value is None else serde.serializer().serialize(topic, value)


def _obj(serde: Serde[Any] | None, topic: str, data: bytes | None) -> Any:
    assert serde is not None
    return None if data is None else serde.deserializer().deserialize(topic, data)


class SubscriptionWrapper:
    __slots__ = ("hash", "instruction", "primary_key", "primary_partition")

    def __init__(self, hash_: ValueHash | None, instruction: Instruction, primary_key: Any, primary_partition: int) -> None:
        self.hash = hash_
        self.instruction = instruction
        self.primary_key = primary_key
        self.primary_partition = primary_partition


def _version_and_hash(version: int, hash_: ValueHash | None) -> bytes:
    return bytes([version | _NO_HASH]) if hash_ is None else bytes([version]) + _HASH.pack(*hash_)


class SubscriptionWrapperSerde(Serde[SubscriptionWrapper]):
    """{version (7 bits) | hash is null (high bit)}{instruction}{16-byte hash, if any}{primary key}{4-byte primary
    partition (version 1)}."""

    def __init__(self, serdes: Serdes2, topic: str) -> None:
        class _Ser(Serializer[SubscriptionWrapper]):
            def serialize(self, t: str | None, data: SubscriptionWrapper | None, headers: Any = None) -> bytes | None:
                if data is None:
                    return None
                pk = _bytes(serdes.key, topic + "-pk", data.primary_key) or b""
                head = _version_and_hash(SUBSCRIPTION_VERSION, data.hash)
                return head[:1] + bytes([data.instruction]) + head[1:] + pk + _I.pack(data.primary_partition)

        class _De(Deserializer[SubscriptionWrapper]):
            def deserialize(self, t: str | None, data: bytes | None, headers: Any = None) -> SubscriptionWrapper | None:
                if data is None:
                    return None
                version, instruction = data[0] & 0x7F, Instruction(data[1])
                hash_: ValueHash | None = None
                pos = 2
                if not data[0] & _NO_HASH:
                    hash_ = _HASH.unpack_from(data, 2)
                    pos += _HASH.size
                end = len(data) - 4 if version > 0 else len(data)
                partition = _I.unpack_from(data, end)[0] if version > 0 else -1
                return SubscriptionWrapper(hash_, instruction, _obj(serdes.key, topic + "-pk", data[pos:end]), partition)

        super().__init__(_Ser(), _De())


class SubscriptionResponseWrapper:
    __slots__ = ("hash", "foreign_value", "primary_partition")

    def __init__(self, hash_: ValueHash | None, foreign_value: Any, primary_partition: int) -> None:
        self.hash = hash_
        self.foreign_value = foreign_value
        self.primary_partition = primary_partition  # where the answer goes; not part of the record


class SubscriptionResponseWrapperSerde(Serde[SubscriptionResponseWrapper]):
    """{version (7 bits) | hash is null (high bit)}{16-byte hash, if any}{foreign value (absent: null)}."""

    def __init__(self, serdes: Serdes2, topic: str) -> None:
        class _Ser(Serializer[SubscriptionResponseWrapper]):
            def serialize(self, t: str | None, data: SubscriptionResponseWrapper | None, headers: Any = None) -> bytes | None:
                if data is None:
                    return None
                return _version_and_hash(RESPONSE_VERSION, data.hash) + (_bytes(serdes.foreign_value, topic, data.foreign_value) or b"")

        class _De(Deserializer[SubscriptionResponseWrapper]):
            def deserialize(self, t: str | None, data: bytes | None, headers: Any = None) -> SubscriptionResponseWrapper | None:
                if data is None:
                    return None
                hash_: ValueHash | None = None
                pos = 1
                if not data[0] & _NO_HASH:
                    hash_ = _HASH.unpack_from(data, 1)
                    pos += _HASH.size
                value = _obj(serdes.foreign_value, topic, data[pos:]) if len(data) > pos else None
                return SubscriptionResponseWrapper(hash_, value, -1)

        super().__init__(_Ser(), _De())


class ResponsePartitioner(StreamPartitioner[Any, SubscriptionResponseWrapper]):
    """An answer goes back to the partition its left row lives in."""

    def partition(self, topic: str, key: Any, value: SubscriptionResponseWrapper, num_partitions: int) -> int | None:
        return value.primary_partition if value.primary_partition >= 0 else None


def value_hash(serdes: Serdes2, topic: str, value: Any) -> ValueHash | None:
    raw = _bytes(serdes.value, topic, value)
    return None if raw is None else hash128(raw)


def combined_prefix(serdes: Serdes2, topic: str, fk: Any) -> bytes:
    raw = _bytes(serdes.fk, topic + "-fk", fk) or b""
    return _I.pack(len(raw)) + raw


def subscription_send_supplier(
    serdes: Serdes2, topic: str, extractor: Callable[[Any], Any], left_join: bool
) -> ProcessorSupplier[Any, Any, Any, Any]:
    class _Send(ContextualProcessor[Any, Any, Any, Any]):
        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            serdes.resolve(context)

        def _forward(self, record: Record[Any, Change[Any]], fk: Any, instruction: Instruction) -> None:
            meta = self.context().record_metadata()
            partition = -1 if meta is None else meta.partition
            wrapper = SubscriptionWrapper(value_hash(serdes, topic + "-vh", record.value.new_value), instruction, record.key, partition)
            self.context().forward(record.with_key(fk).with_value(wrapper))

        def _fk_bytes(self, fk: Any) -> bytes | None:
            return _bytes(serdes.fk, topic + "-fk", fk)

        def process(self, record: Record[Any, Change[Any]]) -> None:
            new, old = record.value.new_value, record.value.old_value
            new_fk = None if new is None else extractor(new)
            if left_join:
                if old is not None:
                    old_fk = extractor(old)
                    if old_fk is not None and self._fk_bytes(new_fk) != self._fk_bytes(old_fk):
                        self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
                    self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
                elif new is not None:
                    self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
                return
            if old is not None:
                old_fk = extractor(old)
                if old_fk is None and new_fk is None:
                    LOG.warning("Skipping record due to null foreign key.")
                elif old_fk is None:
                    self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)
                elif new_fk is None:
                    self._forward(record, old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
                elif self._fk_bytes(new_fk) != self._fk_bytes(old_fk):
                    self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
                    self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
                else:
                    self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)
            elif new is not None:
                if new_fk is None:
                    LOG.warning("Skipping record due to null foreign key.")
                else:
                    self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)

    return _Supplier(_Send)


def subscription_receive_supplier(serdes: Serdes2, topic: str, store_name: str) -> ProcessorSupplier[Any, Any, Any, Any]:
    """Keeps (fk, pk) -> subscription; passes (fk, pk, subscription) on to the lookup."""

    class _Receive(ContextualProcessor[Any, Any, Any, Any]):
        store: Any = None

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            serdes.resolve(context)
            self.store = context.get_state_store(store_name)

        def process(self, record: Record[Any, SubscriptionWrapper]) -> None:
            wrapper = record.value
            if record.key is None:
                if wrapper.instruction is Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:  # a left join's row without a key
                    self.context().forward(record)
                else:
                    LOG.warning("Skipping record due to null foreign key.")
                return
            key = combined_prefix(serdes, topic, record.key) + (_bytes(serdes.key, topic + "-pk", wrapper.primary_key) or b"")
            if wrapper.instruction in (Instruction.DELETE_KEY_AND_PROPAGATE, Instruction.DELETE_KEY_NO_PROPAGATE):
                self.store.delete(key)
            else:
                self.store.put(key, ValueAndTimestamp(wrapper, record.timestamp))
            self.context().forward(record)

    return _Supplier(_Receive)


def subscription_join_supplier(getter_supplier: ValueGetterSupplier) -> ProcessorSupplier[Any, Any, Any, Any]:
    """Answers a subscription with the right table's value for its foreign key (as its instruction says)."""

    class _Join(ContextualProcessor[Any, Any, Any, Any]):
        getter = getter_supplier.get()

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            self.getter = getter_supplier.get()
            self.getter.init(context)

        def process(self, record: Record[Any, SubscriptionWrapper]) -> None:
            wrapper = record.value
            vat = None if record.key is None else self.getter.get(record.key)
            foreign = None if vat is None else vat.value
            ts = record.timestamp if vat is None else max(record.timestamp, vat.timestamp)
            out = None
            if wrapper.instruction is Instruction.DELETE_KEY_AND_PROPAGATE:
                out = SubscriptionResponseWrapper(wrapper.hash, None, wrapper.primary_partition)
            elif wrapper.instruction is Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
                out = SubscriptionResponseWrapper(wrapper.hash, foreign, wrapper.primary_partition)
            elif wrapper.instruction is Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE and foreign is not None:
                out = SubscriptionResponseWrapper(wrapper.hash, foreign, wrapper.primary_partition)
            if out is not None:
                self.context().forward(Record(wrapper.primary_key, out, ts, record.headers))

    return _Supplier(_Join)


def foreign_table_join_supplier(serdes: Serdes2, topic: str, store_name: str) -> ProcessorSupplier[Any, Any, Any, Any]:
    """A right-table change answers every subscription to its key."""

    class _ForeignJoin(ContextualProcessor[Any, Any, Any, Any]):
        store: Any = None

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            serdes.resolve(context)
            self.store = context.get_state_store(store_name)

        def process(self, record: Record[Any, Change[Any]]) -> None:
            if record.key is None:
                return
            prefix = combined_prefix(serdes, topic, record.key)
            for kv in list(self.store.range(prefix, _increment(prefix))):
                if not bytes(kv.key).startswith(prefix):
                    continue
                sub: SubscriptionWrapper = kv.value.value
                ts = max(record.timestamp, kv.value.timestamp)
                out = SubscriptionResponseWrapper(sub.hash, record.value.new_value, sub.primary_partition)
                self.context().forward(Record(sub.primary_key, out, ts, record.headers))

    return _Supplier(_ForeignJoin)


def _increment(prefix: bytes) -> bytes:
    data = bytearray(prefix)
    for i in range(len(data) - 1, -1, -1):
        if data[i] != 0xFF:
            data[i] += 1
            return bytes(data[: i + 1])
    return bytes(prefix) + b"\xff"


def response_join_supplier(
    serdes: Serdes2, topic: str, getter_supplier: ValueGetterSupplier, joiner: Callable[[Any, Any], Any], left_join: bool
) -> ProcessorSupplier[Any, Any, Any, Any]:
    """Joins an answer with the left row it was asked for, unless the row changed since (its hash differs)."""

    class _Resolve(ContextualProcessor[Any, Any, Any, Any]):
        getter = getter_supplier.get()

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            serdes.resolve(context)
            self.getter = getter_supplier.get()
            self.getter.init(context)

        def process(self, record: Record[Any, SubscriptionResponseWrapper]) -> None:
            response = record.value
            vat = self.getter.get(record.key)
            current = None if vat is None else vat.value
            if value_hash(serdes, topic + "-vh", current) != response.hash:
                return  # an answer to an older version of the row: a newer answer is on its way
            if response.foreign_value is None and (not left_join or current is None):
                result = None
            else:
                result = joiner(current, response.foreign_value)
            self.context().forward(record.with_value(result))

    return _Supplier(_Resolve)
