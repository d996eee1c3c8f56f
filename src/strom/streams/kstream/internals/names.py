"""Node and store name prefixes, as Java's KStreamImpl / KTableImpl / KGroupedStreamImpl name them."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

SOURCE_NAME = "KSTREAM-SOURCE-"
SINK_NAME = "KSTREAM-SINK-"
REPARTITION_TOPIC_SUFFIX = "-repartition"
BRANCH_NAME = "KSTREAM-BRANCH-"
FILTER_NAME = "KSTREAM-FILTER-"
PEEK_NAME = "KSTREAM-PEEK-"
FLATMAP_NAME = "KSTREAM-FLATMAP-"
FLATMAPVALUES_NAME = "KSTREAM-FLATMAPVALUES-"
JOINTHIS_NAME = "KSTREAM-JOINTHIS-"
JOINOTHER_NAME = "KSTREAM-JOINOTHER-"
JOIN_NAME = "KSTREAM-JOIN-"
LEFTJOIN_NAME = "KSTREAM-LEFTJOIN-"
MAP_NAME = "KSTREAM-MAP-"
MAPVALUES_NAME = "KSTREAM-MAPVALUES-"
MERGE_NAME = "KSTREAM-MERGE-"
OUTERTHIS_NAME = "KSTREAM-OUTERTHIS-"
OUTEROTHER_NAME = "KSTREAM-OUTEROTHER-"
OUTERSHARED_NAME = "KSTREAM-OUTERSHARED-"
PROCESSOR_NAME = "KSTREAM-PROCESSOR-"
PROCESSVALUES_NAME = "KSTREAM-PROCESSVALUES-"
PRINTING_NAME = "KSTREAM-PRINTER-"
KEY_SELECT_NAME = "KSTREAM-KEY-SELECT-"
WINDOWED_NAME = "KSTREAM-WINDOWED-"
FOREACH_NAME = "KSTREAM-FOREACH-"
REPARTITION_NAME = "KSTREAM-REPARTITION-"
TO_KTABLE_NAME = "KSTREAM-TOTABLE-"
STREAM_AGGREGATE_NAME = "KSTREAM-AGGREGATE-"
STREAM_REDUCE_NAME = "KSTREAM-REDUCE-"

TABLE_SOURCE_NAME = "KTABLE-SOURCE-"
TABLE_FILTER_NAME = "KTABLE-FILTER-"
TABLE_JOINTHIS_NAME = "KTABLE-JOINTHIS-"
TABLE_JOINOTHER_NAME = "KTABLE-JOINOTHER-"
TABLE_MAPVALUES_NAME = "KTABLE-MAPVALUES-"
TABLE_MERGE_NAME = "KTABLE-MERGE-"
TABLE_SELECT_NAME = "KTABLE-SELECT-"
TABLE_SUPPRESS_NAME = "KTABLE-SUPPRESS-"
TABLE_TOSTREAM_NAME = "KTABLE-TOSTREAM-"
TABLE_AGGREGATE_NAME = "KTABLE-AGGREGATE-"
TABLE_REDUCE_NAME = "KTABLE-REDUCE-"
TABLE_SOURCE_SUFFIX = "-source"

COGROUP_AGGREGATE_NAME = "COGROUPKSTREAM-AGGREGATE-"
COGROUP_MERGE_NAME = "COGROUPKSTREAM-MERGE-"

_GENERATED = re.compile(r"KSTREAM.*-[0-9]{10}")


def is_generated(name: str) -> bool:
    return _GENERATED.fullmatch(name) is not None


def arity(fn: Callable[..., Any]) -> int:
    """How many positional arguments a user function takes (Java picks ValueMapper or ValueMapperWithKey by type)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return -1
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return -1
    return sum(
        1 for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def with_key(fn: Callable[..., Any], plain: int) -> Callable[..., Any]:
    """A function taking the key first: `fn` as is when it takes plain + 1 arguments, else wrapped to drop the key."""
    if arity(fn) == plain + 1:
        return fn
    return lambda key, *args: fn(*args)
