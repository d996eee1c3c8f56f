"""The DSL names nodes, stores and repartition topics as Java's: describe() of each program in dsl_programs.py is
the text Kafka Streams 3.9 prints for the same program (dsl_describe_golden.txt, DslDescribe.java's output;
test_streams_dsl_java.py checks the golden file against Java)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.streams.kstream.builder import StreamsBuilder
from tests.unit.streams.dsl_programs import PROGRAMS, golden

GOLDEN = golden((Path(__file__).parent / "dsl_describe_golden.txt").read_text())
NOT_YET = {"to_extractor"}  # Java prints the extractor lambda's class name


@pytest.mark.parametrize("name", [n for n in GOLDEN if n not in NOT_YET])
def test_describe_is_javas(name: str) -> None:
    b = StreamsBuilder()
    PROGRAMS[name](b)
    assert str(b.build().describe()) == GOLDEN[name]
