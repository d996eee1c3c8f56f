"""Strom's JsonConverter against Kafka 3.9's own (connect-json from Maven Central, run by JsonGolden.java):
the golden file the unit tests use is what Kafka writes today, and Kafka reads generated Strom bytes back into the
same data (it writes them again byte for byte)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.connect.data import Schema, Struct
from strom.testing.apache_kafka import kafka_libs
from tests.unit.connect.test_json_converter import GOLDEN_FILE, converter, schema_and_value

pytestmark = [pytest.mark.java, pytest.mark.slow]

GOLDEN_SOURCE = Path(__file__).parent / "connect_java" / "JsonGolden.java"


def run_java(tmp_path: Path, args: list[str], stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["java", "-cp", f"{kafka_libs()}/*", str(GOLDEN_SOURCE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=True,
    )
    return proc.stdout


def test_golden_file_is_what_kafka_writes(tmp_path: Path) -> None:
    assert run_java(tmp_path, []) == GOLDEN_FILE.read_text()


def _has_multi_entry_map(value: Any) -> bool:
    if isinstance(value, dict):
        return len(value) > 1 or any(_has_multi_entry_map(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_multi_entry_map(v) for v in value)
    if isinstance(value, Struct):
        return any(_has_multi_entry_map(value.get_without_default(f)) for f in value.schema.fields())
    return False


def test_kafka_reads_and_rewrites_generated_strom_bytes(tmp_path: Path) -> None:
    """Byte for byte, except where Kafka cannot be: it reads maps into a HashMap (other entry order), and Java 17's
    Float/Double.toString sometimes prints a digit more than the shortest (JDK-4511638, fixed in Java 19), which
    Strom writes as Java 19+ does. There the data Kafka wrote must read back equal to the data Strom wrote."""
    cases: list[tuple[str, bytes, bool]] = []

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(schema_and_value(), st.sampled_from(["BASE64", "NUMERIC"]))
    def collect(sv: tuple[Schema, Any], decimal_format: str) -> None:
        schema, value = sv
        data = converter(decimal_format=decimal_format).from_connect_data("t", schema, value)
        if data is not None:
            loose = _has_multi_entry_map(value) or b'"type":"float"' in data or b'"type":"double"' in data
            cases.append((decimal_format, data, loose))

    collect()
    lines = "".join(f"true {fmt} {data.hex()}\n" for fmt, data, _ in cases)
    answers = run_java(tmp_path, ["echo"], lines).splitlines()
    assert len(answers) == len(cases)
    mismatches = []
    exact = 0
    for (fmt, data, loose), answer in zip(cases, answers, strict=True):
        if answer == data.hex():
            exact += 1
            continue
        if loose and not answer.startswith("error"):
            c = converter(decimal_format=fmt)
            if c.to_connect_data("t", bytes.fromhex(answer)) == c.to_connect_data("t", data):
                continue
        mismatches.append((data, answer))
    shown = [f"strom: {d.decode()}\nkafka: {a if a.startswith('error') else bytes.fromhex(a).decode()}" for d, a in mismatches[:5]]
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ:\n" + "\n".join(shown)
    assert exact > len(cases) // 2, (exact, len(cases))
