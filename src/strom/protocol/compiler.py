"""Turns field tables (schema/*.py) into typed message classes with per-version codecs.

Why a compiler: Kafka messages have dozens of versions that differ by a field here and there. Interpreting
a table field by field at run time costs a dict lookup and a branch per field per message; instead, on
first use of (message, version) we generate straight-line Python source for that version -- runs of
fixed-width fields become one precompiled struct.Struct unpack/pack -- exec it once and cache it.

Decoding has a second engine: where the optional extension `_fast_decode` is built (and STROM_NO_EXTENSIONS
is not set), the same tables become C field programs (`_native_decoder`) that build the very same objects
several times faster. The generated Python stays the reference (`python_decoder`) and the fallback.
"""

from __future__ import annotations

import dataclasses
import reprlib
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self, TypeAlias, cast

from strom import _native
from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage

# ---- the table DSL -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Versions:
    """An inclusive version range; "3+" is 3..infinity, "none" is empty."""

    low: int
    high: int  # inclusive; 32767 stands for "and later"

    @staticmethod
    def parse(text: str | None) -> Versions:
        if text is None or text == "none":
            return Versions(1, 0)
        if text.endswith("+"):
            return Versions(int(text[:-1]), 32767)
        if "-" in text:
            lo, hi = text.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(text), int(text))

    def __contains__(self, version: object) -> bool:
        return isinstance(version, int) and self.low <= version <= self.high


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message table, as Kafka's message specs describe it (names in snake_case)."""

    name: str
    type: str  # int8 int16 int32 int64 uint16 float64 bool string bytes records uuid, []T, or a struct name
    versions: str = "0+"
    nullable: str | None = None  # versions in which the field may be null
    tag: int | None = None  # tagged field number (flexible versions only)
    tagged_versions: str | None = None
    default: Any = None  # None means "the type's zero value"
    fields: tuple[Field, ...] = ()  # for struct and []struct fields


def F(  # noqa: N802 - short constructor used by every table
    name: str,
    type: str,
    versions: str = "0+",
    nullable: str | None = None,
    tag: int | None = None,
    tagged_versions: str | None = None,
    default: Any = None,
    fields: Sequence[Field] = (),
) -> Field:
    return Field(name, type, versions, nullable, tag, tagged_versions, default, tuple(fields))


_FIXED = {
    "int8": ("b", 1),
    "int16": ("h", 2),
    "int32": ("i", 4),
    "int64": ("q", 8),
    "uint16": ("H", 2),
    "float64": ("d", 8),
    "bool": ("?", 1),
}
# Precompiled structs for arrays of up to _SMALL_RUN_MAX fixed-width items (replica lists, partition ids).
_SMALL_RUN_MAX = 32
_SMALL_RUNS = {code: tuple(struct.Struct(f">{n}{code}") for n in range(_SMALL_RUN_MAX)) for code, _ in _FIXED.values()}
_SIMPLE = {"string", "bytes", "records", "uuid", *_FIXED}
_MIN_SIZE = {"uuid": 16, "string": 1, "bytes": 1, "records": 1, **{k: v[1] for k, v in _FIXED.items()}}


def _element_type(type_name: str) -> str | None:
    return type_name[2:] if type_name.startswith("[]") else None


def _is_struct(type_name: str) -> bool:
    return type_name not in _SIMPLE and not type_name.startswith("[]")


def _zero_value(f: Field) -> tuple[Any, Callable[[], Any] | None]:
    """(default, default_factory) for a field."""
    if f.default is not None:
        d = f.default
        if f.type == "bool" and isinstance(d, str):
            return d == "true", None
        if f.type in ("int8", "int16", "int32", "int64", "uint16") and isinstance(d, str):
            return int(d, 0), None
        if f.type == "float64" and isinstance(d, str):
            return float(d), None
        if d == "null":
            return None, None
        return d, None
    if f.type.startswith("[]"):
        return None, list
    if f.type in _FIXED:
        return (False if f.type == "bool" else 0.0 if f.type == "float64" else 0), None
    if f.type == "string":
        return "", None
    if f.type == "bytes":
        return b"", None
    if f.type == "records":
        return None, None
    if f.type == "uuid":
        return p.NULL_UUID, None
    return None, None  # nested struct: None until set


class _EmptyTags(dict[int, bytes]):
    """The shared "no unknown tagged fields" value: an empty dict that refuses changes. One instance serves
    every struct without unknown tags (a Metadata response has thousands of structs) instead of a new dict
    each; structs that did carry unknown tags get their own dict. Being a dict, it copies, pickles and
    converts (dataclasses.asdict) as the per-struct dicts did."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the shared empty unknown_tagged_fields cannot be changed; build a new dict")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return _empty_tags, ()

    def __copy__(self) -> _EmptyTags:
        return self

    def __deepcopy__(self, memo: Any) -> _EmptyTags:
        return self


EMPTY_TAGS: dict[int, bytes] = _EmptyTags()


def _empty_tags() -> dict[int, bytes]:
    return EMPTY_TAGS


# ---- runtime base classes ------------------------------------------------------------------------------


class FileRegion(Protocol):
    """A byte range of a file that a message carries as its records (storage's FileSlice): the encoder writes
    its length prefix and leaves the bytes out of the buffer, for the caller to send with sendfile."""

    @property
    def size(self) -> int: ...


Records: TypeAlias = bytes | bytearray | memoryview | FileRegion
"""What a `records` field holds: a memoryview slice of the input after decoding; bytes or a file region to encode."""

EncodedPart: TypeAlias = bytes | bytearray | memoryview | FileRegion
"""One piece of `encode_parts()`: encoded bytes, or a file region to send between them."""

Decoder: TypeAlias = Callable[[p.Buffer, int], tuple[Any, int]]
Encoder: TypeAlias = Callable[[Any, bytearray, list[tuple[int, Any]]], None]


class Struct:
    """Base of every generated struct and message class (frozen, slotted dataclasses).

    The generated classes' fields are typed in the schema modules' stubs (schema/*.pyi, written by
    `python -m strom.protocol.stubgen`)."""

    __slots__ = ()
    _FIELDS: ClassVar[tuple[Field, ...]] = ()
    _FLEXIBLE: ClassVar[Versions] = Versions(1, 0)
    _decoders: ClassVar[dict[int, Decoder]]
    _py_decoders: ClassVar[dict[int, Decoder]]
    _encoders: ClassVar[dict[int, Encoder]]
    _children: ClassVar[dict[str, type[Struct]]]
    _mutable_twin: ClassVar[type]

    @classmethod
    def decode(cls, buf: p.Buffer, version: int, pos: int = 0) -> tuple[Self, int]:
        """(the message, the position after it) from `buf` at `pos`; CorruptMessage for bytes that are not one."""
        dec = cls._decoders.get(version)
        if dec is None:
            # a version from the wire compiles a decoder once and keeps it: only the schema's own versions
            # (a negative one is no Python name, and thousands of others would each stay in memory)
            if not getattr(cls, "MIN_VERSION", 0) <= version <= getattr(cls, "MAX_VERSION", 0x7FFF):
                raise CorruptMessage(f"{cls.__name__} has no version {version}")
            dec = _compile_decoder(cls, version)
        try:
            return dec(buf, pos)
        except CorruptMessage:
            raise
        except (IndexError, ValueError, struct.error, OverflowError, UnicodeDecodeError) as exc:
            raise CorruptMessage(f"cannot decode {cls.__name__} v{version}: {exc}") from exc

    def encode_into(self, out: bytearray, version: int, regions: list[tuple[int, Any]] | None = None) -> None:
        """Appends the encoding to `out`; file regions (and their offsets in `out`) go to `regions`."""
        enc = self._encoders.get(version)
        if enc is None:
            enc = _compile_encoder(type(self), version)
        if regions is None:
            regions = []
            enc(self, out, regions)
            if regions:
                raise TypeError("message holds file regions: use encode_parts()")
        else:
            enc(self, out, regions)

    def encode(self, version: int) -> bytes:
        """The message as one bytes object. Large record sets are not copied into the encoding buffer: they are
        joined with its pieces once, into the result (a 1.6 MB Fetch response otherwise made the allocator
        return and fault in two 1.6 MB blocks per call, 4x the cost of the encoding)."""
        out = bytearray()
        enc = self._encoders.get(version)
        if enc is None:
            enc = _compile_encoder(type(self), version)
        deferred = _DeferredRecords()
        enc(self, out, deferred)
        if not deferred:
            return bytes(out)
        view = memoryview(out)
        parts: list[bytes | bytearray | memoryview] = []
        start = 0
        for offset, records in deferred:
            if not isinstance(records, bytes | bytearray | memoryview):
                raise TypeError("message holds file regions: use encode_parts()")
            parts.append(view[start:offset])
            parts.append(records)
            start = offset
        parts.append(view[start:])
        return b"".join(parts)

    def encode_parts(self, version: int) -> list[EncodedPart]:
        """Encoded message split around file regions, for zero-copy sends: [buffer, region, buffer, ...].

        The buffers are the encoding bytearray itself or memoryview slices of it: a large response is not
        copied again on its way to the socket."""
        out = bytearray()
        regions: list[tuple[int, Any]] = []
        self.encode_into(out, version, regions)
        if not regions:
            return [out]
        view = memoryview(out)
        parts: list[EncodedPart] = []
        start = 0
        for offset, region in regions:
            parts.append(view[start:offset])
            parts.append(region)
            start = offset
        parts.append(view[start:])
        return parts


class Message(Struct):
    """Base of every request and response class: a struct with an API key and a version range."""

    __slots__ = ()
    API_KEY: ClassVar[int]
    MIN_VERSION: ClassVar[int]
    MAX_VERSION: ClassVar[int]
    FLEXIBLE_MIN_VERSION: ClassVar[int | None]


def build_struct(name: str, fields: Sequence[Field], flexible: Versions, base: type[Struct] = Struct) -> type[Struct]:
    """Creates the frozen slotted dataclass for one struct; nested structs become module-level classes too.

    Importing Strom builds some 370 of these, so the dataclass machinery only registers the fields (and
    makes the slots): the methods it would generate -- exec'd source, most of the import time -- are
    shared ones (_struct_methods), and __init__ is generated on a class's first instance."""
    spec: list[tuple[str, Any, Any]] = []
    for f in fields:
        default, factory = _zero_value(f)
        if factory is not None:
            spec.append((f.name, Any, field(default_factory=factory)))
        else:
            spec.append((f.name, Any, field(default=default)))
    spec.append(("unknown_tagged_fields", Any, field(default_factory=_empty_tags, repr=False)))
    namespace = {"__doc__": f"{name}: a Kafka message struct.", "__init__": _first_init}
    cls: Any = dataclasses.make_dataclass(name, spec, bases=(base,), namespace=namespace, init=False, repr=False, eq=False, slots=True)
    _struct_methods(cls)
    # Same slots, same base, no frozen __setattr__: decoders fill one of these and switch its __class__.
    cls._mutable_twin = type(f"_{name}Builder", (base,), {"__slots__": cls.__slots__})
    cls._FIELDS = tuple(fields)
    cls._FLEXIBLE = flexible
    cls._decoders = {}
    cls._py_decoders = {}
    cls._encoders = {}
    cls._children = {}
    for f in fields:
        if f.fields:
            child_name = _element_type(f.type) or f.type
            cls._children[f.name] = build_struct(child_name, f.fields, flexible)
    return cast("type[Struct]", cls)


def _struct_methods(cls: Any) -> None:
    """What a frozen dataclass has: field-wise ==, hash and repr, no attribute changes (FrozenInstanceError),
    and pickling/copying through object.__setattr__ (the dataclass frozen+slots state functions)."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    shown = tuple(f.name for f in dataclasses.fields(cls) if f.repr)
    cls._FIELD_NAMES = names
    cls._REPR_NAMES = shown
    cls.__eq__ = _eq
    cls.__hash__ = _hash
    cls.__repr__ = _repr
    cls.__setattr__ = _frozen_setattr
    cls.__delattr__ = _frozen_delattr
    cls.__getstate__ = _getstate
    cls.__setstate__ = _setstate


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple([getattr(obj, n) for n in obj._FIELD_NAMES])


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._REPR_NAMES)})"


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, n) for n in self._FIELD_NAMES]


def _setstate(self: Any, state: Sequence[Any]) -> None:
    for n, value in zip(self._FIELD_NAMES, state, strict=True):
        object.__setattr__(self, n, value)


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """A struct class's first instance: generates its __init__ (what the dataclass would have), keeps it."""
    cls = next(c for c in type(self).__mro__ if c.__dict__.get("__init__") is _first_init)
    init = _generate_init(cls)
    type.__setattr__(cls, "__init__", init)
    init(self, *args, **kwargs)


def _generate_init(cls: Any) -> Callable[..., None]:
    """__init__(self, field=default, ...) as dataclasses writes it for a frozen class: defaults as bound
    values, a factory behind a sentinel, each field set with object.__setattr__."""
    ns: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _HAS_FACTORY}
    params, body = [], []
    for i, f in enumerate(dataclasses.fields(cls)):
        if f.default_factory is not dataclasses.MISSING:
            ns[f"_f{i}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            body.append(f"    _set(self, {f.name!r}, _f{i}() if {f.name} is _FACTORY else {f.name})")
        else:
            ns[f"_d{i}"] = f.default
            params.append(f"{f.name}=_d{i}")
            body.append(f"    _set(self, {f.name!r}, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(source, ns)  # noqa: S102 - generated from the schema tables, as the codecs are
    init: Callable[..., None] = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


class _HasFactory:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _HasFactory()


def children_of(cls: type[Struct]) -> dict[str, type[Struct]]:
    return cls._children


# ---- code generation -----------------------------------------------------------------------------------

_NS_BASE: dict[str, Any] = {name: getattr(p, name) for name in dir(p) if name.startswith(("read_", "write_"))}
_NS_BASE.update(
    CorruptMessage=CorruptMessage,
    uuid=uuid,
    memoryview=memoryview,
    _unpack_from=struct.unpack_from,
    _new=object.__new__,
    _i16=p.INT16,
    _i32=p.INT32,
    _EMPTY_TAGS=EMPTY_TAGS,
)


def _read_expr(type_name: str, nullable: bool, flexible: bool) -> str:
    if type_name == "string":
        fn = (
            ("read_compact_nullable_string" if nullable else "read_compact_string")
            if flexible
            else ("read_nullable_string" if nullable else "read_string")
        )
    elif type_name in ("bytes", "records"):
        if type_name == "records":
            nullable = True
        fn = (
            ("read_compact_nullable_bytes" if nullable else "read_compact_bytes")
            if flexible
            else ("read_nullable_bytes" if nullable else "read_bytes")
        )
    elif type_name == "uuid":
        fn = "read_uuid"
    else:
        fn = f"read_{type_name}"
    return f"{fn}(buf, pos)"


def _write_stmt(type_name: str, nullable: bool, flexible: bool, value: str) -> str:
    if type_name == "string":
        fn = (
            ("write_compact_nullable_string" if nullable else "write_compact_string")
            if flexible
            else ("write_nullable_string" if nullable else "write_string")
        )
    elif type_name == "bytes":
        fn = (
            ("write_compact_nullable_bytes" if nullable else "write_compact_bytes")
            if flexible
            else ("write_nullable_bytes" if nullable else "write_bytes")
        )
    elif type_name == "records":
        return f"_write_records(out, {value}, regions, {flexible})"
    elif type_name == "uuid":
        fn = "write_uuid"
    else:
        fn = f"write_{type_name}"
    return f"{fn}(out, {value})"


class _DeferredRecords(list[tuple[int, Any]]):
    """Struct.encode's region list: record sets of at least DEFER_RECORDS bytes held in memory are left out of
    the encoding buffer too (at their offset), to be joined into the result in one copy."""


DEFER_RECORDS = 4096


def _write_records(out: bytearray, value: Any, regions: list[tuple[int, Any]], flexible: bool) -> None:
    if value is None:
        if flexible:
            out.append(0)
        else:
            out += p.INT32.pack(-1)
        return
    if isinstance(value, bytes | bytearray | memoryview):
        if type(regions) is not _DeferredRecords or len(value) < DEFER_RECORDS:
            if flexible:
                p.write_compact_bytes(out, value)
            else:
                p.write_bytes(out, value)
            return
        size = len(value)
    else:
        size = value.size  # a file region: length prefix now, bytes sent by the caller
    if flexible:
        p.write_unsigned_varint(out, size + 1)
    else:
        out += p.INT32.pack(size)
    regions.append((len(out), value))


_NS_BASE["_write_records"] = _write_records


class _Gen:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ns: dict[str, Any] = dict(_NS_BASE)
        self.counter = 0

    def name(self, prefix: str, value: Any) -> str:
        self.counter += 1
        key = f"_{prefix}{self.counter}"
        self.ns[key] = value
        return key


def _fields_in(cls: type[Struct], version: int) -> tuple[list[Field], list[Field]]:
    """(regular fields, tagged fields) of a struct present in a version."""
    flexible = version in cls._FLEXIBLE
    regular, tagged = [], []
    for f in cls._FIELDS:
        if f.tag is not None:
            tv = Versions.parse(f.tagged_versions or f.versions)
            if flexible and version in tv:
                tagged.append(f)
        elif version in Versions.parse(f.versions):
            regular.append(f)
    return regular, tagged


def _compile_decoder(cls: type[Struct], version: int) -> Callable[..., Any]:
    """The decoder `Struct.decode` uses: the compiled field program where the extension is built, else the
    generated Python."""
    dec = _native_decoder(cls, version) if _NATIVE is not None else python_decoder(cls, version)
    cls._decoders[version] = dec
    return dec


def python_decoder(cls: type[Struct], version: int) -> Callable[..., Any]:
    """The generated Python decoder of (cls, version): the reference, whatever engine `decode` uses."""
    dec = cls._py_decoders.get(version)
    if dec is None:
        g = _Gen()
        fn = _emit_decoder(g, cls, version)
        exec("\n".join(g.lines), g.ns)  # noqa: S102 - source generated from our own tables
        dec = cls._py_decoders[version] = g.ns[fn]
    return dec


def _load_native() -> Any:
    _fast_decode = _native.load("strom.protocol._fast_decode")
    if _fast_decode is None:
        return None
    _fast_decode.configure(CorruptMessage, uuid.UUID, p.read_unsigned_varint, EMPTY_TAGS)
    return _fast_decode


_NATIVE = _load_native()


def native_decoding() -> bool:
    """Whether `Struct.decode` runs the compiled field programs (the `_fast_decode` extension)."""
    return _NATIVE is not None


def _native_kind(type_name: str) -> int:
    kinds: dict[str, int] = {
        "int8": _NATIVE.KIND_INT8,
        "int16": _NATIVE.KIND_INT16,
        "int32": _NATIVE.KIND_INT32,
        "int64": _NATIVE.KIND_INT64,
        "uint16": _NATIVE.KIND_UINT16,
        "float64": _NATIVE.KIND_FLOAT64,
        "bool": _NATIVE.KIND_BOOL,
        "string": _NATIVE.KIND_STRING,
        "bytes": _NATIVE.KIND_BYTES,
        "records": _NATIVE.KIND_BYTES,
        "uuid": _NATIVE.KIND_UUID,
    }
    return kinds[type_name]


def _native_decoder(cls: type[Struct], version: int) -> Any:
    """The table of (cls, version) as a compiled field program: the same reads, in the same order, with the
    same nullability, array minimum sizes and defaults as the generated Python decoder."""
    flexible = version in cls._FLEXIBLE
    regular, tagged = _fields_in(cls, version)
    children = children_of(cls)

    def op(f: Field) -> tuple[Any, ...]:
        nullable = version in Versions.parse(f.nullable) or f.type == "records"
        elem = _element_type(f.type)
        child = children.get(f.name)
        child_decoder = _emit_native_ref(child, version) if child is not None else None
        elem_kind, min_size = 0, 1
        if elem is not None:
            kind = _NATIVE.KIND_ARRAY
            elem_kind = _NATIVE.KIND_STRUCT if child is not None else _native_kind(elem)
            min_size = 1 if child is not None else _MIN_SIZE.get(elem, 1)
        elif child is not None:
            kind = _NATIVE.KIND_STRUCT
        else:
            kind = _native_kind(f.type)
        default, factory = _zero_value(f)
        return (f.name, kind, elem_kind, nullable, min_size, f.tag or 0, child_decoder, default, factory is list)

    present = {f.name for f in regular + tagged}
    absent = []
    for f in cls._FIELDS:
        if f.name not in present:
            default, factory = _zero_value(f)
            absent.append((f.name, default, factory is list))
    ops = [op(f) for f in regular], [op(f) for f in tagged]
    return _NATIVE.Decoder(cls, flexible, ops[0], ops[1], absent, python_decoder(cls, version))


def _emit_native_ref(cls: type[Struct], version: int) -> Any:
    dec = cls._decoders.get(version)
    if dec is None:
        dec = _compile_decoder(cls, version)
    return dec


def _emit_value_decode(g: _Gen, f: Field, var: str, version: int, flexible: bool, cls: type[Struct], ind: str) -> None:
    nullable = version in Versions.parse(f.nullable)
    elem = _element_type(f.type)
    if elem is not None:
        child = children_of(cls).get(f.name)
        min_size = 1 if child is not None else _MIN_SIZE.get(elem, 1)
        _emit_array_length(g, flexible, min_size, ind)
        g.lines.append(f"{ind}if _n < 0:")
        if nullable:
            g.lines.append(f"{ind}    {var} = None")
        else:
            g.lines.append(f"{ind}    raise CorruptMessage('null array for non-nullable field {f.name}')")
        g.lines.append(f"{ind}else:")
        if child is None and elem in _FIXED:
            # a run of fixed-width items is one bulk unpack, its size checked before anything is allocated
            # (the count was checked against the bytes left; unpack_from checks again before it allocates)
            size, code = _FIXED[elem][1], _FIXED[elem][0]
            runs = g.name("runs", _SMALL_RUNS[code])
            g.lines.append(f"{ind}    if _n < {_SMALL_RUN_MAX}:")
            g.lines.append(f"{ind}        {var} = list({runs}[_n].unpack_from(buf, pos))")
            g.lines.append(f"{ind}    else:")
            g.lines.append(f"{ind}        {var} = list(_unpack_from('>%d{code}' % _n, buf, pos))")
            g.lines.append(f"{ind}    pos += _n * {size}")
            return
        g.lines.append(f"{ind}    {var} = []")
        g.lines.append(f"{ind}    _app = {var}.append")
        g.lines.append(f"{ind}    for _ in range(_n):")
        if child is not None:
            sub = _emit_decoder_ref(g, child, version)
            g.lines.append(f"{ind}        _v, pos = {sub}(buf, pos)")
        else:
            g.lines.append(f"{ind}        _v, pos = {_read_expr(elem, False, flexible)}")
        g.lines.append(f"{ind}        _app(_v)")
        return
    if _is_struct(f.type):
        child = children_of(cls)[f.name]
        sub = _emit_decoder_ref(g, child, version)
        if nullable:
            g.lines.append(f"{ind}_flag, pos = read_int8(buf, pos)")
            g.lines.append(f"{ind}if _flag < 0:")
            g.lines.append(f"{ind}    {var} = None")
            g.lines.append(f"{ind}else:")
            g.lines.append(f"{ind}    {var}, pos = {sub}(buf, pos)")
        else:
            g.lines.append(f"{ind}{var}, pos = {sub}(buf, pos)")
        return
    if f.type == "string":
        _emit_string_decode(g, var, nullable, flexible, ind)
        return
    if f.type in ("bytes", "records"):
        _emit_bytes_decode(g, var, nullable or f.type == "records", flexible, ind)
        return
    g.lines.append(f"{ind}{var}, pos = {_read_expr(f.type, nullable, flexible)}")


def _emit_array_length(g: _Gen, flexible: bool, min_size: int, ind: str) -> None:
    """Array count into _n (-1 for null). Counts below 127 (one varint byte) are read inline: they cannot
    cause a large allocation, and every item read is bounds-checked anyway. Larger ones go through the
    checked reader, which compares count x minimum item size with the bytes left."""
    if flexible:
        g.lines.append(f"{ind}_n = buf[pos] - 1")
        g.lines.append(f"{ind}if _n < 127:")
        g.lines.append(f"{ind}    pos += 1")
        g.lines.append(f"{ind}else:")
        g.lines.append(f"{ind}    _n, pos = read_compact_array_length(buf, pos, {min_size})")
    else:
        g.lines.append(f"{ind}_n, pos = read_array_length(buf, pos, {min_size})")


def _emit_string_decode(g: _Gen, var: str, nullable: bool, flexible: bool, ind: str) -> None:
    """Strings shorter than 127 bytes (compact) or any non-null string (classic) decode inline; null and
    malformed ones take the reader function, which raises the precise error."""
    if flexible:
        g.lines.append(f"{ind}_b = buf[pos]")
        g.lines.append(f"{ind}if 0 < _b < 128:")
        g.lines.append(f"{ind}    _e = pos + _b")
        g.lines.append(f"{ind}    if _e > len(buf):")
        g.lines.append(f"{ind}        raise CorruptMessage('string at byte %d runs past the message' % pos)")
        g.lines.append(f"{ind}    {var} = str(buf[pos + 1 : _e], 'utf-8')")
        g.lines.append(f"{ind}    pos = _e")
    else:
        g.lines.append(f"{ind}(_b,) = _i16.unpack_from(buf, pos)")
        g.lines.append(f"{ind}if _b >= 0:")
        g.lines.append(f"{ind}    _e = pos + 2 + _b")
        g.lines.append(f"{ind}    if _e > len(buf):")
        g.lines.append(f"{ind}        raise CorruptMessage('string at byte %d runs past the message' % pos)")
        g.lines.append(f"{ind}    {var} = str(buf[pos + 2 : _e], 'utf-8')")
        g.lines.append(f"{ind}    pos = _e")
    g.lines.append(f"{ind}else:")
    g.lines.append(f"{ind}    {var}, pos = {_read_expr('string', nullable, flexible)}")


def _emit_bytes_decode(g: _Gen, var: str, nullable: bool, flexible: bool, ind: str) -> None:
    """Byte strings and record sets come out as memoryview slices of the input (no copy)."""
    if flexible:
        g.lines.append(f"{ind}_n = buf[pos] - 1")
        g.lines.append(f"{ind}if _n < 127:")
        g.lines.append(f"{ind}    pos += 1")
        g.lines.append(f"{ind}else:")
        g.lines.append(f"{ind}    _n, pos = read_unsigned_varint(buf, pos)")
        g.lines.append(f"{ind}    _n -= 1")
    else:
        g.lines.append(f"{ind}(_n,) = _i32.unpack_from(buf, pos)")
        g.lines.append(f"{ind}pos += 4")
    g.lines.append(f"{ind}if _n >= 0:")
    g.lines.append(f"{ind}    _e = pos + _n")
    g.lines.append(f"{ind}    if _e > len(buf):")
    g.lines.append(f"{ind}        raise CorruptMessage('%d bytes at byte %d run past the message' % (_n, pos))")
    g.lines.append(f"{ind}    {var} = memoryview(buf)[pos:_e]")
    g.lines.append(f"{ind}    pos = _e")
    if nullable:
        g.lines.append(f"{ind}elif _n == -1:")
        g.lines.append(f"{ind}    {var} = None")
    g.lines.append(f"{ind}else:")
    g.lines.append(f"{ind}    raise CorruptMessage('bad bytes length %d before byte %d' % (_n, pos))")


def _emit_decoder_ref(g: _Gen, cls: type[Struct], version: int) -> str:
    return g.name("dec", python_decoder(cls, version))


def _emit_decoder(g: _Gen, cls: type[Struct], version: int) -> str:
    flexible = version in cls._FLEXIBLE
    regular, tagged = _fields_in(cls, version)
    fname = f"decode_{cls.__name__}_v{version}"
    clsname = g.name("cls", cls)
    g.lines.append(f"def {fname}(buf, pos):")
    ind = "    "
    i = 0
    while i < len(regular):
        f = regular[i]
        if f.type in _FIXED:
            run = [f]
            j = i + 1
            while j < len(regular) and regular[j].type in _FIXED:
                run.append(regular[j])
                j += 1
            st = struct.Struct(">" + "".join(_FIXED[x.type][0] for x in run))
            stn = g.name("st", st)  # a short buffer makes unpack_from raise struct.error: decode() reports it
            names = ", ".join(f"f_{x.name}" for x in run)
            g.lines.append(f"{ind}({names},) = {stn}.unpack_from(buf, pos)")
            g.lines.append(f"{ind}pos += {st.size}")
            i = j
            continue
        _emit_value_decode(g, f, f"f_{f.name}", version, flexible, cls, ind)
        i += 1
    if flexible:
        for f in tagged:
            default, factory = _zero_value(f)
            dn = g.name("dflt", factory if factory else default)
            g.lines.append(f"{ind}f_{f.name} = {dn}{'()' if factory else ''}")
        g.lines.append(f"{ind}if buf[pos] == 0:")  # the usual case: no tagged fields
        g.lines.append(f"{ind}    _nt = 0")
        g.lines.append(f"{ind}    pos += 1")
        g.lines.append(f"{ind}    _unk = _EMPTY_TAGS")
        g.lines.append(f"{ind}else:")
        g.lines.append(f"{ind}    _unk = {{}}")
        g.lines.append(f"{ind}    _nt, pos = read_unsigned_varint(buf, pos)")
        g.lines.append(f"{ind}    if _nt > len(buf) - pos:")
        g.lines.append(f"{ind}        raise CorruptMessage('tagged field count %d exceeds the bytes left' % _nt)")
        g.lines.append(f"{ind}for _ in range(_nt):")
        g.lines.append(f"{ind}    _tag, pos = read_unsigned_varint(buf, pos)")
        g.lines.append(f"{ind}    _sz, pos = read_unsigned_varint(buf, pos)")
        g.lines.append(f"{ind}    _end = pos + _sz")
        g.lines.append(f"{ind}    if _end > len(buf):")
        g.lines.append(f"{ind}        raise CorruptMessage('truncated tagged field %d' % _tag)")
        first = True
        for f in tagged:
            kw = "if" if first else "elif"
            first = False
            g.lines.append(f"{ind}    {kw} _tag == {f.tag}:")
            _emit_value_decode(g, f, f"f_{f.name}", version, flexible, cls, ind + "        ")
        if tagged:
            g.lines.append(f"{ind}    else:")
            g.lines.append(f"{ind}        _unk[_tag] = bytes(buf[pos:_end])")
        else:
            g.lines.append(f"{ind}    _unk[_tag] = bytes(buf[pos:_end])")
        g.lines.append(f"{ind}    pos = _end")
    _emit_construct(g, cls, clsname, regular + tagged, flexible, ind)
    g.lines.append("")
    return fname


def _emit_construct(g: _Gen, cls: type[Struct], clsname: str, present: list[Field], flexible: bool, ind: str) -> None:
    """Builds the decoded instance without the frozen __init__ (which pays object.__setattr__ per field):
    slots are filled on the layout-identical mutable twin, then the object becomes the frozen class. Fields
    absent from this version get their defaults, exactly as the constructor would give them."""
    twin = g.name("twin", cls._mutable_twin)
    g.lines.append(f"{ind}_o = _new({twin})")
    names = {f.name for f in present}
    for f in present:
        g.lines.append(f"{ind}_o.{f.name} = f_{f.name}")
    for f in cls._FIELDS:
        if f.name in names:
            continue
        default, factory = _zero_value(f)
        if factory is list:
            g.lines.append(f"{ind}_o.{f.name} = []")
        else:
            g.lines.append(f"{ind}_o.{f.name} = {g.name('dflt', default)}")
    g.lines.append(f"{ind}_o.unknown_tagged_fields = {'_unk' if flexible else '_EMPTY_TAGS'}")
    g.lines.append(f"{ind}_o.__class__ = {clsname}")
    g.lines.append(f"{ind}return _o, pos")


def _compile_encoder(cls: type[Struct], version: int) -> Callable[..., Any]:
    g = _Gen()
    fn = _emit_encoder(g, cls, version)
    exec("\n".join(g.lines), g.ns)  # noqa: S102 - source generated from our own tables
    enc = g.ns[fn]
    cls._encoders[version] = enc
    return enc  # type: ignore[no-any-return]


def _emit_encoder_ref(g: _Gen, cls: type[Struct], version: int) -> str:
    enc = cls._encoders.get(version)
    if enc is None:
        enc = _compile_encoder(cls, version)
    return g.name("enc", enc)


def _emit_value_encode(g: _Gen, f: Field, value: str, version: int, flexible: bool, cls: type[Struct], ind: str) -> None:
    nullable = version in Versions.parse(f.nullable)
    elem = _element_type(f.type)
    if elem is not None:
        child = children_of(cls).get(f.name)
        g.lines.append(f"{ind}_a = {value}")
        g.lines.append(f"{ind}if _a is None:")
        g.lines.append(f"{ind}    {'out.append(0)' if flexible else 'write_int32(out, -1)'}")
        g.lines.append(f"{ind}else:")
        if flexible:
            g.lines.append(f"{ind}    write_unsigned_varint(out, len(_a) + 1)")
        else:
            g.lines.append(f"{ind}    write_int32(out, len(_a))")
        if child is not None:
            sub = _emit_encoder_ref(g, child, version)
            g.lines.append(f"{ind}    for _it in _a:")
            g.lines.append(f"{ind}        {sub}(_it, out, regions)")
        else:
            g.lines.append(f"{ind}    for _it in _a:")
            g.lines.append(f"{ind}        {_write_stmt(elem, False, flexible, '_it')}")
        return
    if _is_struct(f.type):
        child = children_of(cls)[f.name]
        sub = _emit_encoder_ref(g, child, version)
        ctor = g.name("ctor", child)
        if nullable:
            g.lines.append(f"{ind}if {value} is None:")
            g.lines.append(f"{ind}    out.append(255)")
            g.lines.append(f"{ind}else:")
            g.lines.append(f"{ind}    out.append(1)")
            g.lines.append(f"{ind}    {sub}({value}, out, regions)")
        else:
            g.lines.append(f"{ind}{sub}({value} if {value} is not None else {ctor}(), out, regions)")
        return
    g.lines.append(f"{ind}{_write_stmt(f.type, nullable, flexible, value)}")


def _emit_encoder(g: _Gen, cls: type[Struct], version: int) -> str:
    flexible = version in cls._FLEXIBLE
    regular, tagged = _fields_in(cls, version)
    fname = f"encode_{cls.__name__}_v{version}"
    g.lines.append(f"def {fname}(self, out, regions):")
    ind = "    "
    g.lines.append(f"{ind}pass")
    i = 0
    while i < len(regular):
        f = regular[i]
        if f.type in _FIXED:
            run = [f]
            j = i + 1
            while j < len(regular) and regular[j].type in _FIXED:
                run.append(regular[j])
                j += 1
            st = struct.Struct(">" + "".join(_FIXED[x.type][0] for x in run))
            stn = g.name("st", st)
            g.lines.append(f"{ind}out += {stn}.pack({', '.join('self.' + x.name for x in run)})")
            i = j
            continue
        _emit_value_encode(g, f, f"self.{f.name}", version, flexible, cls, ind)
        i += 1
    if flexible:
        if not tagged:
            g.lines.append(f"{ind}_unk = self.unknown_tagged_fields")
            g.lines.append(f"{ind}if _unk:")
            g.lines.append(f"{ind}    write_tagged_fields(out, _unk)")
            g.lines.append(f"{ind}else:")
            g.lines.append(f"{ind}    out.append(0)")
        else:
            g.lines.append(f"{ind}_tf = dict(self.unknown_tagged_fields)")
            for f in tagged:
                default, factory = _zero_value(f)
                dn = g.name("dflt", factory() if factory else default)
                g.lines.append(f"{ind}if self.{f.name} != {dn}:")
                g.lines.append(f"{ind}    _outer = out")
                g.lines.append(f"{ind}    out = bytearray()")
                _emit_value_encode(g, f, f"self.{f.name}", version, flexible, cls, ind + "    ")
                g.lines.append(f"{ind}    _tf[{f.tag}] = bytes(out)")
                g.lines.append(f"{ind}    out = _outer")
            g.lines.append(f"{ind}write_tagged_fields(out, _tf)")
    g.lines.append("")
    return fname


def define_message(
    module_globals: dict[str, Any],
    name: str,
    api_key: int,
    versions: str,
    flexible: str,
    fields: Sequence[Field],
) -> type[Message]:
    """Builds a message class and exports it (and its nested struct classes) into the schema module."""
    vr = Versions.parse(versions)
    flex = Versions.parse(flexible)
    cls: Any = build_struct(name, fields, flex, base=Message)
    cls.API_KEY = api_key
    cls.MIN_VERSION = vr.low
    cls.MAX_VERSION = vr.high
    cls.FLEXIBLE_MIN_VERSION = flex.low if flex.low <= flex.high else None
    module_globals[name] = cls
    _export_children(module_globals, cls, name)
    return cast("type[Message]", cls)


def _export_children(module_globals: dict[str, Any], cls: type[Struct], owner: str) -> None:
    for child in children_of(cls).values():
        key = child.__name__
        if key in module_globals and module_globals[key] is not child:
            key = f"{owner}{key}"
            child.__name__ = key
            child.__qualname__ = key
        module_globals.setdefault(key, child)
        _export_children(module_globals, child, owner)
