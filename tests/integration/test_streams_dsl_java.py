"""Kafka Streams 3.9 itself (jars from Maven Central) against Strom's DSL. DslDescribe.java prints describe() of
the programs in tests/unit/streams/dsl_programs.py; DslOutputs.java runs the programs of dsl_output_programs.py
in Java's TopologyTestDriver on dsl_inputs.txt. Their output must be the golden files the fast tests compare
Strom with (node/store/topic names; output keys, values, window bounds, timestamps and order)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from strom.testing.apache_kafka import CACHE, KAFKA_VERSION, KafkaUnavailable, _exclusive, _maven, _tail
from tests.unit.streams.dsl_output_programs import INPUTS, run_all

pytestmark = [pytest.mark.java, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
JAVA = ROOT / "integration" / "streams_java"
DESCRIBE_GOLDEN = ROOT / "unit" / "streams" / "dsl_describe_golden.txt"
OUTPUTS_GOLDEN = ROOT / "unit" / "streams" / "dsl_outputs_golden.txt"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strom.testing</groupId><artifactId>kafka-streams-dist</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams-test-utils</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
"""


def streams_libs(version: str = KAFKA_VERSION) -> Path:
    """kafka-streams, its test-utils (TopologyTestDriver) and their dependencies (RocksDB JNI), fetched once."""
    home = CACHE / f"kafka-streams-{version}"
    libs = home / "libs"
    with _exclusive(home):
        if (home / ".complete").exists():
            return libs
        (home / "pom.xml").write_text(_POM.format(v=version))
        proc = _maven(["dependency:copy-dependencies", f"-DoutputDirectory={libs}"], home)
        if proc.returncode != 0 or not any(libs.glob("kafka-streams-test-utils-*.jar")):
            raise KafkaUnavailable(f"Maven could not fetch kafka-streams-test-utils {version}: {_tail(proc)}")
        (home / ".complete").write_text("ok\n")
        return libs


def _java(source: str, *args: str, cwd: Path) -> str:
    proc = subprocess.run(
        ["java", "-cp", f"{streams_libs()}/*", str(JAVA / source), *args], capture_output=True, text=True, timeout=600, cwd=cwd, check=True
    )
    return proc.stdout


def test_describe_golden_file_is_what_java_prints(tmp_path: Path) -> None:
    assert _java("DslDescribe.java", cwd=tmp_path).split("=== to_extractor")[0] == DESCRIBE_GOLDEN.read_text().split("=== to_extractor")[0]


def test_outputs_golden_file_is_what_java_gives_and_strom_too(tmp_path: Path) -> None:
    java = _java("DslOutputs.java", str(INPUTS), cwd=tmp_path)
    assert java == OUTPUTS_GOLDEN.read_text()
    assert run_all() == java
