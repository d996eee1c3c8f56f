"""DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44) for topics and the broker.

Every config is described with its value, whether it is the default, its source and synonyms, as
Kafka does; dynamic changes are persisted in the metadata store and applied to live logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strom.broker.authorizer import authorize, authorize_cluster
from strom.broker.config import BROKER_CONFIGS, SENSITIVE_BROKER_CONFIGS, ConfigError
from strom.broker.dynamic_config import ALL_DYNAMIC_CONFIGS, base_name, validate_dynamic_update
from strom.broker.handlers import handles
from strom.broker.listener_tls import is_dynamic_ssl_key, rebuild_listener_tls
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import alter_configs as alter_configs_schema
from strom.protocol.schema import describe_configs as describe_configs_schema
from strom.protocol.schema import incremental_alter_configs as incremental_alter_configs_schema
from strom.protocol.schema.alter_configs import AlterConfigsRequest, AlterConfigsResourceResponse, AlterConfigsResponse
from strom.protocol.schema.describe_configs import (
    DescribeConfigsRequest,
    DescribeConfigsResourceResult,
    DescribeConfigsResponse,
    DescribeConfigsResult,
    DescribeConfigsSynonym,
)
from strom.protocol.schema.incremental_alter_configs import AlterConfigsResource as IncrementalAlterConfigsResource
from strom.protocol.schema.incremental_alter_configs import AlterConfigsResourceResponse as IncrementalAlterConfigsResourceResponse
from strom.protocol.schema.incremental_alter_configs import IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse
from strom.security.acl import AclOperation, ResourceType
from strom.storage.config import TOPIC_CONFIGS, LogConfig

if TYPE_CHECKING:
    from strom.broker.broker import Broker

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8
# ConfigSource values
DYNAMIC_TOPIC, DYNAMIC_BROKER, DYNAMIC_DEFAULT_BROKER, STATIC_BROKER, DEFAULT = 1, 2, 3, 4, 5
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
# ConfigType values (DescribeConfigs v3+)
_TYPES = {bool: 1, str: 2, int: 5, float: 6}


def _config_type(value: object) -> int:
    return _TYPES.get(type(value), 2)


def _describe_topic(broker: Broker, name: str, keys: list[str] | None, version: int, synonyms: bool) -> DescribeConfigsResult:
    state = broker.metadata.topics.get(name)
    if state is None:
        return DescribeConfigsResult(
            error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            error_message=f"Topic {name} does not exist",
            resource_type=TOPIC,
            resource_name=name,
        )
    cfg = broker.topic_log_config(name)
    out = [
        _describe_topic_config(broker, state.configs, cfg, key, synonyms) for key in sorted(TOPIC_CONFIGS) if keys is None or key in keys
    ]
    return DescribeConfigsResult(error_code=0, resource_type=TOPIC, resource_name=name, configs=out)


def _describe_topic_config(
    broker: Broker, topic_configs: dict[str, str], cfg: LogConfig, key: str, synonyms: bool
) -> DescribeConfigsResourceResult:
    """One topic config: set on the topic (DYNAMIC_TOPIC), else from the broker config it falls back to, else the default."""
    attr, _, broker_key = TOPIC_CONFIGS[key]
    is_topic = key in topic_configs
    source = DYNAMIC_TOPIC if is_topic else DEFAULT
    syns: list[DescribeConfigsSynonym] = []
    if is_topic:
        syns.append(DescribeConfigsSynonym(name=key, value=topic_configs[key], source=DYNAMIC_TOPIC))
    if broker_key:
        broker_syns = _broker_synonyms(broker, broker_key)
        syns += broker_syns
        if not is_topic:
            source = broker_syns[0].source
    return DescribeConfigsResourceResult(
        name=key,
        value=cfg.value_of(key),
        read_only=False,
        is_default=source == DEFAULT,
        config_source=source,
        is_sensitive=False,
        synonyms=syns if synonyms else [],
        config_type=_config_type(getattr(cfg, attr)),
    )


def _default_of(key: str) -> str | None:
    return BROKER_CONFIGS.get(key, (None, None))[1]


def _dynamic_layers(broker: Broker, per_broker: bool = True) -> list[tuple[dict[str, str], int]]:
    """The dynamic broker config layers, highest precedence first. ZooKeeper mode: this broker's own
    (/config/brokers/<id>) then the cluster default (/config/brokers/<default>); embedded: one layer."""
    layers = broker.metadata.dynamic_config_layers(per_broker)
    return [(layer, DYNAMIC_DEFAULT_BROKER if cluster_default else DYNAMIC_BROKER) for layer, cluster_default in layers]


def _broker_synonyms(broker: Broker, key: str, per_broker: bool = True) -> list[DescribeConfigsSynonym]:
    """Every source that sets `key`, highest precedence first (Kafka's synonyms order); the last is the default."""
    syns = [
        DescribeConfigsSynonym(name=key, value=layer[key], source=src) for layer, src in _dynamic_layers(broker, per_broker) if key in layer
    ]
    if not broker.config.is_default(key):
        syns.append(DescribeConfigsSynonym(name=key, value=broker.config.value_string(key), source=STATIC_BROKER))
    default = broker.config.value_string(key) if broker.config.is_default(key) else _default_of(key)
    syns.append(DescribeConfigsSynonym(name=key, value=default, source=DEFAULT))
    return syns


def _describe_broker(broker: Broker, name: str, keys: list[str] | None, synonyms: bool = False) -> DescribeConfigsResult:
    if name not in ("", str(broker.broker_id)):
        return DescribeConfigsResult(
            error_code=ErrorCode.INVALID_REQUEST,
            error_message=f"Unexpected broker id, expected {broker.broker_id} or empty string, but received {name}",
            resource_type=BROKER,
            resource_name=name,
        )
    # ZooKeeper mode, resource "": the cluster-wide dynamic defaults only, as Kafka's ConfigHelper
    default_only = name == "" and broker.cluster is not None
    out: list[DescribeConfigsResourceResult] = []
    for key in sorted(BROKER_CONFIGS):
        if keys is not None and key not in keys:
            continue
        syns = _broker_synonyms(broker, key, per_broker=not default_only)
        if default_only and syns[0].source != DYNAMIC_DEFAULT_BROKER:
            continue
        value, source = syns[0].value, syns[0].source
        sensitive = key in SENSITIVE_BROKER_CONFIGS
        if sensitive:  # a password is never sent back, as Kafka's PASSWORD type
            value = None
            syns = [DescribeConfigsSynonym(name=s.name, value=None, source=s.source) for s in syns]
        out.append(
            DescribeConfigsResourceResult(
                name=key,
                value=value,
                read_only=key not in _DYNAMIC_BROKER_KEYS,
                is_default=source == DEFAULT,
                config_source=source,
                is_sensitive=sensitive,
                synonyms=syns if synonyms else [],
            )
        )
    return DescribeConfigsResult(error_code=0, resource_type=BROKER, resource_name=name, configs=out)


_DYNAMIC_BROKER_KEYS = ALL_DYNAMIC_CONFIGS


def _config_denial(ctx: RequestContext, resource_type: int, name: str, operation: AclOperation) -> int:
    """Kafka's config checks: a topic's configs need the operation on the topic, a broker's (and broker
    loggers') on the cluster; 0 when allowed."""
    if resource_type == TOPIC:
        return 0 if authorize(ctx, operation, ResourceType.TOPIC, name) else ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if resource_type in (BROKER, BROKER_LOGGER):
        return 0 if authorize_cluster(ctx, operation) else ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    return 0


@handles(describe_configs_schema.API_KEY)
async def describe_configs(ctx: RequestContext, request: DescribeConfigsRequest) -> DescribeConfigsResponse:
    results: list[DescribeConfigsResult] = []
    for r in request.resources:
        keys = list(r.configuration_keys) if r.configuration_keys is not None else None
        denial = _config_denial(ctx, r.resource_type, r.resource_name, AclOperation.DESCRIBE_CONFIGS)
        if denial:
            results.append(
                DescribeConfigsResult(error_code=denial, error_message=None, resource_type=r.resource_type, resource_name=r.resource_name)
            )
        elif r.resource_type == TOPIC:
            results.append(_describe_topic(ctx.broker, r.resource_name, keys, ctx.api_version, request.include_synonyms))
        elif r.resource_type == BROKER:
            results.append(_describe_broker(ctx.broker, r.resource_name, keys, request.include_synonyms))
        else:
            results.append(
                DescribeConfigsResult(
                    error_code=ErrorCode.INVALID_REQUEST,
                    error_message=f"Unsupported resource type {r.resource_type}",
                    resource_type=r.resource_type,
                    resource_name=r.resource_name,
                )
            )
    return DescribeConfigsResponse(results=results)


async def _apply(broker: Broker, resource_type: int, name: str, new: dict[str, str | None], validate_only: bool, replace: bool) -> None:
    """Applies config changes (None: back to the default) to a topic or the broker, or only validates them;
    `replace` drops every dynamic config not named (AlterConfigs), else the rest is kept (incremental)."""
    if resource_type == TOPIC:
        await _apply_to_topic(broker, name, new, validate_only, replace)
    elif resource_type == BROKER:
        await _apply_to_broker(broker, name, new, validate_only, replace)
    else:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unsupported resource type {resource_type}")


async def _apply_to_topic(broker: Broker, name: str, new: dict[str, str | None], validate_only: bool, replace: bool) -> None:
    state = broker.metadata.topics.get(name)
    if state is None:
        raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic {name} does not exist")
    configs = {} if replace else dict(state.configs)
    for k, v in new.items():
        if v is None:
            configs.pop(k, None)
        else:
            configs[k] = v
    LogConfig.from_topic_configs(configs, broker.default_log_config())  # validates: INVALID_CONFIG
    if not validate_only:
        await broker.update_topic_configs(name, configs)


async def _apply_to_broker(broker: Broker, name: str, new: dict[str, str | None], validate_only: bool, replace: bool) -> None:
    if name not in ("", str(broker.broker_id)):
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unexpected broker id {name}")
    md = broker.metadata
    entity = md.broker_entity(name)
    configs = {} if replace else md.dynamic_configs_of(entity)
    validate_dynamic_update(new, per_broker=name != "")
    for k, v in new.items():
        if v is None:
            configs.pop(k, None)
        else:
            parser = BROKER_CONFIGS.get(base_name(k))
            try:
                if parser is not None:
                    parser[0](v)
            except ValueError as exc:
                raise KafkaError(ErrorCode.INVALID_CONFIG, f"Invalid value {v} for configuration {k}: {exc}") from None
            configs[k] = v
    if any(is_dynamic_ssl_key(k) for k in new):
        _validate_listener_tls(broker, configs, default_entity=name == "")
    if not validate_only:
        # ZooKeeper: /config/brokers/<id> or <default> + a change notification for all brokers
        await broker.admin(md.write_broker_configs, entity, configs)
        broker.on_dynamic_config_change()


def _validate_listener_tls(broker: Broker, configs: dict[str, str], default_entity: bool) -> None:
    """Every TLS listener must still build with the updated keystore/truststore keys (Kafka validates the
    SslFactory before storing the update); INVALID_CONFIG with the reason otherwise. `configs` replaces the
    layer it updates (this broker's own, or the cluster default); the other layers stay as stored."""
    layers = broker.metadata.dynamic_config_layers(True)
    updated = [configs if len(layers) == 1 or cluster_default == default_entity else layer for layer, cluster_default in layers]
    for listener in broker.config.listeners:
        if listener.security_protocol.uses_tls:
            try:
                rebuild_listener_tls(broker.config, listener, updated, broker.listener_tls[listener.name])
            except ConfigError as exc:
                raise KafkaError(ErrorCode.INVALID_CONFIG, f"Validation of dynamic config update of SSLFactory failed: {exc}") from None


@handles(alter_configs_schema.API_KEY)
async def alter_configs(ctx: RequestContext, request: AlterConfigsRequest) -> AlterConfigsResponse:
    out: list[AlterConfigsResourceResponse] = []
    for r in request.resources:
        denial = _config_denial(ctx, r.resource_type, r.resource_name, AclOperation.ALTER_CONFIGS)
        if denial:
            out.append(AlterConfigsResourceResponse(error_code=denial, resource_type=r.resource_type, resource_name=r.resource_name))
            continue
        try:
            await _apply(
                ctx.broker, r.resource_type, r.resource_name, {c.name: c.value for c in r.configs}, request.validate_only, replace=True
            )
            out.append(
                AlterConfigsResourceResponse(error_code=0, error_message=None, resource_type=r.resource_type, resource_name=r.resource_name)
            )
        except KafkaError as exc:
            out.append(
                AlterConfigsResourceResponse(
                    error_code=exc.code(), error_message=exc.message, resource_type=r.resource_type, resource_name=r.resource_name
                )
            )
    return AlterConfigsResponse(responses=out)


@handles(incremental_alter_configs_schema.API_KEY)
async def incremental_alter_configs(ctx: RequestContext, request: IncrementalAlterConfigsRequest) -> IncrementalAlterConfigsResponse:
    out: list[IncrementalAlterConfigsResourceResponse] = []
    for r in request.resources:
        denial = _config_denial(ctx, r.resource_type, r.resource_name, AclOperation.ALTER_CONFIGS)
        if denial:
            out.append(
                IncrementalAlterConfigsResourceResponse(error_code=denial, resource_type=r.resource_type, resource_name=r.resource_name)
            )
            continue
        try:
            changes = _incremental_changes(ctx.broker, r)
            await _apply(ctx.broker, r.resource_type, r.resource_name, changes, request.validate_only, replace=False)
            out.append(
                IncrementalAlterConfigsResourceResponse(
                    error_code=0, error_message=None, resource_type=r.resource_type, resource_name=r.resource_name
                )
            )
        except KafkaError as exc:
            out.append(
                IncrementalAlterConfigsResourceResponse(
                    error_code=exc.code(), error_message=exc.message, resource_type=r.resource_type, resource_name=r.resource_name
                )
            )
    return IncrementalAlterConfigsResponse(responses=out)


def _incremental_changes(broker: Broker, resource: IncrementalAlterConfigsResource) -> dict[str, str | None]:
    """The new value of each config a resource's operations name (None: deleted); APPEND and SUBTRACT act
    on the current value as a comma-separated list."""
    changes: dict[str, str | None] = {}
    for c in resource.configs:
        if c.config_operation == SET:
            changes[c.name] = c.value
        elif c.config_operation == DELETE:
            changes[c.name] = None
        elif c.config_operation in (APPEND, SUBTRACT):
            current = _current_value(broker, resource.resource_type, resource.resource_name, c.name)
            items = [x for x in (current or "").split(",") if x]
            vals = [x for x in (c.value or "").split(",") if x]
            if c.config_operation == APPEND:
                items += [v for v in vals if v not in items]
            else:
                items = [i for i in items if i not in vals]
            changes[c.name] = ",".join(items)
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unknown config operation {c.config_operation}")
    return changes


def _current_value(broker: Broker, resource_type: int, name: str, key: str) -> str | None:
    if resource_type == TOPIC and name in broker.metadata.topics:
        return broker.topic_log_config(name).value_of(key) if key in TOPIC_CONFIGS else None
    return broker.metadata.broker_configs.get(key)
