"""Each DSL program of dsl_output_programs.py gives, in Strom's TopologyTestDriver, the output records (keys,
values, window bounds, timestamps, in order) Java's TopologyTestDriver gives for the same program and input
(dsl_outputs_golden.txt; test_streams_dsl_java.py checks the golden file against Kafka Streams 3.9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.streams.dsl_output_programs import PROGRAMS, run

GOLDEN = (Path(__file__).parent / "dsl_outputs_golden.txt").read_text()


def _section(name: str) -> list[str]:
    lines = GOLDEN.splitlines()
    start = lines.index(f"=== {name}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("=== ")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_outputs_are_javas(name: str) -> None:
    assert run(name) == _section(name)
