"""The transformation chain of a connector: ``transforms=a,b`` with ``transforms.<alias>.type`` and the
transform's own keys under ``transforms.<alias>.``; ``transforms.<alias>.predicate`` / ``.negate`` gate a stage on
a predicate declared as ``predicates=p`` with ``predicates.<p>.type`` and its keys under ``predicates.<p>.``.

Kafka's ConnectorConfig.transformationStages and TransformationChain, so a connector config written for Kafka
Connect builds the same stages, in the same order, with the same errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Generic, TypeVar

from strom.connect.api import ConfigDef, ConfigException, ConnectException, ConnectRecord, Predicate, Transformation
from strom.connect.config import Type as ConfigType
from strom.connect.transforms.registry import resolve_predicate, resolve_transformation

__all__ = ["StageExecutor", "TransformationChain", "TransformationStage", "parse_alias_list"]

log = logging.getLogger("org.apache.kafka.connect.runtime.TransformationChain")

TRANSFORMS_CONFIG = "transforms"
PREDICATES_CONFIG = "predicates"
PREDICATE_CONFIG = "predicate"
NEGATE_CONFIG = "negate"

R = TypeVar("R", bound=ConnectRecord)

StageExecutor = Callable[[Callable[[], R | None], "Transformation[Any]"], R | None]
"""How the worker runs one stage: ``execute(run, transformation) -> record or None``."""


def parse_alias_list(name: str, value: Any) -> list[str]:
    """A LIST config as Kafka's ConfigDef parses it; duplicate aliases are refused as ConnectorConfig does."""
    aliases = ConfigDef.parse_type(name, value, ConfigType.LIST) or []
    if len(aliases) != len(set(aliases)):
        raise ConfigException(name, aliases, "Duplicate alias provided.")
    return [str(alias) for alias in aliases]


class TransformationStage(Generic[R]):
    """One transformation, applied only when its predicate (if any) matches, or does not match when negated."""

    def __init__(
        self,
        alias: str,
        transformation: Transformation[Any],
        predicate: Predicate[Any] | None = None,
        negate: bool = False,
    ) -> None:
        self.alias = alias
        self.transformation = transformation
        self.predicate = predicate
        self.negate = negate

    def apply(self, record: R) -> R | None:
        if self.predicate is None or self.negate ^ self.predicate.test(record):
            result: R | None = self.transformation.apply(record)
            return result
        return record

    def close(self) -> None:
        try:
            self.transformation.close()
        finally:
            if self.predicate is not None:
                self.predicate.close()

    def __repr__(self) -> str:
        return (
            f"TransformationStage(alias={self.alias!r}, transformation={type(self.transformation).__qualname__}, "
            f"predicate={type(self.predicate).__qualname__ if self.predicate else None}, negate={self.negate})"
        )


class TransformationChain(Generic[R]):
    """The stages of one connector in config order; a stage returning None drops the record (later stages do
    not see it). The runtime wraps ``stage.apply`` in its error handling when it wants per-stage retries."""

    def __init__(self, stages: list[TransformationStage[R]]) -> None:
        self.stages = stages

    @classmethod
    def from_config(
        cls,
        connector_props: Mapping[str, str],
        resolve_transform: Callable[[str], type[Transformation[Any]]] = resolve_transformation,
        resolve_pred: Callable[[str], type[Predicate[Any]]] = resolve_predicate,
    ) -> TransformationChain[R]:
        """Build and configure every stage; a bad config raises ConnectException with Kafka's ConfigException
        text as its cause, and the stages already built are closed."""
        stages: list[TransformationStage[R]] = []
        try:
            aliases = parse_alias_list(TRANSFORMS_CONFIG, connector_props.get(TRANSFORMS_CONFIG))
            predicate_aliases = parse_alias_list(PREDICATES_CONFIG, connector_props.get(PREDICATES_CONFIG))
            for alias in aliases:
                stages.append(_build_stage(connector_props, alias, predicate_aliases, resolve_transform, resolve_pred))
        except Exception as e:
            for stage in stages:
                stage.close()
            if isinstance(e, ConnectException):
                raise
            raise ConnectException(str(e)) from e
        return cls(stages)

    def apply(self, record: R, execute: StageExecutor[R] | None = None) -> R | None:
        """Runs the stages in order. ``execute(run, transformation)``, when given, runs each stage (``run()``)
        for the worker, as Kafka's RetryWithToleranceOperator does per transformation: it may retry, or return
        None to skip the record after a tolerated failure; errors then name the failing transformation."""
        current: R | None = record
        for stage in self.stages:
            if execute is None:
                current = stage.apply(current)  # type: ignore[arg-type]
            else:
                current = execute(partial(stage.apply, current), stage.transformation)  # type: ignore[arg-type]
            if current is None:
                log.debug("Record dropped by transformation %s", stage.alias)
                return None
        return current

    def close(self) -> None:
        for stage in self.stages:
            try:
                stage.close()
            except Exception:
                log.warning("Error closing transformation %s", stage.alias, exc_info=True)

    def __len__(self) -> int:
        return len(self.stages)

    def __repr__(self) -> str:
        return f"TransformationChain({self.stages!r})"


def originals_with_prefix(props: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {key[len(prefix) :]: value for key, value in props.items() if key.startswith(prefix)}


def _build_stage(
    props: Mapping[str, str],
    alias: str,
    predicate_aliases: list[str],
    resolve_transform: Callable[[str], type[Transformation[Any]]],
    resolve_pred: Callable[[str], type[Predicate[Any]]],
) -> TransformationStage[R]:
    prefix = f"{TRANSFORMS_CONFIG}.{alias}."
    type_key = prefix + "type"
    if type_key not in props:
        raise ConfigException.of(f'Missing required configuration "{type_key}" which has no default value.')
    transform_class = resolve_transform_class(type_key, props[type_key], resolve_transform)
    configs = originals_with_prefix(props, prefix)
    predicate_alias = configs.pop(PREDICATE_CONFIG, None)
    negate_text = configs.pop(NEGATE_CONFIG, None)
    if negate_text is not None and predicate_alias is None:
        raise ConfigException.of(
            f"Config '{prefix}{NEGATE_CONFIG}' was provided but there is no config "
            f"'{prefix}{PREDICATE_CONFIG}' defining a predicate to be negated."
        )
    negate = bool(ConfigDef.parse_type(prefix + NEGATE_CONFIG, negate_text, ConfigType.BOOLEAN))
    predicate: Predicate[Any] | None = None
    if predicate_alias:
        predicate_prefix = f"{PREDICATES_CONFIG}.{predicate_alias}."
        predicate_type_key = predicate_prefix + "type"
        if predicate_alias not in predicate_aliases:
            # Kafka defines predicates.<alias>.* only for the aliases listed in `predicates`
            raise ConfigException.of(f"Unknown configuration '{predicate_type_key}'")
        if predicate_type_key not in props:
            raise ConfigException.of(f'Missing required configuration "{predicate_type_key}" which has no default value.')
        predicate_class = resolve_predicate_class(predicate_type_key, props[predicate_type_key], resolve_pred)
        predicate = predicate_class()
        predicate.configure(originals_with_prefix(props, predicate_prefix))
    transformation = transform_class()
    try:
        transformation.configure(configs)
    except Exception:
        if predicate is not None:
            predicate.close()
        raise
    return TransformationStage(alias, transformation, predicate, negate)


def resolve_transform_class(
    key: str, name: str, resolve: Callable[[str], type[Transformation[Any]]] = resolve_transformation
) -> type[Transformation[Any]]:
    return _resolve_class(key, name, resolve, Transformation, "Transformation")


def resolve_predicate_class(
    key: str, name: str, resolve: Callable[[str], type[Predicate[Any]]] = resolve_predicate
) -> type[Predicate[Any]]:
    return _resolve_class(key, name, resolve, Predicate, "Predicate")


T = TypeVar("T")


def _resolve_class(key: str, name: str, resolve: Callable[[str], type[T]], base: type, kind: str) -> type[T]:
    try:
        cls = resolve(name.strip())
    except LookupError:
        raise ConfigException(key, name, f"Class {name.strip()} could not be found.") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigException(key, name, f"Not a {kind}")
    variants: tuple[type, ...] = tuple(cls.__dict__.get("VARIANTS", ()))
    if variants:
        names = ", ".join(getattr(v, "JAVA_NAME", f"{v.__module__}.{v.__qualname__}") for v in variants)
        raise ConfigException(key, name, f"{kind} is abstract and cannot be created. Did you mean {names}?")
    return cls
