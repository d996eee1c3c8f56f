"""The framework's connector settings (Java's ConnectorConfig / SourceConnectorConfig / SinkConnectorConfig) and
the validation behind PUT /connector-plugins/{plugin}/config/validate and every connector create or update.

validate_connector_config() is what both herders call: the framework keys (name, connector.class, tasks.max,
converters, transforms, errors.*, topics for sinks) in Kafka's groups, then the connector's own ConfigDef and
its validate(), as one ConfigInfos with Kafka's error texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.connect.api import Connector, SinkConnector, SourceConnector
from strom.connect.config import (
    NO_DEFAULT_VALUE,
    ConfigDef,
    ConfigException,
    ConfigKey,
    ConfigValue,
    Importance,
    LambdaValidator,
    Range,
    Type,
    ValidString,
    Width,
    java_str,
)
from strom.connect.errors import ConnectException
from strom.connect.plugins import Plugins, PluginType
from strom.connect.rest.entities import ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, ConnectorType
from strom.connect.rest.errors import BadRequestException
from strom.connect.runtime.config_providers import ConfigTransformer

COMMON_GROUP = "Common"
TRANSFORMS_GROUP = "Transforms"
PREDICATES_GROUP = "Predicates"
ERROR_GROUP = "Error Handling"
TOPIC_CREATION_GROUP = "Topic Creation"

NAME_CONFIG = "name"
CONNECTOR_CLASS_CONFIG = "connector.class"
TASKS_MAX_CONFIG = "tasks.max"
TOPICS_CONFIG = "topics"
TOPICS_REGEX_CONFIG = "topics.regex"
DLQ_TOPIC_NAME_CONFIG = "errors.deadletterqueue.topic.name"


def _name_check(name: str, value: Any) -> None:
    """Kafka's NonEmptyStringWithoutControlChars for connector names."""
    if value is None:
        return  # reported as missing
    if str(value).strip() == "":
        raise ConfigException(name, value, "String may not be empty")
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in str(value)):
        raise ConfigException(name, value, "String may not contain control sequences but had the following ASCII chars: ")


def connector_config_def() -> ConfigDef:
    """The keys every connector has, with Kafka's defaults and groups."""
    d = ConfigDef()
    o = iter(range(1, 100))
    d.define(
        NAME_CONFIG,
        Type.STRING,
        NO_DEFAULT_VALUE,
        Importance.HIGH,
        "Globally unique name to use for this connector.",
        LambdaValidator.with_(_name_check, lambda: "non-empty string without ISO control characters"),
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.MEDIUM,
        display_name="Connector name",
    )
    d.define(
        CONNECTOR_CLASS_CONFIG,
        Type.STRING,
        NO_DEFAULT_VALUE,
        Importance.HIGH,
        "Name or alias of the class for this connector (Kafka's Java name, its alias, or a Python path).",
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.LONG,
        display_name="Connector class",
    )
    d.define(
        TASKS_MAX_CONFIG,
        Type.INT,
        1,
        Importance.HIGH,
        "Maximum number of tasks to use for this connector.",
        Range.at_least(1),
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.SHORT,
        display_name="Tasks max",
    )
    d.define(
        "tasks.max.enforce",
        Type.BOOLEAN,
        True,
        Importance.LOW,
        "(Deprecated) Whether to enforce that the tasks.max property is respected.",
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.SHORT,
        display_name="Enforce tasks max",
    )
    for key, display in (
        ("key.converter", "Key converter class"),
        ("value.converter", "Value converter class"),
        ("header.converter", "Header converter class"),
    ):
        d.define(
            key,
            Type.CLASS,
            None,
            Importance.LOW,
            f"{display}; overrides the worker's.",
            group=COMMON_GROUP,
            order_in_group=next(o),
            width=Width.SHORT,
            display_name=display,
        )
    d.define(
        "transforms",
        Type.LIST,
        "",
        Importance.LOW,
        "Aliases for the transformations to be applied to records.",
        group=TRANSFORMS_GROUP,
        order_in_group=next(o),
        width=Width.LONG,
        display_name="Transforms",
    )
    d.define(
        "predicates",
        Type.LIST,
        "",
        Importance.LOW,
        "Aliases for the predicates used by transformations.",
        group=PREDICATES_GROUP,
        order_in_group=next(o),
        width=Width.LONG,
        display_name="Predicates",
    )
    d.define(
        "config.action.reload",
        Type.STRING,
        "restart",
        Importance.LOW,
        "What to do when an externalized config provider's value changes: none or restart.",
        ValidString.in_("none", "restart"),
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.MEDIUM,
        display_name="Reload Action",
    )
    e = iter(range(1, 100))
    d.define(
        "errors.retry.timeout",
        Type.LONG,
        0,
        Importance.MEDIUM,
        "The maximum duration in milliseconds that a failed operation will be reattempted. 0: no retries, -1: infinite.",
        group=ERROR_GROUP,
        order_in_group=next(e),
        width=Width.MEDIUM,
        display_name="Retry Timeout for Errors",
    )
    d.define(
        "errors.retry.delay.max.ms",
        Type.LONG,
        60000,
        Importance.MEDIUM,
        "The maximum duration in milliseconds between consecutive retry attempts.",
        group=ERROR_GROUP,
        order_in_group=next(e),
        width=Width.MEDIUM,
        display_name="Maximum Delay Between Retries for Errors",
    )
    d.define(
        "errors.tolerance",
        Type.STRING,
        "none",
        Importance.MEDIUM,
        "Behavior for tolerating errors during connector operation: 'none' fails the task, 'all' skips problematic records.",
        ValidString.in_("none", "all"),
        group=ERROR_GROUP,
        order_in_group=next(e),
        width=Width.SHORT,
        display_name="Error Tolerance",
    )
    d.define(
        "errors.log.enable",
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Log each error and the details of the failed operation.",
        group=ERROR_GROUP,
        order_in_group=next(e),
        width=Width.SHORT,
        display_name="Log Errors",
    )
    d.define(
        "errors.log.include.messages",
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Include the failed records in the log.",
        group=ERROR_GROUP,
        order_in_group=next(e),
        width=Width.SHORT,
        display_name="Log Error Details",
    )
    return d


def sink_config_def() -> ConfigDef:
    d = ConfigDef(connector_config_def())
    d.define(
        TOPICS_CONFIG,
        Type.LIST,
        "",
        Importance.HIGH,
        "List of topics to consume, separated by commas",
        group=COMMON_GROUP,
        order_in_group=4,
        width=Width.LONG,
        display_name="Topics",
    )
    d.define(
        TOPICS_REGEX_CONFIG,
        Type.STRING,
        "",
        Importance.HIGH,
        "Regular expression giving topics to consume. Only one of topics or topics.regex should be specified.",
        group=COMMON_GROUP,
        order_in_group=4,
        width=Width.LONG,
        display_name="Topics regex",
    )
    d.define(
        DLQ_TOPIC_NAME_CONFIG,
        Type.STRING,
        "",
        Importance.MEDIUM,
        "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed "
        "by this sink connector.",
        group=ERROR_GROUP,
        order_in_group=6,
        width=Width.MEDIUM,
        display_name="Dead Letter Queue Topic Name",
    )
    d.define(
        "errors.deadletterqueue.topic.replication.factor",
        Type.SHORT,
        3,
        Importance.MEDIUM,
        "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
        group=ERROR_GROUP,
        order_in_group=7,
        width=Width.MEDIUM,
        display_name="Dead Letter Queue Topic Replication Factor",
    )
    d.define(
        "errors.deadletterqueue.context.headers.enable",
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "If true, add headers containing error context to the messages written to the dead letter queue.",
        group=ERROR_GROUP,
        order_in_group=8,
        width=Width.MEDIUM,
        display_name="Enable Error Context Headers",
    )
    return d


def source_config_def() -> ConfigDef:
    d = ConfigDef(connector_config_def())
    d.define(
        "topic.creation.groups",
        Type.LIST,
        "",
        Importance.LOW,
        "Groups of configurations for topics created by source connectors",
        group=TOPIC_CREATION_GROUP,
        order_in_group=1,
        width=Width.LONG,
        display_name="Topic Creation Groups",
    )
    d.define(
        "exactly.once.support",
        Type.STRING,
        "requested",
        Importance.MEDIUM,
        "Permitted values are requested, required. If set to required, forces a preflight check for the connector to ensure "
        "that it can provide exactly-once semantics with the given configuration.",
        ValidString.in_("requested", "required"),
        group="Exactly Once Support",
        order_in_group=2,
        width=Width.SHORT,
        display_name="Exactly once support",
    )
    d.define(
        "transaction.boundary",
        Type.STRING,
        "poll",
        Importance.MEDIUM,
        "Permitted values are: poll, interval, connector. With exactly-once source delivery, where the worker ends the task's "
        "transactions: after each poll() batch, every transaction.boundary.interval.ms, or where the connector says.",
        ValidString.in_("poll", "interval", "connector"),
        group="Exactly Once Support",
        order_in_group=3,
        width=Width.SHORT,
        display_name="Transaction Boundary",
    )
    d.define(
        "transaction.boundary.interval.ms",
        Type.LONG,
        None,
        Importance.LOW,
        "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits.",
        group="Exactly Once Support",
        order_in_group=4,
        width=Width.SHORT,
        display_name="Transaction boundary interval",
    )
    d.define(
        "offsets.storage.topic",
        Type.STRING,
        None,
        Importance.LOW,
        "The name of a separate offsets topic to use for this connector.",
        group="offsets.topic",
        order_in_group=1,
        width=Width.LONG,
        display_name="Offsets topic",
    )
    return d


def connector_type(connector: Connector | type[Connector]) -> ConnectorType:
    cls = connector if isinstance(connector, type) else type(connector)
    if issubclass(cls, SourceConnector):
        return ConnectorType.SOURCE
    if issubclass(cls, SinkConnector):
        return ConnectorType.SINK
    return ConnectorType.UNKNOWN


def _key_info(key: ConfigKey) -> ConfigKeyInfo:
    default = None if not key.has_default() else (None if key.default_value is None else _text(key.default_value))
    return ConfigKeyInfo(
        key.name,
        key.type.value,
        not key.has_default(),
        default,
        key.importance.value,
        key.documentation,
        key.group,
        key.order_in_group,
        key.width.value,
        key.display_name or key.name,
        list(key.dependents),
    )


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return java_str(value)


def _value_info(cv: ConfigValue) -> ConfigValueInfo:
    value = None if cv.value is None else _text(cv.value)
    return ConfigValueInfo(cv.name, value, [_text(v) for v in cv.recommended_values], list(cv.error_messages), cv.visible)


def config_key_infos(definition: ConfigDef) -> list[dict[str, object]]:
    """GET /connector-plugins/{plugin}/config: every key of a plugin's ConfigDef as ConfigKeyInfo JSON."""
    return [_key_info(k).to_json() for k in definition.config_keys().values() if not k.internal_config]


def plugin_config_keys(cls: type) -> list[dict[str, object]]:
    """GET /connector-plugins/{plugin}/config: the plugin's own keys, then for a connector the framework's."""
    keys = config_key_infos(cls().config())
    if issubclass(cls, SinkConnector):
        keys += config_key_infos(sink_config_def())
    elif issubclass(cls, SourceConnector):
        keys += config_key_infos(source_config_def())
    return keys


def _exactly_once_checks(connector: Connector, props: Mapping[str, str], values: dict[str, ConfigValue]) -> None:
    """KIP-618's preflight checks of a source connector on a worker with exactly-once support enabled."""
    from strom.connect.api import ConnectorTransactionBoundaries, ExactlyOnceSupport

    assert isinstance(connector, SourceConnector)
    if (props.get("exactly.once.support") or "requested").strip().lower() == "required":
        support = connector.exactly_once_support(props)
        if support is None:
            values["exactly.once.support"].add_error_message(
                "The connector does not implement the API required for preflight validation of exactly-once source support. "
                "Please consult the documentation for the connector to determine whether it supports exactly-once guarantees, "
                'and then consider reconfiguring the connector to use the value "requested" for this property (which will still '
                "permit the connector to be created successfully)."
            )
        elif support is not ExactlyOnceSupport.SUPPORTED:
            values["exactly.once.support"].add_error_message(
                "The connector does not support exactly-once semantics with the provided configuration."
            )
    if (props.get("transaction.boundary") or "poll").strip().lower() == "connector":
        if connector.can_define_transaction_boundaries(props) is not ConnectorTransactionBoundaries.SUPPORTED:
            values["transaction.boundary"].add_error_message(
                "The connector does not support connector-defined transaction boundaries with the given configuration. "
                "Please reconfigure it to use a different transaction boundary definition."
            )


def _sink_checks(config: Mapping[str, str], values: dict[str, ConfigValue]) -> None:
    topics = [t.strip() for t in (config.get(TOPICS_CONFIG) or "").split(",") if t.strip()]
    regex = (config.get(TOPICS_REGEX_CONFIG) or "").strip()
    if topics and regex:
        msg = f"{TOPICS_CONFIG} and {TOPICS_REGEX_CONFIG} are mutually exclusive options, but both are set."
        values[TOPICS_CONFIG].add_error_message(msg)
        values[TOPICS_REGEX_CONFIG].add_error_message(msg)
    elif not topics and not regex:
        msg = f"Must configure one of {TOPICS_CONFIG} or {TOPICS_REGEX_CONFIG}"
        values[TOPICS_CONFIG].add_error_message(msg)
        values[TOPICS_REGEX_CONFIG].add_error_message(msg)
    if regex:
        import re

        try:
            re.compile(regex)
        except re.error as exc:
            values[TOPICS_REGEX_CONFIG].add_error_message(f"Invalid value {regex} for configuration {TOPICS_REGEX_CONFIG}: {exc}")
    dlq = (config.get(DLQ_TOPIC_NAME_CONFIG) or "").strip()
    if dlq and dlq in topics:
        values[TOPICS_CONFIG].add_error_message(
            f"The DLQ topic '{dlq}' may not be included in the list of topics ('{TOPICS_CONFIG}=[{', '.join(topics)}]') "
            "consumed by the connector"
        )


def _alias_infos(plugins: Plugins, props: Mapping[str, str], transforms: bool) -> tuple[list[str], list[ConfigInfo]]:
    """Kafka's enriched validation of `transforms.<alias>.*` / `predicates.<alias>.*`: a group per alias with its
    `type` (recommended: every installed transformation/predicate), then the plugin's own keys (and for a
    transform `negate` and `predicate`), sorted by name, validated against the prefixed settings."""
    from strom.connect.transforms.chain import parse_alias_list
    from strom.connect.transforms.registry import resolve_predicate, resolve_transformation

    word, label, title = ("transforms", "transformation", "Transformation") if transforms else ("predicates", "predicate", "Predicate")
    try:
        aliases = parse_alias_list(word, props.get(word))
    except ConfigException:
        return [], []  # reported on the list itself
    kind = PluginType.TRANSFORMATION if transforms else PluginType.PREDICATE
    recommended = sorted({p.class_name for p in plugins.all_plugins() if p.type is kind})
    groups: list[str] = []
    infos: list[ConfigInfo] = []
    for alias in aliases:
        group = f"{'Transforms' if transforms else 'Predicates'}: {alias}"
        groups.append(group)
        prefix = f"{word}.{alias}."
        type_key = prefix + "type"
        key = ConfigKey(type_key, Type.CLASS, NO_DEFAULT_VALUE, None, Importance.HIGH, f"Class for the '{alias}' {label}.", group, 0)
        key.width, key.display_name = Width.LONG, f"{title} type for {alias}"
        value = props.get(type_key)
        cv = ConfigValue(type_key, value, list(recommended))
        cls: Any = None
        if value is None:
            cv.add_error_message(f'Missing required configuration "{type_key}" which has no default value.')
        else:
            try:
                cls = resolve_transformation(value) if transforms else resolve_predicate(value)
            except Exception:
                cv.add_error_message(f"Invalid value {value} for configuration {type_key}: Class {value} could not be found.")
        infos.append(ConfigInfo(_key_info(key), _value_info(cv)))
        if cls is None:
            continue
        child = ConfigDef()
        if transforms:
            child.define("negate", Type.BOOLEAN, False, Importance.MEDIUM, "Whether the configured predicate should be negated.")
            child.define(
                "predicate",
                Type.STRING,
                None,
                Importance.MEDIUM,
                "The alias of a predicate used to determine whether to apply this transformation.",
            )
        try:
            for own_key in cls().config().config_keys().values():
                if own_key.name not in child.names():
                    child.define_key(own_key)
        except Exception as exc:
            cv.add_error_message(f"Invalid value {value} for configuration {type_key}: {exc}")
        sub_props = {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix) and k != type_key}
        sub_values = {c.name: c for c in child.validate(sub_props)}
        for order, name in enumerate(sorted(child.names()), start=1):
            own = child.config_keys()[name]
            prefixed = ConfigKey(prefix + name, own.type, own.default_value, None, own.importance, own.documentation, group, order)
            prefixed.width, prefixed.display_name = own.width, own.display_name or name
            sub = sub_values[name]
            missing = f'Missing required configuration "{name}" '
            errors = [m.replace(missing, f'Missing required configuration "{prefix}{name}" ') for m in sub.error_messages]
            value_info = _value_info(ConfigValue(prefix + name, sub.value, sub.recommended_values, errors, sub.visible))
            infos.append(ConfigInfo(_key_info(prefixed), value_info))
    return groups, infos


_POLICIES = {
    "none": "None",
    "org.apache.kafka.connect.connector.policy.noneconnectorclientconfigoverridepolicy": "None",
    "principal": "Principal",
    "org.apache.kafka.connect.connector.policy.principalconnectorclientconfigoverridepolicy": "Principal",
    "all": "All",
    "org.apache.kafka.connect.connector.policy.allconnectorclientconfigoverridepolicy": "All",
}
_PRINCIPAL_KEYS = {"sasl.jaas.config", "sasl.mechanism", "security.protocol"}


def override_policy(name: str | None) -> str:
    """connector.client.config.override.policy (Kafka's default since 3.0: All), by alias or Java class name."""
    policy = _POLICIES.get((name or "All").strip().lower())
    if policy is None:
        raise ConnectException(f"Unknown connector.client.config.override.policy {name}: None, Principal or All")
    return policy


def _client_override_infos(props: Mapping[str, str], policy: str) -> list[ConfigInfo]:
    """The connector's producer/consumer/admin.override.* keys the worker's policy refuses (Kafka's texts)."""
    infos = []
    for key, value in props.items():
        prefix = next((p for p in ("producer.override.", "consumer.override.", "admin.override.") if key.startswith(p)), None)
        if prefix is None or policy == "All" or (policy == "Principal" and key[len(prefix) :] in _PRINCIPAL_KEYS):
            continue
        message = f"The '{policy}' policy does not allow '{key[len(prefix) :]}' to be overridden in the connector configuration."
        infos.append(ConfigInfo(None, ConfigValueInfo(key, value, [], [message], True)))
    return infos


def validate_connector_config(
    plugins: Plugins,
    config: Mapping[str, str | None],
    transformer: ConfigTransformer | None = None,
    client_override_policy: str | None = None,
    exactly_once: bool = False,
) -> tuple[ConfigInfos, Connector]:
    """Validates a connector config (with its config provider variables resolved, when a transformer is given);
    BadRequestException when it names no connector class or one that does not exist (Kafka's texts). Returns the
    ConfigInfos and a (not started) connector instance."""
    props = {k: v for k, v in config.items() if v is not None}
    if transformer is not None:
        props = transformer.transform(props)
    connector_class = props.get(CONNECTOR_CLASS_CONFIG)
    if connector_class is None:
        raise BadRequestException(f"Connector config {_java_map(config)} contains no connector type")
    try:
        connector = plugins.new_connector(connector_class)
    except Exception as exc:
        raise BadRequestException(str(exc)) from None
    kind = connector_type(connector)
    framework = (
        sink_config_def() if kind is ConnectorType.SINK else source_config_def() if kind is ConnectorType.SOURCE else connector_config_def()
    )
    framework_values = {cv.name: cv for cv in framework.validate(props)}
    if kind is ConnectorType.SINK:
        _sink_checks(props, framework_values)
    if kind is ConnectorType.SOURCE and exactly_once:
        _exactly_once_checks(connector, props, framework_values)
    own_def = connector.config()
    try:
        own_values = {cv.name: cv for cv in connector.validate(props).config_values}
    except Exception as exc:
        own_values = {}
        framework_values[CONNECTOR_CLASS_CONFIG].add_error_message(f"Connector validation failed: {exc}")
    infos: list[ConfigInfo] = []
    groups: list[str] = list(framework.groups())
    for definition, values in ((framework, framework_values), (own_def, own_values)):
        keys = definition.config_keys()
        for name, cv in values.items():
            if name in keys and keys[name].internal_config:
                continue
            if definition is own_def and name in framework_values:
                continue  # the framework's entry already covers it
            infos.append(ConfigInfo(_key_info(keys[name]) if name in keys else None, _value_info(cv)))
    for group in own_def.groups():
        if group not in groups:
            groups.append(group)
    for transforms in (True, False):
        alias_groups, alias_infos = _alias_infos(plugins, props, transforms)
        groups += alias_groups
        infos += alias_infos
    infos += _client_override_infos(props, override_policy(client_override_policy))
    error_count = sum(len(i.value.errors) for i in infos)
    return ConfigInfos(connector_class, error_count, groups, infos), connector


def raise_if_invalid(infos: ConfigInfos) -> None:
    """Kafka's 400 for a create/update whose config does not validate."""
    if infos.error_count == 0:
        return
    lines = [f"Connector configuration is invalid and contains the following {infos.error_count} error(s):"]
    lines += infos.error_messages()
    lines.append("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
    raise BadRequestException("\n".join(lines))


def _java_map(config: Mapping[str, str | None]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in config.items()) + "}"
