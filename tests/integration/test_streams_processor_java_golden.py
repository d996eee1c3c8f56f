"""Kafka Streams 3.9 itself (jars from Maven Central) against Strom's Processor API: Topology.describe() text and
serde bytes. ProcessorApiGolden.java builds the topologies of tests/unit/streams/test_topology.py; its output must
be the golden file those fast tests compare Strom's describe() with, and its serializer bytes Strom's."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from strom.streams.serdes import Serde, Serdes, WindowedSerdes
from strom.streams.windowed import SessionWindow, TimeWindow, Windowed
from strom.testing.apache_kafka import kafka_libs, kafka_streams_jar
from tests.integration.test_streams_dsl_java import streams_libs

pytestmark = [pytest.mark.java, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "integration" / "streams_java" / "ProcessorApiGolden.java"
GOLDEN = ROOT / "unit" / "streams" / "processor_api_golden.txt"


@pytest.fixture(scope="module")
def java_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    classpath = f"{kafka_streams_jar()}:{kafka_libs()}/*"
    proc = subprocess.run(
        ["java", "-cp", classpath, str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path_factory.mktemp("java"),
        check=True,
    )
    return proc.stdout


def test_golden_file_is_what_java_prints(java_output: str) -> None:
    assert java_output == GOLDEN.read_text()


def _hex(serde: Serde, value: object) -> str:
    data = serde.serializer().serialize("t", value)
    assert data is not None
    return data.hex()


def test_serde_bytes_equal_javas(java_output: str) -> None:
    java = dict(line.split(" ")[1:3] for line in java_output.splitlines() if line.startswith("serde "))
    ours = {
        "string": _hex(Serdes.String(), "hé llo"),
        "long": _hex(Serdes.Long(), -2),
        "long_max": _hex(Serdes.Long(), (1 << 63) - 1),
        "integer": _hex(Serdes.Integer(), 123456789),
        "short": _hex(Serdes.Short(), -300),
        "float": _hex(Serdes.Float(), 3.14),
        "double": _hex(Serdes.Double(), -0.1),
        "boolean": _hex(Serdes.Boolean(), True),
        "bytes": _hex(Serdes.ByteArray(), b"\x00\x01\xff"),
        "uuid": _hex(Serdes.UUID(), uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")),
        "list_integer": _hex(Serdes.ListSerde(Serdes.Integer()), [1, None, -3]),
        "list_string": _hex(Serdes.ListSerde(Serdes.String()), ["a", None, "bcd"]),
        "list_empty": _hex(Serdes.ListSerde(Serdes.Long()), []),
        "time_windowed": _hex(
            WindowedSerdes.time_windowed_serde_from(Serdes.String(), 60000), Windowed("word", TimeWindow(1700000000000, 1700000060000))
        ),
        "session_windowed": _hex(WindowedSerdes.session_windowed_serde_from(Serdes.Long()), Windowed(42, SessionWindow(1000, 5000))),
    }
    assert ours == java
    # and Java's bytes read back to the same values
    assert Serdes.Float().deserializer().deserialize("t", bytes.fromhex(java["float"])) == pytest.approx(3.14)
    back = (
        WindowedSerdes.session_windowed_serde_from(Serdes.Long()).deserializer().deserialize("t", bytes.fromhex(java["session_windowed"]))
    )
    assert back == Windowed(42, SessionWindow(1000, 5000))


def test_punctuation_golden_is_what_javas_topology_test_driver_gives(tmp_path: Path) -> None:
    """tests/unit/streams/test_punctuation.py replays the same scenario on Strom's driver against this file."""
    proc = subprocess.run(
        ["java", "-cp", f"{streams_libs()}/*", str(ROOT / "integration" / "streams_java" / "PunctuationGolden.java")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=True,
    )
    assert proc.stdout == (ROOT / "unit" / "streams" / "punctuation_golden.txt").read_text()
