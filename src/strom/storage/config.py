"""Topic-level log configuration: Kafka's names, types, defaults and validation in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.protocol.errors import ErrorCode, KafkaError

LONG_MAX = 9223372036854775807


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise ValueError("must be true or false")
    return low == "true"


def _int(lo: int = -LONG_MAX - 1, hi: int = LONG_MAX) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text.strip())
        if not lo <= value <= hi:
            raise ValueError(f"must be in [{lo}, {hi}]")
        return value

    return parse


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text.strip())
        if not lo <= value <= hi:
            raise ValueError(f"must be in [{lo}, {hi}]")
        return value

    return parse


def _policy(text: str) -> str:
    parts = sorted(p.strip() for p in text.split(",") if p.strip())
    if not parts or any(p not in ("compact", "delete") for p in parts):
        raise ValueError("must be a list of compact, delete")
    return ",".join(parts)


# Kafka's MetadataVersion names: release -> its IV count ("2.8" and "2.8-IV0", "2.8-IV1"); releases before 0.10
# have no IVs. Kafka 3.x accepts any of them for the deprecated message.format.version and ignores it.
_METADATA_VERSIONS = {
    **{v: 0 for v in ("0.8.0", "0.8.1", "0.8.2", "0.9.0")},
    **{"0.10.0": 2, "0.10.1": 3, "0.10.2": 1, "0.11.0": 3, "1.0": 1, "1.1": 1, "2.0": 2, "2.1": 3, "2.2": 2, "2.3": 2},
    **{"2.4": 2, "2.5": 1, "2.6": 1, "2.7": 3, "2.8": 2, "3.0": 2, "3.1": 1, "3.2": 1, "3.3": 4, "3.4": 1, "3.5": 3},
    **{"3.6": 3, "3.7": 5, "3.8": 1, "3.9": 1},
}


_METADATA_VERSION_NAMES = frozenset(_METADATA_VERSIONS) | {f"{r}-IV{i}" for r, n in _METADATA_VERSIONS.items() for i in range(n)}


def message_format_version(text: str) -> str:
    """A MetadataVersion name as Kafka's fromVersionString reads it: a release ("2.8", "0.10.2") or a release
    and its IV ("2.8-IV1"); extra dotted parts after the release are ignored ("2.8.1")."""
    value = text.strip()
    segments = value.split(".")
    wanted = 3 if value.startswith("0.") else 2
    key = value if len(segments) <= wanted else ".".join(segments[:wanted])
    if key not in _METADATA_VERSION_NAMES:
        raise ValueError(f"Version {value} is not a valid version")
    return value


# Kafka topic config name -> (LogConfig attribute, parser, broker-level config that supplies the default)
TOPIC_CONFIGS: dict[str, tuple[str, Callable[[str], Any], str | None]] = {
    "cleanup.policy": ("cleanup_policy", _policy, "log.cleanup.policy"),
    "compression.type": (
        "compression_type",
        _choice("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
        "compression.type",
    ),
    "delete.retention.ms": ("delete_retention_ms", _int(0), "log.cleaner.delete.retention.ms"),
    "file.delete.delay.ms": ("file_delete_delay_ms", _int(0), "log.segment.delete.delay.ms"),
    "flush.messages": ("flush_messages", _int(1), "log.flush.interval.messages"),
    "flush.ms": ("flush_ms", _int(0), "log.flush.interval.ms"),
    "index.interval.bytes": ("index_interval_bytes", _int(0, 2**31 - 1), "log.index.interval.bytes"),
    "max.compaction.lag.ms": ("max_compaction_lag_ms", _int(1), "log.cleaner.max.compaction.lag.ms"),
    "max.message.bytes": ("max_message_bytes", _int(0, 2**31 - 1), "message.max.bytes"),
    "message.timestamp.type": (
        "message_timestamp_type",
        _choice("CreateTime", "LogAppendTime"),
        "log.message.timestamp.type",
    ),
    "min.cleanable.dirty.ratio": ("min_cleanable_dirty_ratio", _float(0, 1), "log.cleaner.min.cleanable.ratio"),
    "min.compaction.lag.ms": ("min_compaction_lag_ms", _int(0), "log.cleaner.min.compaction.lag.ms"),
    "min.insync.replicas": ("min_insync_replicas", _int(1, 2**31 - 1), "min.insync.replicas"),
    "preallocate": ("preallocate", _bool, "log.preallocate"),
    "retention.bytes": ("retention_bytes", _int(), "log.retention.bytes"),
    "retention.ms": ("retention_ms", _int(-1), None),
    "segment.bytes": ("segment_bytes", _int(14, 2**31 - 1), "log.segment.bytes"),
    "segment.index.bytes": ("segment_index_bytes", _int(4, 2**31 - 1), "log.index.size.max.bytes"),
    "segment.jitter.ms": ("segment_jitter_ms", _int(0), "log.roll.jitter.ms"),
    "segment.ms": ("segment_ms", _int(1), None),
    "unclean.leader.election.enable": ("unclean_leader_election_enable", _bool, "unclean.leader.election.enable"),
    "message.downconversion.enable": ("message_downconversion_enable", _bool, "log.message.downconversion.enable"),
    "message.format.version": ("message_format_version", message_format_version, "log.message.format.version"),
}


@dataclass(frozen=True, slots=True)
class LogConfig:
    segment_bytes: int = 1073741824
    segment_ms: int = 604800000
    segment_jitter_ms: int = 0
    segment_index_bytes: int = 10485760
    index_interval_bytes: int = 4096
    retention_ms: int = 604800000
    retention_bytes: int = -1
    cleanup_policy: str = "delete"
    compression_type: str = "producer"
    delete_retention_ms: int = 86400000
    min_compaction_lag_ms: int = 0
    max_compaction_lag_ms: int = LONG_MAX
    min_cleanable_dirty_ratio: float = 0.5
    file_delete_delay_ms: int = 60000
    flush_messages: int = LONG_MAX
    flush_ms: int = LONG_MAX
    max_message_bytes: int = 1048588
    message_timestamp_type: str = "CreateTime"
    min_insync_replicas: int = 1
    preallocate: bool = False
    unclean_leader_election_enable: bool = False
    message_downconversion_enable: bool = True
    message_format_version: str = "3.0-IV1"  # deprecated; ignored, as Kafka 3.x ignores it

    @staticmethod
    def parse_value(name: str, value: str) -> Any:
        """Parses one topic config; INVALID_CONFIG naming the key and the allowed values when wrong."""
        entry = TOPIC_CONFIGS.get(name)
        if entry is None:
            raise KafkaError(ErrorCode.INVALID_CONFIG, f"Unknown topic config name: {name}")
        try:
            return entry[1](value)
        except ValueError as exc:
            raise KafkaError(ErrorCode.INVALID_CONFIG, f"Invalid value {value} for configuration {name}: {exc}") from None

    @classmethod
    def from_topic_configs(cls, configs: Mapping[str, str | None], base: LogConfig | None = None) -> LogConfig:
        changes = {}
        for name, value in configs.items():
            if value is None:
                continue
            changes[TOPIC_CONFIGS[name][0] if name in TOPIC_CONFIGS else name] = cls.parse_value(name, value)
        return dataclasses.replace(base or cls(), **changes)

    def value_of(self, name: str) -> str:
        """Kafka's string form of a topic config value (for DescribeConfigs)."""
        value = getattr(self, TOPIC_CONFIGS[name][0])
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
