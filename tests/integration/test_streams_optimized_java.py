"""topology.optimization=all against Kafka Streams 3.9.1 itself (jars from Maven Central). DslOptimized.java prints
describe() of each program built with `builder.build(props)` and their TopologyTestDriver outputs: they must be
the golden files the fast tests compare Strom with (tests/unit/streams/test_dsl_optimized.py). Then Java's
KafkaStreams and Strom's run the same optimized application on a Strom broker, restarted on an empty state
directory after an update to the source table's topic: the same internal topics and the same results."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from strom.testing.broker import BrokerProcess
from tests.integration.streams.test_dsl_optimized_on_broker import Latest, create_topics, internal_topics, produce, start
from tests.integration.test_streams_dsl_java import JAVA, streams_libs
from tests.unit.streams.dsl_optimized_programs import INPUTS, PROGRAMS, describe_all, run_all
from tests.unit.streams.dsl_programs import golden

pytestmark = [pytest.mark.java, pytest.mark.slow]

HERE = Path(__file__).resolve().parents[1] / "unit" / "streams"


def _java(*args: str, cwd: Path) -> str:
    cmd = ["java", "-cp", f"{streams_libs()}/*", str(JAVA / "DslOptimized.java"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd, check=True).stdout


def _ours(java: str, strom: str) -> str:
    """Java's sections for the programs Strom has, in Strom's order."""
    sections = golden(java)
    return "".join(f"=== {name}\n{sections[name]}" for name in golden(strom))


def test_golden_files_are_what_java_prints_and_strom_too(tmp_path: Path) -> None:
    described = _java("describe", cwd=tmp_path)
    assert described == (HERE / "dsl_optimized_golden.txt").read_text()
    assert set(PROGRAMS) <= set(golden(described))
    strom = describe_all()
    assert strom == _ours(described, strom)
    outputs = _java("outputs", str(INPUTS), cwd=tmp_path)
    assert outputs == (HERE / "dsl_optimized_outputs_golden.txt").read_text()
    strom = run_all()
    assert strom == _ours(outputs, strom)


def _run(bootstrap: str, java: bool, app: str, state_dir: Path) -> None:
    if java:
        _java("--broker", "opt_app", bootstrap, app, str(state_dir), "30", cwd=state_dir.parent)
        return
    streams = start(bootstrap, state_dir, app)
    try:
        time.sleep(15)
    finally:
        assert streams.close(30)


def _application(java: bool, tmp_path: Path) -> tuple[list[str], dict[str, object]]:
    app = "java-opt" if java else "strom-opt"
    with BrokerProcess() as broker:
        create_topics(broker.bootstrap)
        produce(broker.bootstrap, "opt-users", [("ann", "north"), ("bob", "north"), ("cy", "south")])
        produce(broker.bootstrap, "opt-clicks", [("c1", "ann"), ("c2", "cy"), ("c3", "ann")])
        _run(broker.bootstrap, java, app, tmp_path / f"{app}-one")
        produce(broker.bootstrap, "opt-users", [("bob", "south")])
        _run(broker.bootstrap, java, app, tmp_path / f"{app}-two")
        results: dict[str, object] = {}
        for topic, long_values in (("opt-regions", True), ("opt-click-counts", True), ("opt-enriched", False)):
            latest = Latest(broker.bootstrap, topic, long_values)
            results[topic] = latest.until({"never": 0}, timeout=5)
            latest.close()
        return [t.removeprefix(app) for t in internal_topics(broker.bootstrap, app)], results


def test_same_internal_topics_and_results_as_java_on_a_broker(tmp_path: Path) -> None:
    java = _application(True, tmp_path)
    assert java[1] == {
        "opt-regions": {"north": 1, "south": 2},
        "opt-click-counts": {"ann": 2, "cy": 1},
        "opt-enriched": {"ann": "ann@north", "cy": "cy@south"},
    }
    assert _application(False, tmp_path) == java
