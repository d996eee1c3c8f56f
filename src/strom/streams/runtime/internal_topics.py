"""InternalTopicManager: creates the repartition and changelog topics through the Admin API, with Java's
names and configs, and checks that topics already there have the partition count the topology needs."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from strom.admin import AdminClient, NewTopic
from strom.protocol.errors import ErrorCode, KafkaError

log = logging.getLogger("org.apache.kafka.streams.processor.internals.InternalTopicManager")

# Java's InternalTopicManager / RepartitionTopicConfig / UnwindowedUnversionedChangelogTopicConfig defaults
REPARTITION_TOPIC_DEFAULTS = {
    "cleanup.policy": "delete",
    "segment.bytes": "52428800",
    "retention.ms": "-1",
    "message.timestamp.type": "CreateTime",
}
CHANGELOG_TOPIC_DEFAULTS = {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
WINDOWED_CHANGELOG_DEFAULTS = {"cleanup.policy": "compact,delete", "message.timestamp.type": "CreateTime"}


class InternalTopicError(Exception):
    """An internal topic could not be created, or exists with a partition count the topology cannot use."""


@dataclass(frozen=True, slots=True)
class InternalTopicConfig:
    name: str
    configs: Mapping[str, str] = field(default_factory=dict)
    enforce_partition_count: bool = False  # repartition topics named with a count, changelogs always


def repartition_topic_config(name: str, given: Mapping[str, str] | None = None) -> InternalTopicConfig:
    return InternalTopicConfig(name, {**REPARTITION_TOPIC_DEFAULTS, **(given or {})})


def changelog_topic_config(
    name: str, given: Mapping[str, str] | None = None, windowed_retention_ms: int | None = None
) -> InternalTopicConfig:
    """A changelog: compacted; a windowed store's compacted and deleted after its retention (+ additional retention)."""
    if windowed_retention_ms is None:
        return InternalTopicConfig(name, {**CHANGELOG_TOPIC_DEFAULTS, **(given or {})}, enforce_partition_count=True)
    base = {**WINDOWED_CHANGELOG_DEFAULTS, "retention.ms": str(windowed_retention_ms)}
    return InternalTopicConfig(name, {**base, **(given or {})}, enforce_partition_count=True)


class InternalTopicManager:
    def __init__(self, admin: AdminClient, replication_factor: int = -1, topic_overrides: Mapping[str, str] | None = None) -> None:
        self._admin = admin
        self._replication_factor = replication_factor
        self._overrides = dict(topic_overrides or {})

    def partition_counts(self, topics: list[str]) -> dict[str, int]:
        """Partition counts of the topics that exist (missing ones are left out)."""
        md = self._admin.list_topics(timeout=30)
        return {t: len(md.topics[t].partitions) for t in topics if t in md.topics and md.topics[t].error is None}

    def make_ready(self, topics: Mapping[str, tuple[InternalTopicConfig, int]], timeout_s: float = 60.0) -> None:
        """Creates each missing topic with its partition count; waits until the metadata shows them all."""
        if not topics:
            return
        deadline = time.monotonic() + timeout_s
        while True:
            existing = self.partition_counts(list(topics))
            for name, n in existing.items():
                config, wanted = topics[name]
                if n != wanted and config.enforce_partition_count:
                    raise InternalTopicError(
                        f"Existing internal topic {name} has invalid partitions: expected: {wanted}; actual: {n}. "
                        "Use 'kafka.tools.StreamsResetter' tool to clean up invalid topics before processing."
                    )
            missing = [name for name in topics if name not in existing]
            if not missing:
                return
            new = [
                NewTopic(
                    name,
                    num_partitions=topics[name][1],
                    replication_factor=self._replication_factor,
                    config={**self._overrides, **topics[name][0].configs},
                )
                for name in missing
            ]
            for name, fut in self._admin.create_topics(new, operation_timeout=30).items():
                try:
                    fut.result(timeout=60)
                    log.info("Created internal topic %s with %d partitions", name, topics[name][1])
                except KafkaError as exc:
                    if exc.code() != ErrorCode.TOPIC_ALREADY_EXISTS:
                        raise InternalTopicError(f"Could not create internal topic {name}: {exc}") from exc
            if time.monotonic() > deadline:
                raise InternalTopicError(f"Internal topics {missing} were not ready within {timeout_s:.0f} s")
            time.sleep(0.05)
