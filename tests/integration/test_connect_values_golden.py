"""Strom's SimpleHeaderConverter against Kafka 3.9's (ValuesGolden.java with Kafka's jars from Maven Central):
the bytes written for each value and the schema inferred for each text of tests/unit/connect/test_values.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from strom.connect.converters import SimpleHeaderConverter
from strom.testing.apache_kafka import kafka_libs
from tests.unit.connect.test_values import READ, WRITTEN, _describe

pytestmark = [pytest.mark.java, pytest.mark.slow]

SOURCE = Path(__file__).parent / "connect_java" / "ValuesGolden.java"


def test_header_values_as_kafkas(tmp_path: Path) -> None:
    texts = [text for text, _, _ in READ]
    proc = subprocess.run(
        ["java", "-cp", f"{kafka_libs()}/*", str(SOURCE), *texts], capture_output=True, text=True, timeout=300, cwd=tmp_path, check=True
    )
    lines = proc.stdout.splitlines()
    written = [bytes.fromhex(line.split(" ", 1)[1]) for line in lines if line.startswith("written ")]
    read = [line.split(" ", 1)[1] for line in lines if line.startswith("read ")]
    h = SimpleHeaderConverter()
    assert written == [h.from_connect_header("t", "h", schema, value) for schema, value, _ in WRITTEN]
    assert read == [_describe(h.to_connect_header("t", "h", text.encode()).schema) for text in texts]
