"""Judges a history: what a Kafka cluster promised its clients, checked against what they observed.

The anomalies, each the way Jepsen's Kafka and Redpanda analyses define them:
- lost: a record acknowledged (acks=all) that no read found at the offset it was acknowledged at (not read at
  all, read elsewhere only, or another record read at its offset); a record acknowledged without an offset
  (Kafka answers a retried batch it already has as a duplicate with offset -1) must be read somewhere in
  its partition;
- divergent: two different records read at the same offset of a partition (a read of data that was later
  truncated away: a reader saw past what was committed, or a leader lost what it had acknowledged);
- duplicated: one record at two or more offsets (with an idempotent producer: never);
- reordered: two records one producer sent to one partition, in that order, that landed in the other order
  (an idempotent producer keeps order even when it retries);
- commit went backwards: a group's committed offset, as an OffsetFetch answered it, lower than the commit
  acknowledged last before that OffsetFetch was sent (an acknowledged commit was lost: a member resuming
  from it reads again what the group had consumed). A client may itself commit a lower offset later (a
  retried stale commit, a rewind), so commits are compared with what is read back, not with each other;
- aborted read: a record of an aborted transaction returned to a read_committed consumer;
- skipped: an acknowledged record below an offset its group committed (the coordinator acknowledged the
  commit) that no member of the group consumed: the group moved past it unread, so at-least-once broke (a
  member of a group is a process that committed for it; records of aborted transactions are not counted).

A record that failed to send is indeterminate (Jepsen's `info`): finding it later is not an anomaly, it is
counted as `failed_but_present`. The checker is pure: it needs no cluster and the same history always gives
the same report.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from strom.testing.faults.history import History

TP = tuple[str, int]

#: examples kept per anomaly in a report (the counts are exact)
EXAMPLES = 10


@dataclass(slots=True)
class Report:
    seed: int
    sent: int = 0
    acked: int = 0
    failed: int = 0
    consumed: int = 0
    faults: int = 0
    lost: list[dict[str, Any]] = field(default_factory=list)
    lost_count: int = 0
    divergent: list[dict[str, Any]] = field(default_factory=list)
    divergent_count: int = 0
    duplicated: list[dict[str, Any]] = field(default_factory=list)
    duplicated_count: int = 0
    reordered: list[dict[str, Any]] = field(default_factory=list)
    reordered_count: int = 0
    commits_backwards: list[dict[str, Any]] = field(default_factory=list)
    commits_backwards_count: int = 0
    aborted_read: list[dict[str, Any]] = field(default_factory=list)
    aborted_read_count: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_count: int = 0
    failed_but_present: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.lost_count
            or self.divergent_count
            or self.duplicated_count
            or self.reordered_count
            or self.commits_backwards_count
            or self.aborted_read_count
            or self.skipped_count
        )

    def summary(self) -> str:
        return (
            f"seed={self.seed} sent={self.sent} acked={self.acked} failed={self.failed} consumed={self.consumed} "
            f"faults={self.faults} lost={self.lost_count} divergent={self.divergent_count} "
            f"duplicated={self.duplicated_count} reordered={self.reordered_count} "
            f"commits_backwards={self.commits_backwards_count} aborted_read={self.aborted_read_count} skipped={self.skipped_count} "
            f"failed_but_present={self.failed_but_present}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"ok": self.ok}, indent=1)


def _note(report: Report, name: str, example: dict[str, Any]) -> None:
    setattr(report, f"{name}_count", getattr(report, f"{name}_count") + 1)
    examples: list[dict[str, Any]] = getattr(report, name)
    if len(examples) < EXAMPLES:
        examples.append(example)


def check(history: History) -> Report:
    """Reads the whole history once per anomaly class; linear in its length (plus a sort per partition)."""
    report = Report(history.seed)
    sends = history.events("send")
    report.sent = len(sends)
    report.faults = len(history.events("fault"))
    report.failed = len(history.events("send_error"))

    # where each record was read: value -> tp -> offsets; and what each offset held
    read_at: dict[str, dict[TP, set[int]]] = defaultdict(lambda: defaultdict(set))
    held: dict[TP, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    consumes = history.events("consume")
    report.consumed = len(consumes)
    for e in consumes:
        read_at[e.value][(e.topic, e.partition)].add(e.offset)
        held[(e.topic, e.partition)][e.offset].add(e.value)

    acks = history.events("ack")
    report.acked = len(acks)
    for e in acks:
        tp = (e.topic, e.partition)
        if e.offset < 0:  # acknowledged without an offset (a duplicate batch, as Kafka answers it): anywhere
            if not read_at.get(e.value, {}).get(tp):
                _note(
                    report,
                    "lost",
                    {"value": e.value, "topic": e.topic, "partition": e.partition, "offset": -1, "read_instead": [], "read_at": []},
                )
            continue
        others = held[tp].get(e.offset, set()) - {e.value}
        if e.offset not in read_at.get(e.value, {}).get(tp, set()) or others:
            found = sorted(read_at.get(e.value, {}).get(tp, set()))
            _note(
                report,
                "lost",
                {
                    "value": e.value,
                    "topic": e.topic,
                    "partition": e.partition,
                    "offset": e.offset,
                    "read_instead": sorted(others),
                    "read_at": found,
                },
            )

    for tp, offsets in sorted(held.items()):
        for offset, values in sorted(offsets.items()):
            if len(values) > 1:
                _note(report, "divergent", {"topic": tp[0], "partition": tp[1], "offset": offset, "values": sorted(values)})

    for value, places in read_at.items():
        n = sum(len(offsets) for offsets in places.values())
        if n > 1:
            _note(report, "duplicated", {"value": value, "at": sorted((t, p, o) for (t, p), offs in places.items() for o in offs)})

    # order: per producer and partition, the send order must be the offset order of what landed
    acked_offset = {(e.topic, e.partition, e.value): e.offset for e in acks}
    sequences: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for e in sends:
        sequences[(e.process, e.topic, e.partition)].append(e.value)
    for (process, topic, partition), sent_values in sorted(sequences.items()):
        last_value, last_offset = "", -1
        for value in sent_values:
            landed = read_at.get(value, {}).get((topic, partition))
            offset = min(landed) if landed else acked_offset.get((topic, partition, value), -1)
            if offset < 0:
                continue
            if offset < last_offset:
                _note(
                    report,
                    "reordered",
                    {
                        "producer": process,
                        "topic": topic,
                        "partition": partition,
                        "sent_first": last_value,
                        "at": last_offset,
                        "sent_then": value,
                        "landed_at": offset,
                    },
                )
            if offset > last_offset:
                last_value, last_offset = value, offset

    acknowledged: dict[tuple[str, str, int], list[tuple[float, int]]] = defaultdict(list)
    for e in history.events("commit"):
        acknowledged[(e.group, e.topic, e.partition)].append((e.time, e.offset))
    for e in history.events("committed"):
        before = [(t, offset) for t, offset in acknowledged.get((e.group, e.topic, e.partition), []) if t < e.time]
        if before and e.offset < max(before)[1]:
            last_time, last = max(before)
            _note(
                report,
                "commits_backwards",
                {
                    "group": e.group,
                    "topic": e.topic,
                    "partition": e.partition,
                    "acknowledged": last,
                    "at": last_time,
                    "read": e.offset,
                    "time": e.time,
                },
            )

    aborted = {e.txn for e in history.events("txn_abort")}
    aborted_values = {e.value for e in sends if e.txn and e.txn in aborted}
    for e in consumes:
        if e.read_committed and e.value in aborted_values:
            _note(
                report, "aborted_read", {"value": e.value, "topic": e.topic, "partition": e.partition, "offset": e.offset, "by": e.process}
            )

    _check_skipped(report, history, acks, aborted_values)
    report.failed_but_present = sum(1 for e in history.events("send_error") if e.value in read_at)
    return report


def _check_skipped(report: Report, history: History, acks: list[Any], aborted_values: set[str]) -> None:
    """Per group and partition, every acknowledged record below the highest acknowledged commit must have been
    consumed by a member of the group, at its offset."""
    members: dict[str, set[str]] = defaultdict(set)
    highest: dict[tuple[str, str, int], int] = {}
    for e in history.events("commit"):
        members[e.group].add(e.process)
        key = (e.group, e.topic, e.partition)
        highest[key] = max(highest.get(key, -1), e.offset)
    if not highest:
        return
    consumed_by: dict[tuple[str, int, int], set[str]] = defaultdict(set)  # (topic, partition, offset) -> processes
    for e in history.events("consume"):
        consumed_by[(e.topic, e.partition, e.offset)].add(e.process)
    acked_in: dict[TP, list[Any]] = defaultdict(list)
    for e in acks:
        if e.offset >= 0 and e.value not in aborted_values:
            acked_in[(e.topic, e.partition)].append(e)
    for (group, topic, partition), committed in sorted(highest.items()):
        for e in sorted(acked_in.get((topic, partition), []), key=lambda a: a.offset):
            if e.offset >= committed:
                break
            if not consumed_by.get((topic, partition, e.offset), set()) & members[group]:
                _note(
                    report,
                    "skipped",
                    {"group": group, "topic": topic, "partition": partition, "offset": e.offset, "value": e.value, "committed": committed},
                )
