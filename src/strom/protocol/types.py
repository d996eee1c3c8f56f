"""Value types shared by every layer: TP is the (topic, partition) key Kafka's TopicPartition names."""

from __future__ import annotations

TP = tuple[str, int]
