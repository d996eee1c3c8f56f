"""The connector ConfigDef extended with the settings of its transforms and predicates (Kafka's
ConnectorConfig.enrich), so ``PUT /connector-plugins/{plugin}/config/validate`` reports each transform key on its
own -- ``transforms.<alias>.type`` ("Class ... could not be found.", "Not a Transformation", "... is abstract"),
``transforms.<alias>.predicate`` / ``.negate``, and every key the transform defines, embedded under
``transforms.<alias>.`` in the group "Transforms: <alias>" -- and likewise for ``predicates.<alias>.``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, Predicate, Transformation
from strom.connect.config import NO_DEFAULT_VALUE, Importance, LambdaValidator, Type, Width
from strom.connect.transforms.chain import (
    NEGATE_CONFIG,
    PREDICATE_CONFIG,
    PREDICATES_CONFIG,
    TRANSFORMS_CONFIG,
    resolve_predicate_class,
    resolve_transform_class,
)
from strom.connect.transforms.registry import resolve_predicate, resolve_transformation

__all__ = ["PREDICATES_GROUP", "TRANSFORMS_GROUP", "enrich"]

log = logging.getLogger("org.apache.kafka.connect.runtime.ConnectorConfig")

TRANSFORMS_GROUP = "Transforms"
PREDICATES_GROUP = "Predicates"


def enrich(
    base: ConfigDef,
    props: Mapping[str, str],
    require_full_config: bool = False,
    resolve_transform: Callable[[str], type[Transformation[Any]]] = resolve_transformation,
    resolve_pred: Callable[[str], type[Predicate[Any]]] = resolve_predicate,
) -> ConfigDef:
    """A copy of ``base`` with the transform and predicate settings ``props`` declares. With
    ``require_full_config`` a transform class that cannot be loaded raises ConfigException; without (the
    validate path), its own settings are left out and its ``type`` key carries the error."""
    enriched = ConfigDef(base)
    _enrich_kind(
        enriched, props, TRANSFORMS_CONFIG, TRANSFORMS_GROUP, "Transformation", require_full_config,
        lambda key, name: resolve_transform_class(key, name, resolve_transform),
    )  # fmt: skip
    _enrich_kind(
        enriched, props, PREDICATES_CONFIG, PREDICATES_GROUP, "Predicate", require_full_config,
        lambda key, name: resolve_predicate_class(key, name, resolve_pred),
    )  # fmt: skip
    return enriched


def _implicit_transform_settings() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            PREDICATE_CONFIG,
            Type.STRING,
            "",
            Importance.MEDIUM,
            "The alias of a predicate used to determine whether to apply this transformation.",
        )
        .define(NEGATE_CONFIG, Type.BOOLEAN, False, Importance.MEDIUM, "Whether the configured predicate should be negated.")
    )


def _enrich_kind(
    enriched: ConfigDef,
    props: Mapping[str, str],
    alias_config: str,
    alias_group: str,
    kind: str,
    require_full_config: bool,
    load: Callable[[str, str], type[Any]],
) -> None:
    try:
        aliases = ConfigDef.parse_type(alias_config, props.get(alias_config), Type.LIST)
    except ConfigException:
        return
    if not isinstance(aliases, list):
        return
    for alias in dict.fromkeys(aliases):  # unique, in order
        prefix = f"{alias_config}.{alias}."
        group = f"{alias_group}: {alias}"
        type_key = prefix + "type"

        def check(name: str, value: Any, prefix: str = prefix, type_key: str = type_key) -> None:
            if kind == "Transformation" and prefix + NEGATE_CONFIG in props and prefix + PREDICATE_CONFIG not in props:
                raise ConfigException.of(
                    f"Config '{prefix}{NEGATE_CONFIG}' was provided but there is no config "
                    f"'{prefix}{PREDICATE_CONFIG}' defining a predicate to be negated."
                )
            if value is not None:
                _config_def_of(load(type_key, str(value)), type_key, str(value))

        enriched.define(
            type_key,
            Type.CLASS,
            NO_DEFAULT_VALUE,
            Importance.HIGH,
            f"Class for the '{alias}' {kind.lower()}.",
            LambdaValidator.with_(check, _description(f"valid configs for {alias} {kind.lower()}")),
            group=group,
            order_in_group=0,
            width=Width.LONG,
            display_name=f"{kind} type for {alias}",
        )
        child = _implicit_transform_settings() if kind == "Transformation" else ConfigDef()
        try:
            name = props.get(type_key)
            if name is None:
                raise ConfigException.of(f'Missing required configuration "{type_key}" which has no default value.')
            for key_name, key in _config_def_of(load(type_key, name), type_key, name).config_keys().items():
                if kind == "Transformation" and key_name in (PREDICATE_CONFIG, NEGATE_CONFIG):
                    log.warning("Transformer config %s is masked by implicit config of that name", key_name)
                    continue
                child.define_key(key)
        except ConfigException:
            if require_full_config:
                raise
            continue
        enriched.embed(prefix, group, 1, child)


def _description(text: str) -> Callable[[], str]:
    return lambda: text


def _config_def_of(cls: type[Any], key: str, name: str) -> ConfigDef:
    try:
        instance = cls()
    except Exception as e:
        raise ConfigException(key, name, f"Error getting config definition from {cls.__name__}: {e}") from None
    config_def = instance.config()
    if config_def is None:
        raise ConfigException.of(f"{cls.__qualname__}.config() must return a ConfigDef that is not null.")
    assert isinstance(config_def, ConfigDef)
    return config_def
