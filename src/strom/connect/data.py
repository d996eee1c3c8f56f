"""Connect's data model (org.apache.kafka.connect.data): schemas, structs, logical types.

Connectors produce and consume values described by a `Schema`, independent of the bytes on the topic; the
converters map between the two. Python values stand for Java's: int for INT8..INT64 (range-checked), float for
FLOAT32/FLOAT64, bool, str, bytes, list, dict, `Struct`; the logical types use decimal.Decimal, datetime.date,
datetime.time and datetime.datetime (naive means UTC).
"""

from __future__ import annotations

import builtins
import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from strom.connect.errors import DataException

__all__ = [
    "DataException",
    "Date",
    "Decimal",
    "Field",
    "Schema",
    "SchemaAndValue",
    "SchemaBuilder",
    "Struct",
    "Time",
    "Timestamp",
    "Type",
    "copy_schema_basics",
    "unscaled_decimal",
    "validate_value",
]


class Type(enum.Enum):
    """Schema.Type: the value is Kafka's lower-case type name (`getName()`), the name is Java's enum constant."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    def is_primitive(self) -> bool:
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)

    def get_name(self) -> str:
        return self.value

    def __str__(self) -> str:  # Java prints the enum constant: "Invalid value ... schema type: STRING"
        return self.name


_INT_RANGES = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True, slots=True)
class Field:
    """A field of a struct schema: its name, its position and its schema."""

    name: str
    index: int
    schema: Schema


class Schema:
    """An immutable schema (Java's ConnectSchema); build one with `SchemaBuilder` or use the constants below.

    Equal schemas compare equal and hash alike, as Java's ConnectSchema.equals/hashCode, so converters and
    transforms can cache by schema."""

    __slots__ = (
        "type",
        "optional",
        "default",
        "name",
        "version",
        "doc",
        "parameters",
        "key_schema",
        "value_schema",
        "_fields",
        "_by_name",
        "_hash",
    )

    # predefined schemas (filled in below the class)
    INT8_SCHEMA: ClassVar[Schema]
    INT16_SCHEMA: ClassVar[Schema]
    INT32_SCHEMA: ClassVar[Schema]
    INT64_SCHEMA: ClassVar[Schema]
    FLOAT32_SCHEMA: ClassVar[Schema]
    FLOAT64_SCHEMA: ClassVar[Schema]
    BOOLEAN_SCHEMA: ClassVar[Schema]
    STRING_SCHEMA: ClassVar[Schema]
    BYTES_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT8_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT16_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT32_SCHEMA: ClassVar[Schema]
    OPTIONAL_INT64_SCHEMA: ClassVar[Schema]
    OPTIONAL_FLOAT32_SCHEMA: ClassVar[Schema]
    OPTIONAL_FLOAT64_SCHEMA: ClassVar[Schema]
    OPTIONAL_BOOLEAN_SCHEMA: ClassVar[Schema]
    OPTIONAL_STRING_SCHEMA: ClassVar[Schema]
    OPTIONAL_BYTES_SCHEMA: ClassVar[Schema]

    type: Type
    optional: bool
    default: Any
    name: str | None
    version: int | None
    doc: str | None
    parameters: dict[str, str] | None
    key_schema: Schema | None
    value_schema: Schema | None

    def __init__(
        self,
        type: Type,
        optional: bool = False,
        default: Any = None,
        name: str | None = None,
        version: int | None = None,
        doc: str | None = None,
        parameters: Mapping[str, str] | None = None,
        fields: Iterable[Field] | None = None,
        key_schema: Schema | None = None,
        value_schema: Schema | None = None,
    ) -> None:
        self.type = type
        self.optional = optional
        self.default = default
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters = dict(parameters) if parameters is not None else None
        self.key_schema = key_schema
        self.value_schema = value_schema
        if type is Type.STRUCT:
            self._fields: tuple[Field, ...] | None = tuple(fields or ())
            self._by_name: dict[str, Field] = {f.name: f for f in self._fields}
        else:
            if fields:
                raise DataException("Cannot add fields to a non-struct schema")
            self._fields = None
            self._by_name = {}
        self._hash: int | None = None
        if default is not None:
            validate_value(self, default)

    @property
    def default_value(self) -> Any:
        """Java's defaultValue()."""
        return self.default

    def is_optional(self) -> bool:
        return self.optional

    def fields(self) -> list[Field]:
        """The struct's fields in order; DataException on other types, as Java."""
        if self._fields is None:
            raise DataException("Cannot list fields on non-struct type")
        return list(self._fields)

    def field(self, name: str) -> Field | None:
        """The struct field called `name`, or None."""
        if self._fields is None:
            raise DataException("Cannot look up fields on non-struct type")
        return self._by_name.get(name)

    def schema(self) -> Schema:
        return self

    def _key(self) -> tuple[Any, ...]:
        params = tuple(sorted(self.parameters.items())) if self.parameters is not None else None
        return (
            self.type,
            self.optional,
            self.name,
            self.version,
            self.doc,
            params,
            self._fields,
            self.key_schema,
            self.value_schema,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._key() == other._key() and _values_equal(self.default, other.default)

    def __hash__(self) -> int:  # cached: schemas key the converters' and transforms' caches
        if self._hash is None:
            self._hash = hash((self.type, self.optional, self.name, self.version, self._fields, self.key_schema, self.value_schema))
        return self._hash

    def __repr__(self) -> str:  # Java's ConnectSchema.toString
        if self.name is not None:
            return f"Schema{{{self.name}:{self.type}}}"
        return f"Schema{{{self.type}}}"

    __str__ = __repr__


def _primitive(t: Type, optional: bool) -> Schema:
    return Schema(t, optional=optional)


for _t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN, Type.STRING, Type.BYTES):
    setattr(Schema, f"{_t.name}_SCHEMA", _primitive(_t, False))
    setattr(Schema, f"OPTIONAL_{_t.name}_SCHEMA", _primitive(_t, True))


def _values_equal(a: Any, b: Any) -> bool:
    # bytes compare by content in Python already (Java needs Arrays.equals); floats: NaN == NaN as Java's Double.equals
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


class SchemaBuilder:
    """Java's fluent SchemaBuilder: `SchemaBuilder.struct().name("x").field("id", Schema.INT64_SCHEMA).build()`.

    Setters keep Java's names (optional(), name(), version(), doc(), parameters(), default_value()); each can be
    set once (a second set raises DataException, Java's SchemaBuilderException). Anything taking a Schema here
    also takes a builder, as Java's SchemaBuilder is itself a Schema."""

    def __init__(self, type: Type) -> None:
        self.type = type
        self._optional: builtins.bool | None = None
        self._default: Any = None
        self._default_set = False
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] | None = None
        self._fields: dict[str, Field] | None = {} if type is Type.STRUCT else None
        self._key_schema: Schema | None = None
        self._value_schema: Schema | None = None

    @staticmethod
    def _check_once(what: str, is_set: builtins.bool) -> None:
        if is_set:
            raise DataException(f"Invalid SchemaBuilder call: {what} has already been set.")

    # -- factories, Java's static methods
    @staticmethod
    def int8() -> SchemaBuilder:
        return SchemaBuilder(Type.INT8)

    @staticmethod
    def int16() -> SchemaBuilder:
        return SchemaBuilder(Type.INT16)

    @staticmethod
    def int32() -> SchemaBuilder:
        return SchemaBuilder(Type.INT32)

    @staticmethod
    def int64() -> SchemaBuilder:
        return SchemaBuilder(Type.INT64)

    @staticmethod
    def float32() -> SchemaBuilder:
        return SchemaBuilder(Type.FLOAT32)

    @staticmethod
    def float64() -> SchemaBuilder:
        return SchemaBuilder(Type.FLOAT64)

    @staticmethod
    def bool() -> SchemaBuilder:
        return SchemaBuilder(Type.BOOLEAN)

    @staticmethod
    def string() -> SchemaBuilder:
        return SchemaBuilder(Type.STRING)

    @staticmethod
    def bytes() -> SchemaBuilder:
        return SchemaBuilder(Type.BYTES)

    @staticmethod
    def struct() -> SchemaBuilder:
        return SchemaBuilder(Type.STRUCT)

    @staticmethod
    def array(value_schema: Schema | SchemaBuilder) -> SchemaBuilder:
        if value_schema is None:
            raise DataException("valueSchema cannot be null.")
        builder = SchemaBuilder(Type.ARRAY)
        builder._value_schema = _as_schema(value_schema)
        return builder

    @staticmethod
    def map(key_schema: Schema | SchemaBuilder, value_schema: Schema | SchemaBuilder) -> SchemaBuilder:
        if key_schema is None:
            raise DataException("keySchema cannot be null.")
        if value_schema is None:
            raise DataException("valueSchema cannot be null.")
        builder = SchemaBuilder(Type.MAP)
        builder._key_schema = _as_schema(key_schema)
        builder._value_schema = _as_schema(value_schema)
        return builder

    @staticmethod
    def type_of(type: Type) -> SchemaBuilder:
        """Java's static SchemaBuilder.type(Type) (`type` is the attribute here)."""
        return SchemaBuilder(type)

    # -- setters
    def optional(self) -> SchemaBuilder:
        self._check_once("optional", self._optional is not None)
        self._optional = True
        return self

    def required(self) -> SchemaBuilder:
        self._check_once("optional", self._optional is not None)
        self._optional = False
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        self._check_once("default", self._default_set)
        if value is not None:
            validate_value(self._build(None), value)
        self._default = value
        self._default_set = True
        return self

    def name(self, name: str | None) -> SchemaBuilder:
        self._check_once("name", self._name is not None)
        self._name = name
        return self

    def version(self, version: int | None) -> SchemaBuilder:
        self._check_once("version", self._version is not None)
        self._version = version
        return self

    def doc(self, doc: str | None) -> SchemaBuilder:
        self._check_once("doc", self._doc is not None)
        self._doc = doc
        return self

    def parameter(self, name: str, value: str) -> SchemaBuilder:
        if self._parameters is None:
            self._parameters = {}
        self._parameters[name] = value
        return self

    def parameters(self, props: Mapping[str, str]) -> SchemaBuilder:
        """Adds all entries (Java's parameters(Map))."""
        if self._parameters is None:
            self._parameters = {}
        self._parameters.update(props)
        return self

    def field(self, field_name: str, field_schema: Schema | SchemaBuilder) -> SchemaBuilder:
        if self._fields is None:
            raise DataException("Cannot create fields on type " + str(self.type))
        if field_name is None or field_name == "":
            raise DataException("fieldName cannot be null.")
        if field_schema is None:
            raise DataException("fieldSchema for field " + field_name + " cannot be null.")
        if field_name in self._fields:
            raise DataException("Cannot create field because of field name duplication " + field_name)
        self._fields[field_name] = Field(field_name, len(self._fields), _as_schema(field_schema))
        return self

    # -- reading back
    def fields(self) -> list[Field]:
        if self._fields is None:
            raise DataException("Cannot list fields on non-struct type")
        return list(self._fields.values())

    def is_optional(self) -> builtins.bool:
        return builtins.bool(self._optional)

    def _build(self, default: Any) -> Schema:
        return Schema(
            self.type,
            builtins.bool(self._optional),
            default,
            self._name,
            self._version,
            self._doc,
            self._parameters,
            list(self._fields.values()) if self._fields is not None else None,
            self._key_schema,
            self._value_schema,
        )

    def build(self) -> Schema:
        """The immutable Schema."""
        return self._build(self._default)

    def schema(self) -> Schema:
        return self.build()


def _as_schema(s: Schema | SchemaBuilder) -> Schema:
    return s.build() if isinstance(s, SchemaBuilder) else s


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """Java's SchemaUtil.copySchemaBasics: name, version, doc and parameters (plus optional) onto a builder of
    the same type (a new one if None); transforms use it to derive a schema from another."""
    if builder is None:
        if source.type is Type.ARRAY:
            assert source.value_schema is not None
            builder = SchemaBuilder.array(source.value_schema)
        elif source.type is Type.MAP:
            assert source.key_schema is not None and source.value_schema is not None
            builder = SchemaBuilder.map(source.key_schema, source.value_schema)
        else:
            builder = SchemaBuilder(source.type)
        if source.optional:
            builder.optional()
    builder.name(source.name)
    builder.version(source.version)
    builder.doc(source.doc)
    if source.parameters is not None:
        builder.parameters(source.parameters)
    return builder


# -- values


def _type_name(value: Any) -> str:
    return str(type(value))


def validate_value(schema: Schema | None, value: Any, field: str | None = None) -> None:
    """Java's ConnectSchema.validateValue: DataException unless `value` fits `schema` (recursively)."""
    if schema is None:
        return
    _validate(schema, value, "value" if field is None else f'field: "{field}"')


def _expected_ok(schema: Schema, value: Any) -> bool:
    logical = _LOGICAL_CLASSES.get(schema.name) if schema.name is not None else None
    if logical is not None:
        if logical is dt.date:
            return isinstance(value, dt.date)
        return isinstance(value, logical)
    t = schema.type
    if t in _INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        lo, hi = _INT_RANGES[t]
        return lo <= value <= hi
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        return isinstance(value, float)
    if t is Type.BOOLEAN:
        return isinstance(value, bool)
    if t is Type.STRING:
        return isinstance(value, str)
    if t is Type.BYTES:
        return isinstance(value, (bytes, bytearray, memoryview))
    if t is Type.ARRAY:
        return isinstance(value, (list, tuple))
    if t is Type.MAP:
        return isinstance(value, Mapping)
    return isinstance(value, Struct)


def _validate(schema: Schema, value: Any, location: str) -> None:
    if value is None:
        if not schema.optional:
            raise DataException(f"Invalid value: null used for required {location}, schema type: {schema.type}")
        return
    if not _expected_ok(schema, value):
        name = f' "{schema.name}"' if schema.name is not None else ""
        raise DataException(f"Invalid Python object for schema{name} with type {schema.type}: {_type_name(value)} for {location}")
    if schema.type is Type.STRUCT:
        if value.schema != schema:
            raise DataException("Struct schemas do not match.")
        value.validate()
    elif schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        for element in value:
            _validate(schema.value_schema, element, f"element of array {location}")
    elif schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        for k, v in value.items():
            _validate(schema.key_schema, k, f"key of map {location}")
            _validate(schema.value_schema, v, f"value of map {location}")


class Struct:
    """A value of a STRUCT schema: field values by name, checked against the schema on put (Java's Struct)."""

    __slots__ = ("schema", "_values")

    def __init__(self, schema: Schema | SchemaBuilder) -> None:
        schema = _as_schema(schema)
        if schema.type is not Type.STRUCT:
            raise DataException(f"Not a struct schema: {schema}")
        self.schema = schema
        self._values: list[Any] = [None] * len(schema.fields())

    def _lookup(self, field: str | Field) -> Field:
        if isinstance(field, Field):
            found = self.schema.field(field.name)
            if found is None or found != field:
                raise DataException(f"{field.name} is not a valid field name")
            return found
        found = self.schema.field(field)
        if found is None:
            raise DataException(f"{field} is not a valid field name")
        return found

    def put(self, field: str | Field, value: Any) -> Struct:
        """Sets a field (validated against its schema); returns self for chaining, as Java."""
        f = self._lookup(field)
        validate_value(f.schema, value, f.name)
        self._values[f.index] = value
        return self

    @classmethod
    def _of(cls, schema: Schema, values: list[Any]) -> Struct:
        """For converters: a struct of values in field order, typed by construction (not validated)."""
        struct = cls.__new__(cls)
        struct.schema = schema
        struct._values = values
        return struct

    def _put_unchecked(self, field: Field, value: Any) -> None:
        """For converters whose values are typed by construction: skips validation."""
        self._values[field.index] = value

    def get(self, field: str | Field) -> Any:
        """The field's value, or its schema's default when unset/None."""
        f = self._lookup(field)
        value = self._values[f.index]
        if value is None and f.schema.default is not None:
            return f.schema.default
        return value

    def get_without_default(self, field: str | Field) -> Any:
        return self._values[self._lookup(field).index]

    def _typed(self, field: str | Field, t: Type) -> Any:
        f = self._lookup(field)
        if f.schema.type is not t:
            raise DataException(f"Field '{f.name}' is not of type {t}")
        return self.get(f)

    def get_int8(self, field: str) -> int | None:
        return self._typed(field, Type.INT8)  # type: ignore[no-any-return]

    def get_int16(self, field: str) -> int | None:
        return self._typed(field, Type.INT16)  # type: ignore[no-any-return]

    def get_int32(self, field: str) -> int | None:
        return self._typed(field, Type.INT32)  # type: ignore[no-any-return]

    def get_int64(self, field: str) -> int | None:
        return self._typed(field, Type.INT64)  # type: ignore[no-any-return]

    def get_float32(self, field: str) -> float | None:
        return self._typed(field, Type.FLOAT32)  # type: ignore[no-any-return]

    def get_float64(self, field: str) -> float | None:
        return self._typed(field, Type.FLOAT64)  # type: ignore[no-any-return]

    def get_boolean(self, field: str) -> bool | None:
        return self._typed(field, Type.BOOLEAN)  # type: ignore[no-any-return]

    def get_string(self, field: str) -> str | None:
        return self._typed(field, Type.STRING)  # type: ignore[no-any-return]

    def get_bytes(self, field: str) -> bytes | None:
        value = self._typed(field, Type.BYTES)
        return bytes(value) if value is not None else None

    def get_array(self, field: str) -> list[Any] | None:
        return self._typed(field, Type.ARRAY)  # type: ignore[no-any-return]

    def get_map(self, field: str) -> dict[Any, Any] | None:
        return self._typed(field, Type.MAP)  # type: ignore[no-any-return]

    def get_struct(self, field: str) -> Struct | None:
        return self._typed(field, Type.STRUCT)  # type: ignore[no-any-return]

    def validate(self) -> None:
        """DataException if a required field is missing or a value does not fit (Java's Struct.validate)."""
        for f in self.schema.fields():
            value = self._values[f.index]
            if value is None and f.schema.default is not None:
                value = f.schema.default
            validate_value(f.schema, value, f.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        return self.schema == other.schema and all(_values_equal(a, b) for a, b in zip(self._values, other._values, strict=True))

    def __hash__(self) -> int:
        return hash(self.schema)

    def __repr__(self) -> str:  # Java's Struct.toString: Struct{a=1,b=x}
        parts = [f"{f.name}={self._values[f.index]}" for f in self.schema.fields() if self._values[f.index] is not None]
        return "Struct{" + ",".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class SchemaAndValue:
    """A value with its schema, as converters return it."""

    schema: Schema | None
    value: Any

    NULL: ClassVar[SchemaAndValue]


SchemaAndValue.NULL = SchemaAndValue(None, None)


# -- logical types

_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS_PER_DAY = 86_400_000


def unscaled_decimal(unscaled: int, scale: int) -> decimal.Decimal:
    """unscaled x 10^-scale exactly (Java's new BigDecimal(unscaled, scale); Decimal.scaleb would round to the
    context's 28 digits)."""
    return decimal.Decimal(f"{unscaled}E{-scale}")  # the constructor is exact, whatever the context


class Decimal:
    """Logical type org.apache.kafka.connect.data.Decimal: BYTES holding the unscaled value as big-endian two's
    complement, the scale in the "scale" parameter."""

    LOGICAL_NAME = "org.apache.kafka.connect.data.Decimal"
    SCALE_FIELD = "scale"

    @staticmethod
    def builder(scale: int) -> SchemaBuilder:
        return SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).parameter(Decimal.SCALE_FIELD, str(scale)).version(1)

    @staticmethod
    def schema(scale: int) -> Schema:
        return Decimal.builder(scale).build()

    @staticmethod
    def _scale(schema: Schema) -> int:
        scale = (schema.parameters or {}).get(Decimal.SCALE_FIELD)
        if scale is None:
            raise DataException("Invalid Decimal schema: scale parameter not found.")
        try:
            return int(scale)
        except ValueError as e:
            raise DataException(f"Invalid scale parameter found in Decimal schema: {scale}") from e

    @staticmethod
    def from_logical(schema: Schema, value: decimal.Decimal) -> bytes:
        """The unscaled value's bytes; DataException if the value's scale differs from the schema's."""
        if schema.name != Decimal.LOGICAL_NAME:
            raise DataException("Requested conversion of Decimal object but the schema does not match.")
        scale = Decimal._scale(schema)
        sign, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise DataException(f"Invalid Decimal value: {value}")
        if -exponent != scale:
            raise DataException(f"Decimal value has mismatching scale. Expected scale: {scale}, got: {-exponent}")
        unscaled = int("".join(map(str, digits)) or "0")
        if sign:
            unscaled = -unscaled
        length = (unscaled + (unscaled < 0)).bit_length() // 8 + 1  # BigInteger.toByteArray: minimal, with a sign bit
        return unscaled.to_bytes(length, "big", signed=True)

    @staticmethod
    def to_logical(schema: Schema, value: bytes) -> decimal.Decimal:
        if schema.name != Decimal.LOGICAL_NAME:
            raise DataException("Requested conversion of Decimal object but the schema does not match.")
        return unscaled_decimal(int.from_bytes(value, "big", signed=True), Decimal._scale(schema))


class Date:
    """Logical type org.apache.kafka.connect.data.Date: INT32 days since the Unix epoch."""

    LOGICAL_NAME = "org.apache.kafka.connect.data.Date"
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(Date.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: dt.date) -> int:
        if schema.name != Date.LOGICAL_NAME:
            raise DataException("Requested conversion of Date object but the schema does not match.")
        if isinstance(value, dt.datetime):
            utc = _as_utc(value)
            if utc.time() != dt.time(0):
                raise DataException("Kafka Connect Date type should not have any time fields set to non-zero values.")
            value = utc.date()
        return (value - _EPOCH_DATE).days

    @staticmethod
    def to_logical(schema: Schema, value: int) -> dt.date:
        if schema.name != Date.LOGICAL_NAME:
            raise DataException("Requested conversion of Date object but the schema does not match.")
        return _EPOCH_DATE + dt.timedelta(days=value)


class Time:
    """Logical type org.apache.kafka.connect.data.Time: INT32 milliseconds since midnight."""

    LOGICAL_NAME = "org.apache.kafka.connect.data.Time"
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(Time.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: dt.time) -> int:
        if schema.name != Time.LOGICAL_NAME:
            raise DataException("Requested conversion of Time object but the schema does not match.")
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000

    @staticmethod
    def to_logical(schema: Schema, value: int) -> dt.time:
        if schema.name != Time.LOGICAL_NAME:
            raise DataException("Requested conversion of Time object but the schema does not match.")
        if value < 0 or value > _MS_PER_DAY:
            raise DataException("Time values must use number of milliseconds greater than 0 and less than 86400000")
        ms = value % _MS_PER_DAY
        return dt.time(ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60, ms % 1000 * 1000)


class Timestamp:
    """Logical type org.apache.kafka.connect.data.Timestamp: INT64 milliseconds since the Unix epoch (UTC)."""

    LOGICAL_NAME = "org.apache.kafka.connect.data.Timestamp"
    SCHEMA: ClassVar[Schema]

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int64().name(Timestamp.LOGICAL_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: dt.datetime) -> int:
        if schema.name != Timestamp.LOGICAL_NAME:
            raise DataException("Requested conversion of Timestamp object but the schema does not match.")
        delta = _as_utc(value) - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000

    @staticmethod
    def to_logical(schema: Schema, value: int) -> dt.datetime:
        if schema.name != Timestamp.LOGICAL_NAME:
            raise DataException("Requested conversion of Timestamp object but the schema does not match.")
        return _EPOCH + dt.timedelta(milliseconds=value)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Date.SCHEMA = Date.builder().build()
Time.SCHEMA = Time.builder().build()
Timestamp.SCHEMA = Timestamp.builder().build()

_LOGICAL_CLASSES: dict[str | None, type] = {
    Decimal.LOGICAL_NAME: decimal.Decimal,
    Date.LOGICAL_NAME: dt.date,
    Time.LOGICAL_NAME: dt.time,
    Timestamp.LOGICAL_NAME: dt.datetime,
}
