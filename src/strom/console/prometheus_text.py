"""Reads the Prometheus text exposition a broker serves at /metrics: just the samples the console charts.

The names are the Prometheus JMX exporter's for Kafka (kafka_server_brokertopicmetrics_messagesin_total, ...),
so the same charts work on a Strom broker and on an Apache Kafka broker behind the JMX exporter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse(text: str) -> list[Sample]:
    """Every sample line (comments and malformed lines skipped: a console must not fail on a new metric)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(m.group(2) or "")}
        out.append(Sample(m.group(1), labels, value))
    return out


def total(samples: list[Sample], name: str) -> float | None:
    """A broker-wide counter: the sample without a topic label (the JMX exporter's total), else the sum per topic."""
    named = [s for s in samples if s.name == name]
    if not named:
        return None
    overall = [s.value for s in named if "topic" not in s.labels]
    return sum(overall) if overall else sum(s.value for s in named)
