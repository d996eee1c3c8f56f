"""Changelog records as the stores restore them: one consumed list split into each partition's run, each run
turned into a RestoreBatch (keys, values, timestamps columns) without a Python-level loop per record.

A restore hands a store hundreds of thousands of records a second; a Python loop calling six accessors per
record was most of the restore's time. Here every column is taken with map() over the accessor (a C loop), and
the runs are found where the partition changes: the consumer hands out each fetched partition's records
together, in offset order, so a list holds a few long runs.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import islice
from operator import itemgetter, ne, or_
from typing import Any

from strom.protocol.types import TP
from strom.streams.state.restore_batch import RestoreBatch

_timestamp = itemgetter(1)


def split_runs(messages: list[Any]) -> list[tuple[TP, list[Any]]]:
    """The list as (partition, its consecutive messages) runs, errors (consumer events) left out."""
    if not messages:
        return []
    message = type(messages[0])  # the compiled Message, or the pure-Python one without the extensions
    errors = list(map(message.error, messages))
    if errors.count(None) != len(errors):
        messages = [m for m, e in zip(messages, errors, strict=True) if e is None]
        if not messages:
            return []
    n = len(messages)
    topics = list(map(message.topic, messages))
    parts = list(map(message.partition, messages))
    if parts.count(parts[0]) == n and topics.count(topics[0]) == n:
        return [((topics[0] or "", parts[0] or 0), messages)]
    changes = list(map(or_, map(ne, parts, islice(parts, 1, None)), map(ne, topics, islice(topics, 1, None))))
    runs: list[tuple[TP, list[Any]]] = []
    i = 0
    while i < n:
        try:
            j = changes.index(True, i) + 1
        except ValueError:
            j = n
        runs.append(((topics[i] or "", parts[i] or 0), messages[i:j]))
        i = j
    return runs


def restore_records(messages: list[Any], end: int | None) -> tuple[RestoreBatch, int] | None:
    """One partition's run as a RestoreBatch of the records before `end` (None: all), keyless ones left out (a
    changelog record always has a key), and the last offset read. None when nothing is before `end`."""
    message = type(messages[0])
    offsets: list[int] = list(map(message.offset, messages))
    if end is not None and offsets[-1] >= end:
        cut = bisect_left(offsets, end)  # a partition's offsets ascend
        if cut == 0:
            return None
        messages, offsets = messages[:cut], offsets[:cut]
    keys = list(map(message.key, messages))
    batch = RestoreBatch(keys, list(map(message.value, messages)), list(map(_timestamp, map(message.timestamp, messages))))
    if None in keys:
        batch = batch.select([k is not None for k in keys])
    return batch, offsets[-1]
