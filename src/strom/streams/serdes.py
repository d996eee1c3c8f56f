"""Serializers and deserializers with the byte formats of Kafka's Java serdes.

Inside the engine keys and values are Python objects; they become bytes only here (and at store boundaries), so a
Java consumer with Kafka's deserializers reads what a Strom Streams application writes, and vice versa:
``Serdes.Long()`` is 8-byte big-endian, ``Serdes.String()`` UTF-8, the windowed serdes append the window's
timestamps as Java's ``TimeWindowedSerializer`` / ``SessionWindowedSerializer`` do.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from strom.client.types import Headers
from strom.streams.errors import SerializationException
from strom.streams.windowed import SessionWindow, Windowed, time_window_for_size

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")
_SHORT = struct.Struct(">h")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
TIMESTAMP_SIZE = 8
SEQNUM_SIZE = 4


class Serializer(Generic[T]):
    """Turns a value into bytes for ``topic``; ``None`` stays ``None`` (a tombstone)."""

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        """Receives the application's configs, as Kafka's Serializer.configure."""

    def serialize(self, topic: str | None, data: T | None, headers: Headers | None = None) -> bytes | None:
        raise NotImplementedError

    def close(self) -> None:
        """Releases what the serializer holds."""


class Deserializer(Generic[T]):
    """Turns bytes read from ``topic`` back into a value; ``None`` stays ``None``."""

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        """Receives the application's configs, as Kafka's Deserializer.configure."""

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> T | None:
        raise NotImplementedError

    def close(self) -> None:
        """Releases what the deserializer holds."""


class Serde(Generic[T]):
    """A serializer and a deserializer for the same type, configured as a pair."""

    def __init__(self, serializer: Serializer[T], deserializer: Deserializer[T]) -> None:
        self._serializer = serializer
        self._deserializer = deserializer

    def serializer(self) -> Serializer[T]:
        return self._serializer

    def deserializer(self) -> Deserializer[T]:
        return self._deserializer

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        self._serializer.configure(configs, is_key)
        self._deserializer.configure(configs, is_key)

    def close(self) -> None:
        self._serializer.close()
        self._deserializer.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self._serializer).__name__}, {type(self._deserializer).__name__})"


# --- primitives -------------------------------------------------------------------------------------------------


class StringSerializer(Serializer[str]):
    """UTF-8, as Java's StringSerializer with its default encoding (``serializer.encoding`` picks another)."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        name = configs.get("key.serializer.encoding" if is_key else "value.serializer.encoding", configs.get("serializer.encoding"))
        if isinstance(name, str):
            self.encoding = name

    def serialize(self, topic: str | None, data: str | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        try:
            return data.encode(self.encoding)
        except (UnicodeError, AttributeError) as e:
            raise SerializationException(f"Error when serializing string to byte[] due to unsupported encoding {self.encoding}", e) from e


class StringDeserializer(Deserializer[str]):
    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        name = configs.get("key.deserializer.encoding" if is_key else "value.deserializer.encoding", configs.get("deserializer.encoding"))
        if isinstance(name, str):
            self.encoding = name

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> str | None:
        if data is None:
            return None
        try:
            return str(data, self.encoding)
        except UnicodeError as e:
            raise SerializationException(f"Error when deserializing byte[] to string due to unsupported encoding {self.encoding}", e) from e


class _StructSerializer(Serializer[T]):
    _struct: struct.Struct
    _kind: str

    def serialize(self, topic: str | None, data: T | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        try:
            return self._struct.pack(data)
        except struct.error as e:
            raise SerializationException(f"Error serializing {self._kind} {data!r}: {e}", e) from e


class _StructDeserializer(Deserializer[T]):
    _struct: struct.Struct
    _name: str

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> T | None:
        if data is None:
            return None
        if len(data) != self._struct.size:
            raise SerializationException(f"Size of data received by {self._name} is not {self._struct.size}")
        value: T = self._struct.unpack(data)[0]
        return value


class LongSerializer(_StructSerializer[int]):
    """8-byte big-endian two's complement, as Java's LongSerializer."""

    _struct = _LONG
    _kind = "long"


class LongDeserializer(_StructDeserializer[int]):
    _struct = _LONG
    _name = "LongDeserializer"


class IntegerSerializer(_StructSerializer[int]):
    """4-byte big-endian two's complement, as Java's IntegerSerializer."""

    _struct = _INT
    _kind = "int"


class IntegerDeserializer(_StructDeserializer[int]):
    _struct = _INT
    _name = "IntegerDeserializer"


class ShortSerializer(_StructSerializer[int]):
    """2-byte big-endian two's complement, as Java's ShortSerializer."""

    _struct = _SHORT
    _kind = "short"


class ShortDeserializer(_StructDeserializer[int]):
    _struct = _SHORT
    _name = "ShortDeserializer"


class FloatSerializer(_StructSerializer[float]):
    """4-byte IEEE 754 big-endian (Java's floatToRawIntBits)."""

    _struct = _FLOAT
    _kind = "float"


class FloatDeserializer(_StructDeserializer[float]):
    _struct = _FLOAT
    _name = "Deserializer"


class DoubleSerializer(_StructSerializer[float]):
    """8-byte IEEE 754 big-endian (Java's doubleToRawLongBits)."""

    _struct = _DOUBLE
    _kind = "double"


class DoubleDeserializer(_StructDeserializer[float]):
    _struct = _DOUBLE
    _name = "Deserializer"


class BooleanSerializer(Serializer[bool]):
    """One byte, 0x01 or 0x00, as Java's BooleanSerializer."""

    def serialize(self, topic: str | None, data: bool | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        return b"\x01" if data else b"\x00"


class BooleanDeserializer(Deserializer[bool]):
    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> bool | None:
        if data is None:
            return None
        if len(data) != 1:
            raise SerializationException("Size of data received by BooleanDeserializer is not 1")
        if data[0] == 0:
            return False
        if data[0] == 1:
            return True
        raise SerializationException(f"Unexpected byte received by BooleanDeserializer: {data[0]}")


class ByteArraySerializer(Serializer[bytes]):
    """The bytes as they are."""

    def serialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> bytes | None:
        return None if data is None else bytes(data)


class ByteArrayDeserializer(Deserializer[bytes]):
    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> bytes | None:
        return None if data is None else bytes(data)


class UUIDSerializer(Serializer[uuid.UUID]):
    """The UUID's canonical text in UTF-8, as Java's UUIDSerializer (36 bytes, not 16)."""

    def serialize(self, topic: str | None, data: uuid.UUID | None, headers: Headers | None = None) -> bytes | None:
        return None if data is None else str(data).encode("utf-8")


class UUIDDeserializer(Deserializer[uuid.UUID]):
    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(bytes(data).decode("utf-8"))
        except ValueError as e:
            raise SerializationException("Error parsing data into UUID", e) from e


class VoidSerializer(Serializer[None]):
    """Only ``None``: for topics whose keys (or values) are always null."""

    def serialize(self, topic: str | None, data: None, headers: Headers | None = None) -> bytes | None:
        if data is not None:
            raise ValueError("Data should be null for a VoidSerializer.")
        return None


class VoidDeserializer(Deserializer[None]):
    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> None:
        if data is not None:
            raise ValueError("Data should be null for a VoidDeserializer.")
        return None


class JsonSerializer(Serializer[Any]):
    """Compact JSON in UTF-8 (as Jackson's ObjectMapper writes it: no spaces, non-ASCII kept)."""

    def __init__(self, default: Callable[[Any], Any] | None = None) -> None:
        self._default = default

    def serialize(self, topic: str | None, data: Any, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        try:
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=self._default).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise SerializationException(f"Error serializing JSON message: {e}", e) from e


class JsonDeserializer(Deserializer[Any]):
    def __init__(self, object_hook: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self._object_hook = object_hook

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> Any:
        if data is None:
            return None
        try:
            return json.loads(bytes(data), object_hook=self._object_hook)
        except ValueError as e:
            raise SerializationException(f"Error deserializing JSON message: {e}", e) from e


class JsonSerde(Serde[Any]):
    """JSON values (dicts, lists, numbers, strings); ``default`` / ``object_hook`` map your own classes."""

    def __init__(self, default: Callable[[Any], Any] | None = None, object_hook: Callable[[dict[str, Any]], Any] | None = None) -> None:
        super().__init__(JsonSerializer(default), JsonDeserializer(object_hook))


# --- lists (KIP-466) ---------------------------------------------------------------------------------------------

_FIXED_SIZES: dict[type, int] = {}  # filled below: inner serializer class -> entry size (Java's CONSTANT_SIZE strategy)
_NULL_ENTRY = -1


class ListSerializer(Serializer[list[T]]):
    """Java's ListSerializer: a strategy byte, then (fixed-size entries) the null indexes, the count and the entries,
    or (variable-size entries) the count and each entry as a 4-byte length (-1 for null) and its bytes."""

    def __init__(self, inner: Serializer[T]) -> None:
        self.inner = inner
        self._constant = type(inner) in _FIXED_SIZES

    def serialize(self, topic: str | None, data: list[T] | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        out = bytearray(b"\x00" if self._constant else b"\x01")
        if self._constant:
            nulls = [i for i, entry in enumerate(data) if entry is None]
            out += _INT.pack(len(nulls))
            for i in nulls:
                out += _INT.pack(i)
        out += _INT.pack(len(data))
        for entry in data:
            if entry is None:
                if not self._constant:
                    out += _INT.pack(_NULL_ENTRY)
                continue
            raw = self.inner.serialize(topic, entry, headers) or b""
            if not self._constant:
                out += _INT.pack(len(raw))
            out += raw
        return bytes(out)


class ListDeserializer(Deserializer[list[Any]]):
    def __init__(self, inner: Deserializer[T]) -> None:
        self.inner = inner
        self._fixed = _FIXED_SIZES.get(_SERIALIZER_OF.get(type(inner), type(None)))

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> list[Any] | None:
        if data is None:
            return None
        try:
            return self._read(topic, memoryview(bytes(data)), headers)
        except (struct.error, IndexError) as e:
            raise SerializationException("Unable to deserialize into a List", e) from e

    def _read(self, topic: str | None, view: memoryview, headers: Headers | None) -> list[Any]:
        constant = view[0] == 0
        pos = 1
        nulls: set[int] = set()
        if constant:
            (count,) = _INT.unpack_from(view, pos)
            pos += 4
            for _ in range(count):
                nulls.add(_INT.unpack_from(view, pos)[0])
                pos += 4
            if self._fixed is None:
                raise SerializationException("Unable to deserialize a fixed-size list with a variable-size inner deserializer")
        (size,) = _INT.unpack_from(view, pos)
        pos += 4
        out: list[Any] = []
        for i in range(size):
            if constant:
                if i in nulls:
                    out.append(None)
                    continue
                assert self._fixed is not None
                length = self._fixed
            else:
                (length,) = _INT.unpack_from(view, pos)
                pos += 4
                if length == _NULL_ENTRY:
                    out.append(None)
                    continue
            if pos + length > len(view):
                raise SerializationException("Unable to deserialize into a List: data too short")
            out.append(self.inner.deserialize(topic, bytes(view[pos : pos + length]), headers))
            pos += length
        return out


# --- windowed keys ----------------------------------------------------------------------------------------------


def _inner_or_fail(inner: Any, what: str) -> Any:
    if inner is None:
        raise ValueError(
            f"Inner {what} is `null`. User code must use constructor `{what}(final {what}<T> inner)` instead of the no-arg constructor."
        )
    return inner


class TimeWindowedSerializer(Serializer[Windowed[T]]):
    """The inner key's bytes followed by the window start (8 bytes, big-endian), as Java's."""

    def __init__(self, inner: Serializer[T]) -> None:
        self.inner = inner

    def serialize(self, topic: str | None, data: Windowed[T] | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        key = _inner_or_fail(self.inner, "Serializer").serialize(topic, data.key, headers)
        return (key or b"") + _LONG.pack(data.window.start_ms)


class TimeWindowedDeserializer(Deserializer[Windowed[T]]):
    """Reads ``key + start``; the end is ``start + window_size_ms``. A changelog key also carries a 4-byte seqnum."""

    def __init__(self, inner: Deserializer[T], window_size_ms: int | None = None, is_changelog_topic: bool = False) -> None:
        self.inner = inner
        self.window_size_ms = window_size_ms
        self.is_changelog_topic = is_changelog_topic

    def configure(self, configs: dict[str, Any], is_key: bool) -> None:
        if self.window_size_ms is None and configs.get("window.size.ms") is not None:
            self.window_size_ms = int(configs["window.size.ms"])

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> Windowed[T] | None:
        if not data:
            return None
        if self.window_size_ms is None:
            raise ValueError("Window size needs to be set")
        suffix = TIMESTAMP_SIZE + (SEQNUM_SIZE if self.is_changelog_topic else 0)
        if len(data) < suffix:
            raise SerializationException(f"Size of data received by TimeWindowedDeserializer is smaller than {suffix}")
        start = _LONG.unpack_from(data, len(data) - suffix)[0]
        key = _inner_or_fail(self.inner, "Deserializer").deserialize(topic, bytes(data[: len(data) - suffix]), headers)
        return Windowed(key, time_window_for_size(start, self.window_size_ms))


class SessionWindowedSerializer(Serializer[Windowed[T]]):
    """The inner key's bytes, then the session end, then its start (8 bytes each, big-endian), as Java's."""

    def __init__(self, inner: Serializer[T]) -> None:
        self.inner = inner

    def serialize(self, topic: str | None, data: Windowed[T] | None, headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        key = _inner_or_fail(self.inner, "Serializer").serialize(topic, data.key, headers)
        return (key or b"") + _LONG.pack(data.window.end_ms) + _LONG.pack(data.window.start_ms)


class SessionWindowedDeserializer(Deserializer[Windowed[T]]):
    def __init__(self, inner: Deserializer[T]) -> None:
        self.inner = inner

    def deserialize(self, topic: str | None, data: bytes | None, headers: Headers | None = None) -> Windowed[T] | None:
        if not data:
            return None
        if len(data) < 2 * TIMESTAMP_SIZE:
            raise SerializationException(f"Size of data received by SessionWindowedDeserializer is smaller than {2 * TIMESTAMP_SIZE}")
        n = len(data)
        end = _LONG.unpack_from(data, n - 2 * TIMESTAMP_SIZE)[0]
        start = _LONG.unpack_from(data, n - TIMESTAMP_SIZE)[0]
        key = _inner_or_fail(self.inner, "Deserializer").deserialize(topic, bytes(data[: n - 2 * TIMESTAMP_SIZE]), headers)
        return Windowed(key, SessionWindow(start, end))


class WindowedSerdes:
    """Serdes for windowed keys (what windowed aggregations write to their output and repartition topics)."""

    class TimeWindowedSerde(Serde[Windowed[T]]):
        def __init__(self, inner: Serde[T], window_size_ms: int) -> None:
            super().__init__(TimeWindowedSerializer(inner.serializer()), TimeWindowedDeserializer(inner.deserializer(), window_size_ms))

    class SessionWindowedSerde(Serde[Windowed[T]]):
        def __init__(self, inner: Serde[T]) -> None:
            super().__init__(SessionWindowedSerializer(inner.serializer()), SessionWindowedDeserializer(inner.deserializer()))

    @staticmethod
    def time_windowed_serde_from(inner: Serde[T], window_size_ms: int) -> Serde[Windowed[T]]:
        return WindowedSerdes.TimeWindowedSerde(inner, window_size_ms)

    @staticmethod
    def session_windowed_serde_from(inner: Serde[T]) -> Serde[Windowed[T]]:
        return WindowedSerdes.SessionWindowedSerde(inner)


_FIXED_SIZES.update(
    {ShortSerializer: 2, IntegerSerializer: 4, FloatSerializer: 4, LongSerializer: 8, DoubleSerializer: 8, UUIDSerializer: 36}
)
_SERIALIZER_OF: dict[type, type] = {
    ShortDeserializer: ShortSerializer,
    IntegerDeserializer: IntegerSerializer,
    FloatDeserializer: FloatSerializer,
    LongDeserializer: LongSerializer,
    DoubleDeserializer: DoubleSerializer,
    UUIDDeserializer: UUIDSerializer,
}


# --- the factory ------------------------------------------------------------------------------------------------


class Serdes:
    """Factory for the built-in serdes, named as Java's ``Serdes.String()``, ``Serdes.Long()``, ..."""

    @staticmethod
    def String() -> Serde[str]:  # noqa: N802 - Java's name
        return Serde(StringSerializer(), StringDeserializer())

    @staticmethod
    def Long() -> Serde[int]:  # noqa: N802
        return Serde(LongSerializer(), LongDeserializer())

    @staticmethod
    def Integer() -> Serde[int]:  # noqa: N802
        return Serde(IntegerSerializer(), IntegerDeserializer())

    @staticmethod
    def Short() -> Serde[int]:  # noqa: N802
        return Serde(ShortSerializer(), ShortDeserializer())

    @staticmethod
    def Float() -> Serde[float]:  # noqa: N802
        return Serde(FloatSerializer(), FloatDeserializer())

    @staticmethod
    def Double() -> Serde[float]:  # noqa: N802
        return Serde(DoubleSerializer(), DoubleDeserializer())

    @staticmethod
    def Boolean() -> Serde[bool]:  # noqa: N802
        return Serde(BooleanSerializer(), BooleanDeserializer())

    @staticmethod
    def ByteArray() -> Serde[bytes]:  # noqa: N802
        return Serde(ByteArraySerializer(), ByteArrayDeserializer())

    @staticmethod
    def Bytes() -> Serde[bytes]:  # noqa: N802
        """Java's ``Bytes`` wrapper is Python's ``bytes``: the same serde as ByteArray."""
        return Serde(ByteArraySerializer(), ByteArrayDeserializer())

    @staticmethod
    def ByteBuffer() -> Serde[bytes]:  # noqa: N802
        return Serde(ByteArraySerializer(), ByteArrayDeserializer())

    @staticmethod
    def UUID() -> Serde[uuid.UUID]:  # noqa: N802
        return Serde(UUIDSerializer(), UUIDDeserializer())

    @staticmethod
    def Void() -> Serde[None]:  # noqa: N802
        return Serde(VoidSerializer(), VoidDeserializer())

    @staticmethod
    def ListSerde(inner: Serde[T]) -> Serde[list[T]]:  # noqa: N802
        """Lists of the inner serde's type, in Java's ListSerde bytes."""
        return Serde(ListSerializer(inner.serializer()), ListDeserializer(inner.deserializer()))

    @staticmethod
    def serde_from(serializer: Serializer[T], deserializer: Deserializer[T]) -> Serde[T]:
        if serializer is None:
            raise ValueError("serializer must not be null")
        if deserializer is None:
            raise ValueError("deserializer must not be null")
        return Serde(serializer, deserializer)


_BY_JAVA_NAME: dict[str, Callable[[], Serde[Any]]] = {
    "String": Serdes.String,
    "Long": Serdes.Long,
    "Integer": Serdes.Integer,
    "Short": Serdes.Short,
    "Float": Serdes.Float,
    "Double": Serdes.Double,
    "Boolean": Serdes.Boolean,
    "ByteArray": Serdes.ByteArray,
    "Bytes": Serdes.Bytes,
    "ByteBuffer": Serdes.ByteBuffer,
    "UUID": Serdes.UUID,
    "Void": Serdes.Void,
}


def serde_from_config(value: Any) -> Serde[Any]:
    """A serde from a config value (``default.key.serde``): a Serde, a Serde class or factory, or Java's class name.

    ``org.apache.kafka.common.serialization.Serdes$StringSerde`` and ``Serdes.String`` both name the String serde,
    so a Java application's properties file works unchanged.
    """
    if isinstance(value, Serde):
        return value
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1].rsplit("$", 1)[-1]
        if name.endswith("Serde") and name != "Serde":
            name = name[: -len("Serde")]
        factory = _BY_JAVA_NAME.get(name)
        if factory is None:
            raise ValueError(f"Unknown serde class {value}")
        return factory()
    if callable(value):
        made = value()
        if isinstance(made, Serde):
            return made
    raise ValueError(f"Not a serde: {value!r}")
