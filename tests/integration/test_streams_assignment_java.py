"""Kafka Streams 3.9.1's own SubscriptionInfo / AssignmentInfo (jars from Maven Central) against Strom's codec:
the golden file the fast tests compare Strom's bytes with is what Java writes, and Java decodes what Strom writes
(the golden cases and seeded random ones) to the fields Strom put in."""

from __future__ import annotations

import random
import subprocess
import uuid
from pathlib import Path

import pytest

from strom.streams.runtime.assignment_info import AssignmentInfo, SubscriptionInfo
from tests.integration.test_streams_dsl_java import streams_libs
from tests.unit.streams.runtime.test_assignment_info import GOLDEN, strom_cases

pytestmark = [pytest.mark.java, pytest.mark.slow]

SOURCE = Path(__file__).resolve().parent / "streams_java" / "AssignmentGolden.java"


def _java(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["java", "-cp", f"{streams_libs()}/*", str(SOURCE), *args], capture_output=True, text=True, timeout=600, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _tps(tps: list[tuple[str, int]]) -> str:
    return "[" + ",".join(sorted(f"{t}-{p}" for t, p in tps)) + "]"


def _java_map(m: dict[str, object]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in m.items()) + "}"


def describe_sub(name: str, s: SubscriptionInfo) -> str:
    sums = _java_map({f"{t[0]}_{t[1]}": v for t, v in sorted(s.task_offset_sums.items())})
    endpoint = s.endpoint or "null"
    tags = _java_map(dict(sorted(s.client_tags.items())))
    head = f"{name} v={s.version} latest={s.latest_supported_version} pid={s.process_id}"
    return f"{head} endpoint={endpoint} sums={sums} error={s.error_code} tags={tags}"


def describe_asg(name: str, a: AssignmentInfo) -> str:
    active = "[" + ", ".join(f"{s}_{p}" for s, p in a.active_tasks) + "]"
    standby = "{" + ",".join(f"{s}_{p}={_tps(v)}" for (s, p), v in sorted(a.standby_tasks.items())) + "}"

    def hosts(m: dict[str, list[tuple[str, int]]]) -> str:
        return "{" + ",".join(sorted(f"{h}={_tps(v)}" for h, v in m.items())) + "}"

    standby_hosts = hosts(a.standby_partitions_by_host) if a.version >= 6 else "{}"
    return (
        f"{name} v={a.version} common={a.commonly_supported_version} active={active} standby={standby} hosts={hosts(a.partitions_by_host)}"
        f" standbyHosts={standby_hosts} error={a.error} next={a.next_rebalance_ms}"
    )


def random_cases(rng: random.Random, n: int = 40) -> dict[str, tuple[str, bytes, str]]:
    topics = ["words", "clicks", "app-store-repartition", "ümlaut-topic", "t" * 200]
    out: dict[str, tuple[str, bytes, str]] = {}
    for i in range(n):
        sums = {(rng.randrange(8), rng.randrange(64)): rng.choice([-2, 0, rng.randrange(1 << 40)]) for _ in range(rng.randrange(12))}
        endpoint = f"h{i}:{rng.randrange(1, 65535)}" if i % 3 else ""
        s = SubscriptionInfo(uuid.UUID(int=rng.getrandbits(128)), sums, endpoint, 11, 11, i % 100, 0)
        out[f"rsub{i}"] = ("sub", s.encode(), describe_sub(f"rsub{i}", s))
        hosts = {
            f"host{j}:{8000 + j}": sorted({(rng.choice(topics), rng.randrange(50)) for _ in range(rng.randrange(6))})
            for j in range(rng.randrange(4))
        }
        a = AssignmentInfo(
            active_tasks=sorted((rng.randrange(5), rng.randrange(50)) for _ in range(rng.randrange(6))),
            standby_tasks={(rng.randrange(5), rng.randrange(50)): [(rng.choice(topics), 1)] for _ in range(rng.randrange(4))},
            partitions_by_host=hosts,
            standby_partitions_by_host=dict(reversed(list(hosts.items()))),
            next_rebalance_ms=rng.choice([0, 2**63 - 1, rng.randrange(1 << 42)]),
        )
        out[f"rasg{i}"] = ("asg", a.encode(), describe_asg(f"rasg{i}", a))
    return out


def test_golden_file_is_what_java_writes(tmp_path: Path) -> None:
    assert _java("write", cwd=tmp_path) == GOLDEN.read_text()


def test_java_decodes_what_strom_writes(tmp_path: Path) -> None:
    cases = {name: (kind, data, "") for name, (kind, data) in strom_cases().items()}
    cases.update(random_cases(random.Random(20261207)))
    listing = tmp_path / "strom.txt"
    listing.write_text("".join(f"{kind} {name} {data.hex()}\n" for name, (kind, data, _) in cases.items()))
    lines = _java("read", str(listing), cwd=tmp_path).splitlines()
    by_name = {line.split(" ", 1)[0]: line for line in lines}
    assert len(by_name) == len(cases)
    for name, (kind, data, want) in cases.items():
        decoded = SubscriptionInfo.decode(data) if kind == "sub" else AssignmentInfo.decode(data)
        expected = want or (describe_sub(name, decoded) if isinstance(decoded, SubscriptionInfo) else describe_asg(name, decoded))
        assert by_name[name] == expected
