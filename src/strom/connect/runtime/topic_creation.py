"""Topics a source connector creates for what it writes (KIP-158, Java's TopicCreation / TopicCreationGroup).

With the worker's topic.creation.enable (default true) and a connector config naming
`topic.creation.default.replication.factor` and `topic.creation.default.partitions`, the first record for a
topic that does not exist creates it: with the settings of the first group in `topic.creation.groups` whose
`include` regexes match the topic and whose `exclude` regexes do not, else the `default` group. Every other
`topic.creation.<group>.<key>` is a topic config (cleanup.policy, retention.ms, ...)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strom.client.admin_types import NewTopic
from strom.connect.errors import ConnectException

log = logging.getLogger("org.apache.kafka.connect.util.TopicAdmin")

PREFIX = "topic.creation."
_SPECIAL = ("include", "exclude", "replication.factor", "partitions")


@dataclass
class TopicCreationGroup:
    name: str
    include: list[re.Pattern[str]]
    exclude: list[re.Pattern[str]]
    replication_factor: int
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)

    def matches(self, topic: str) -> bool:
        return any(p.fullmatch(topic) for p in self.include) and not any(p.fullmatch(topic) for p in self.exclude)

    def new_topic(self, topic: str) -> NewTopic:
        return NewTopic(topic, self.partitions, self.replication_factor, dict(self.configs) or None)


def _patterns(value: str | None) -> list[re.Pattern[str]]:
    return [re.compile(p.strip()) for p in (value or "").split(",") if p.strip()]


def _group(name: str, props: Mapping[str, str], default: TopicCreationGroup | None) -> TopicCreationGroup:
    prefix = f"{PREFIX}{name}."
    own = {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)}
    try:
        rf = int(own["replication.factor"]) if "replication.factor" in own else (default.replication_factor if default else -1)
        partitions = int(own["partitions"]) if "partitions" in own else (default.partitions if default else -1)
    except ValueError as exc:
        raise ConnectException(f"Invalid topic creation setting for group {name}: {exc}") from None
    configs = {**(default.configs if default else {}), **{k: v for k, v in own.items() if k not in _SPECIAL}}
    include = [re.compile(".*")] if name == "default" else _patterns(own.get("include"))
    return TopicCreationGroup(name, include, _patterns(own.get("exclude")), rf, partitions, configs)


class TopicCreation:
    def __init__(self, groups: list[TopicCreationGroup]) -> None:
        self.groups = groups
        self.known: set[str] = set()

    @staticmethod
    def from_config(worker_enabled: bool, props: Mapping[str, str]) -> TopicCreation | None:
        if not worker_enabled or f"{PREFIX}default.replication.factor" not in props or f"{PREFIX}default.partitions" not in props:
            return None
        default = _group("default", props, None)
        names = [g.strip() for g in props.get(f"{PREFIX}groups", "").split(",") if g.strip() and g.strip() != "default"]
        return TopicCreation([_group(n, props, default) for n in names] + [default])

    def group_for(self, topic: str) -> TopicCreationGroup:
        return next(g for g in self.groups if g.matches(topic))

    def ensure(self, topic: str, admin: Any) -> None:
        """Creates `topic` once if missing (admin: Strom's sync AdminClient)."""
        if topic in self.known:
            return
        new_topic = self.group_for(topic).new_topic(topic)
        futures = admin.create_topics([new_topic])
        try:
            futures[topic].result(60)
            log.info(
                "Created topic %s with %d partitions and replication factor %d",
                topic,
                new_topic.num_partitions,
                new_topic.replication_factor,
            )
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc) and "already exists" not in str(exc):
                raise ConnectException(f"Unable to create topic {topic}: {exc}") from exc
        self.known.add(topic)
