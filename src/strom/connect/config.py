"""Kafka's ConfigDef (org.apache.kafka.common.config) for connectors, transforms and converters.

A ConfigDef declares each setting's type, default, validator and documentation; `parse` turns string
properties into typed values (ConfigException on a bad or missing value) and `validate` reports every problem
per setting, with the messages Kafka Connect's REST `validate` endpoint returns."""

from __future__ import annotations

import builtins
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strom.connect.java_text import java_double_to_string

__all__ = [
    "NO_DEFAULT_VALUE",
    "AbstractConfig",
    "CaseInsensitiveValidString",
    "CompositeValidator",
    "Config",
    "ConfigDef",
    "ConfigException",
    "ConfigKey",
    "ConfigValue",
    "Importance",
    "LambdaValidator",
    "NonEmptyString",
    "NonNullValidator",
    "Password",
    "Range",
    "Recommender",
    "Type",
    "ValidList",
    "ValidString",
    "Validator",
    "Width",
    "java_str",
]


def java_str(value: Any) -> str:
    """A value as Java's String.valueOf prints it, for messages identical to Kafka's."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)


class ConfigException(Exception):
    """A bad configuration (org.apache.kafka.common.config.ConfigException): `ConfigException(name, value, msg)`
    reads "Invalid value <value> for configuration <name>: <msg>"."""

    def __init__(self, name: str, value: Any = None, message: str | None = None, *, plain: bool = False) -> None:
        if plain:
            text = name
        else:
            text = f"Invalid value {java_str(value)} for configuration {name}" + (f": {message}" if message is not None else "")
        super().__init__(text)
        self.name = name
        self.value = value

    @classmethod
    def of(cls, message: str) -> ConfigException:
        """Java's ConfigException(String message)."""
        return cls(message, plain=True)


class Type(enum.Enum):
    """ConfigDef.Type."""

    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"

    def __str__(self) -> str:
        return self.value


class Importance(enum.Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(enum.Enum):
    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT_VALUE"


NO_DEFAULT_VALUE: Any = _NoDefault()
"""The default of a required setting (Java's ConfigDef.NO_DEFAULT_VALUE)."""


class Password:
    """A secret: printed as [hidden] (Java's types.Password)."""

    HIDDEN = "[hidden]"

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return self.HIDDEN

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# -- validators


class Validator:
    """Checks a parsed value; raises ConfigException (Java's ConfigDef.Validator.ensureValid)."""

    def ensure_valid(self, name: str, value: Any) -> None:
        raise NotImplementedError

    def __str__(self) -> str:  # shown in the generated documentation ("Valid Values")
        return ""


class Range(Validator):
    """A number within [min, max]; either bound may be None."""

    def __init__(self, min: float | None, max: float | None) -> None:
        self.min = min
        self.max = max

    @staticmethod
    def at_least(min: float) -> Range:
        return Range(min, None)

    @staticmethod
    def between(min: float, max: float) -> Range:
        return Range(min, max)

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigException(name, None, "Value must be non-null")
        if self.min is not None and value < self.min:
            raise ConfigException(name, value, f"Value must be at least {java_str(self.min)}")
        if self.max is not None and value > self.max:
            raise ConfigException(name, value, f"Value must be no more than {java_str(self.max)}")

    def __str__(self) -> str:
        if self.min is None and self.max is None:
            return "[...]"
        if self.min is None:
            return f"[...,{self.max}]"
        if self.max is None:
            return f"[{self.min},...]"
        return f"[{self.min},...,{self.max}]"


class ValidString(Validator):
    """One of a fixed set of strings (case-sensitive)."""

    def __init__(self, valid: Sequence[str]) -> None:
        self.valid = list(valid)

    @staticmethod
    def in_(*valid: str) -> ValidString:
        return ValidString(valid)

    def ensure_valid(self, name: str, value: Any) -> None:
        if value not in self.valid:
            raise ConfigException(name, value, "String must be one of: " + ", ".join(self.valid))

    def __str__(self) -> str:
        return "[" + ", ".join(self.valid) + "]"


class CaseInsensitiveValidString(Validator):
    """One of a fixed set of strings, ignoring case."""

    def __init__(self, valid: Sequence[str]) -> None:
        self.valid = [v.upper() for v in valid]  # Java keeps (and prints) them upper-cased
        self._upper = set(self.valid)

    @staticmethod
    def in_(*valid: str) -> CaseInsensitiveValidString:
        return CaseInsensitiveValidString(valid)

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None or str(value).upper() not in self._upper:
            raise ConfigException(name, value, "String must be one of (case insensitive): " + ", ".join(self.valid))

    def __str__(self) -> str:
        return "(case insensitive) [" + ", ".join(self.valid) + "]"


class ValidList(Validator):
    """A list whose every element is one of a fixed set."""

    def __init__(self, valid: Sequence[str]) -> None:
        self.valid_string = ValidString(valid)

    @staticmethod
    def in_(*valid: str) -> ValidList:
        return ValidList(valid)

    def ensure_valid(self, name: str, value: Any) -> None:
        for element in value or ():
            self.valid_string.ensure_valid(name, element)

    def __str__(self) -> str:
        return str(self.valid_string)


class NonEmptyString(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        if value is not None and value == "":
            raise ConfigException(name, value, "String must be non-empty")

    def __str__(self) -> str:
        return "non-empty string"


class NonNullValidator(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigException(name, None, "Entry must be non null")

    def __str__(self) -> str:
        return "non-null string"


class CompositeValidator(Validator):
    """All of several validators, in order."""

    def __init__(self, validators: Sequence[Validator]) -> None:
        self.validators = list(validators)

    @staticmethod
    def of(*validators: Validator) -> CompositeValidator:
        return CompositeValidator(validators)

    def ensure_valid(self, name: str, value: Any) -> None:
        for v in self.validators:
            v.ensure_valid(name, value)

    def __str__(self) -> str:
        return ", ".join(str(v) for v in self.validators)


class LambdaValidator(Validator):
    """A validator from a function (Java's LambdaValidator.with)."""

    def __init__(self, check: Callable[[str, Any], None], description: Callable[[], str] = lambda: "") -> None:
        self._check = check
        self._description = description

    @staticmethod
    def with_(check: Callable[[str, Any], None], description: Callable[[], str] = lambda: "") -> LambdaValidator:
        return LambdaValidator(check, description)

    def ensure_valid(self, name: str, value: Any) -> None:
        self._check(name, value)

    def __str__(self) -> str:
        return self._description()


class Recommender:
    """Valid values and visibility of a setting given the others (Java's ConfigDef.Recommender)."""

    def valid_values(self, name: str, parsed_config: Mapping[str, Any]) -> list[Any]:
        return []

    def visible(self, name: str, parsed_config: Mapping[str, Any]) -> bool:
        return True


# -- the definition


@dataclass(slots=True)
class ConfigKey:
    """One defined setting."""

    name: str
    type: Type
    default_value: Any
    validator: Validator | None
    importance: Importance
    documentation: str
    group: str | None = None
    order_in_group: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: list[str] = field(default_factory=list)
    recommender: Recommender | None = None
    internal_config: bool = False

    def has_default(self) -> bool:
        return self.default_value is not NO_DEFAULT_VALUE


@dataclass(slots=True)
class ConfigValue:
    """One setting's outcome in `validate`: the value, recommended values, errors, visibility (REST's
    `{"value": {"name", "value", "recommended_values", "errors", "visible"}}`)."""

    name: str
    value: Any = None
    recommended_values: list[Any] = field(default_factory=list)
    error_messages: list[str] = field(default_factory=list)
    visible: bool = True

    def add_error_message(self, message: str) -> None:
        self.error_messages.append(message)


@dataclass(slots=True)
class Config:
    """The result of Connector.validate: one ConfigValue per setting."""

    config_values: list[ConfigValue]


_COMMA = re.compile(r"\s*,\s*")


class ConfigDef:
    """Declared settings; define() returns self for chaining, as Java."""

    def __init__(self, base: ConfigDef | None = None) -> None:
        self._keys: dict[str, ConfigKey] = dict(base._keys) if base is not None else {}
        self._groups: list[str] = list(base._groups) if base is not None else []

    def define(
        self,
        name: str,
        type: Type,
        default: Any = NO_DEFAULT_VALUE,
        importance: Importance = Importance.MEDIUM,
        documentation: str = "",
        validator: Validator | None = None,
        *,
        group: str | None = None,
        order_in_group: int = -1,
        width: Width = Width.NONE,
        display_name: str | None = None,
        dependents: Iterable[str] = (),
        recommender: Recommender | None = None,
        internal_config: bool = False,
    ) -> ConfigDef:
        """Declares a setting; the default is parsed and validated now, as Java's ConfigKey does."""
        if name in self._keys:
            raise ConfigException.of(f"Configuration {name} is defined twice.")
        if group is not None and group not in self._groups:
            self._groups.append(group)
        parsed_default = default if default is NO_DEFAULT_VALUE else ConfigDef.parse_type(name, default, type)
        if validator is not None and parsed_default is not NO_DEFAULT_VALUE:
            validator.ensure_valid(name, parsed_default)
        self._keys[name] = ConfigKey(
            name,
            type,
            parsed_default,
            validator,
            importance,
            documentation,
            group,
            order_in_group,
            width,
            display_name or name,
            list(dependents),
            recommender,
            internal_config,
        )
        return self

    def define_internal(self, name: str, type: Type, default: Any, importance: Importance) -> ConfigDef:
        return self.define(name, type, default, importance, "", internal_config=True)

    def define_key(self, key: ConfigKey) -> ConfigDef:
        if key.name in self._keys:
            raise ConfigException.of(f"Configuration {key.name} is defined twice.")
        self._keys[key.name] = key
        return self

    def config_keys(self) -> dict[str, ConfigKey]:
        return dict(self._keys)

    def names(self) -> set[str]:
        return set(self._keys)

    def groups(self) -> list[str]:
        return list(self._groups)

    def default_values(self) -> dict[str, Any]:
        return {k.name: k.default_value for k in self._keys.values() if k.has_default()}

    def embed(self, key_prefix: str, group_prefix: str, start_order: int, child: ConfigDef) -> ConfigDef:
        """Adds the child's settings under a prefix (Java's embed, used for `transforms.<alias>.` settings)."""
        for i, key in enumerate(child._keys.values()):
            self.define_key(
                ConfigKey(
                    key_prefix + key.name,
                    key.type,
                    key.default_value,
                    _PrefixedValidator(key_prefix, key.validator) if key.validator is not None else None,
                    key.importance,
                    key.documentation,
                    group_prefix + (": " + key.group if key.group else ""),
                    start_order + i,
                    key.width,
                    key.display_name,
                    [key_prefix + d for d in key.dependents],
                    None,
                    key.internal_config,
                )
            )
        return self

    # -- parsing

    @staticmethod
    def parse_type(name: str, value: Any, type: Type) -> Any:
        """A raw value (string or already typed) as `type`; ConfigException with Kafka's messages."""
        if value is None:
            return None
        trimmed = value.strip() if isinstance(value, str) else value
        if type is Type.BOOLEAN:
            if isinstance(value, str):
                if trimmed.lower() == "true":
                    return True
                if trimmed.lower() == "false":
                    return False
                raise ConfigException(name, value, "Expected value to be either true or false")
            if isinstance(value, bool):
                return value
            raise ConfigException(name, value, "Expected value to be either true or false")
        if type is Type.PASSWORD:
            if isinstance(value, Password):
                return value
            if isinstance(value, str):
                return Password(trimmed)
            raise ConfigException(name, value, "Expected value to be a string, but it was a " + _java_class(value))
        if type is Type.STRING:
            if isinstance(value, str):
                return trimmed
            raise ConfigException(name, value, "Expected value to be a string, but it was a " + _java_class(value))
        if type in (Type.INT, Type.SHORT, Type.LONG):
            bits = {Type.INT: 32, Type.SHORT: 16, Type.LONG: 64}[type]
            what = {Type.INT: "a 32-bit integer", Type.SHORT: "a 16-bit integer", Type.LONG: "a 64-bit integer"}[type]
            if isinstance(value, bool):
                raise ConfigException(name, value, f"Expected value to be {what}, but it was a {_java_class(value)}")
            if isinstance(value, int):
                number = value
            elif isinstance(value, str):
                try:
                    if not re.fullmatch(r"[+-]?\d+", trimmed):
                        raise ValueError(trimmed)
                    number = int(trimmed)
                except ValueError:
                    raise ConfigException(name, value, f"Not a number of type {type}") from None
            else:
                raise ConfigException(name, value, f"Expected value to be {what}, but it was a {_java_class(value)}")
            if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
                raise ConfigException(name, value, f"Not a number of type {type}")
            return number
        if type is Type.DOUBLE:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(trimmed)
                except ValueError:
                    raise ConfigException(name, value, f"Not a number of type {type}") from None
            raise ConfigException(name, value, "Expected value to be a double, but it was a " + _java_class(value))
        if type is Type.LIST:
            if isinstance(value, (list, tuple)):
                return list(value)
            if isinstance(value, str):
                return [] if trimmed == "" else _COMMA.split(trimmed)
            raise ConfigException(name, value, "Expected a comma separated list.")
        if type is Type.CLASS:
            # kept as the class name (or the class itself): the plugin registry resolves Java names, aliases and
            # Python paths when the class is needed
            return trimmed
        raise ConfigException(name, value, f"Unknown type {type}")

    @staticmethod
    def convert_to_string(parsed_value: Any, type: Type | None) -> str | None:
        """A parsed value as text, as Java's ConfigDef.convertToString (the REST API's `default_value` and
        `value`): lists comma-joined, passwords [hidden], booleans true/false, doubles as Java prints them."""
        if parsed_value is None:
            return None
        if type is Type.LIST and isinstance(parsed_value, (list, tuple)):
            return ",".join(java_str(v) for v in parsed_value)
        if isinstance(parsed_value, float):
            return java_double_to_string(parsed_value)
        if isinstance(parsed_value, builtins.type):
            return f"{parsed_value.__module__}.{parsed_value.__qualname__}"
        return java_str(parsed_value)

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values of all defined settings (defaults for the missing ones); ConfigException on the first
        missing required or invalid setting."""
        return {key.name: self._parse_value(key, props.get(key.name), key.name in props) for key in self._keys.values()}

    def _parse_value(self, key: ConfigKey, value: Any, is_set: bool) -> Any:
        if is_set:
            parsed = ConfigDef.parse_type(key.name, value, key.type)
        elif not key.has_default():
            raise ConfigException.of(f'Missing required configuration "{key.name}" which has no default value.')
        else:
            parsed = key.default_value
        if key.validator is not None:
            key.validator.ensure_valid(key.name, parsed)
        return parsed

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        """Every defined setting's ConfigValue with its errors, never raising (Java's ConfigDef.validate: a
        value that does not parse is null and its validator still runs, so both messages are reported)."""
        values = {name: ConfigValue(name) for name in self._keys}
        parsed: dict[str, Any] = {}
        for key in self._keys.values():
            cv = values[key.name]
            value: Any = None
            if key.name in props:
                try:
                    value = ConfigDef.parse_type(key.name, props[key.name], key.type)
                except ConfigException as e:
                    cv.add_error_message(str(e))
            elif not key.has_default():
                cv.add_error_message(f'Missing required configuration "{key.name}" which has no default value.')
            else:
                value = key.default_value
            if key.validator is not None:
                try:
                    key.validator.ensure_valid(key.name, value)
                except ConfigException as e:
                    cv.add_error_message(str(e))
            cv.value = value
            parsed[key.name] = value
        for key in self._keys.values():
            if key.recommender is not None:
                cv = values[key.name]
                try:
                    cv.recommended_values = list(key.recommender.valid_values(key.name, parsed))
                    cv.visible = key.recommender.visible(key.name, parsed)
                except ConfigException as e:
                    cv.add_error_message(str(e))
        return list(values.values())


class _PrefixedValidator(Validator):
    def __init__(self, prefix: str, inner: Validator) -> None:
        self.prefix = prefix
        self.inner = inner

    def ensure_valid(self, name: str, value: Any) -> None:
        self.inner.ensure_valid(name[len(self.prefix) :] if name.startswith(self.prefix) else name, value)

    def __str__(self) -> str:
        return str(self.inner)


def _java_class(value: Any) -> str:
    return {
        str: "java.lang.String",
        bool: "java.lang.Boolean",
        int: "java.lang.Integer",
        float: "java.lang.Double",
        list: "java.util.List",
    }.get(type(value), type(value).__name__)


class AbstractConfig:
    """Parsed settings with typed getters (Java's AbstractConfig): connectors parse their props with it."""

    def __init__(self, definition: ConfigDef, originals: Mapping[str, Any]) -> None:
        self.definition = definition
        self._originals = dict(originals)
        self._values = definition.parse(originals)

    def get(self, key: str) -> Any:
        if key not in self._values:
            raise ConfigException.of(f"Unknown configuration '{key}'")
        return self._values[key]

    def get_string(self, key: str) -> str | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_int(self, key: str) -> int | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_short(self, key: str) -> int | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_long(self, key: str) -> int | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_double(self, key: str) -> float | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_boolean(self, key: str) -> bool | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_list(self, key: str) -> list[str] | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_password(self, key: str) -> Password | None:
        return self.get(key)  # type: ignore[no-any-return]

    def get_class(self, key: str) -> Any:
        return self.get(key)

    def originals(self) -> dict[str, Any]:
        return dict(self._originals)

    def originals_strings(self) -> dict[str, str]:
        return {k: str(v) for k, v in self._originals.items()}

    def originals_with_prefix(self, prefix: str, strip: bool = True) -> dict[str, Any]:
        return {(k[len(prefix) :] if strip else k): v for k, v in self._originals.items() if k.startswith(prefix)}

    def values(self) -> dict[str, Any]:
        return dict(self._values)
