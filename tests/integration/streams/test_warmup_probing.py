"""KIP-441 on a broker: a second instance joins a stateful word count whose store is far bigger than
`acceptable.recovery.lag`. The stateful task stays on its caught-up owner, which keeps processing, while the
newcomer builds a warm-up replica; the probing rebalance (`probing.rebalance.interval.ms`, at least a minute)
moves the task once the warm-up has caught up, and the newcomer then restores only the tail."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.testing.broker import BrokerProcess
from tests.unit.streams.dsl_output_programs import CONFIG, PROGRAMS

pytestmark = pytest.mark.slow

APP = "warmup-wordcount"
STATEFUL = {"1_0", "1_1"}


def _produce(bootstrap: str, start: int, n: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + n):
        p.produce("in", " ".join(f"k{i}x{j}" for j in range(5)).encode(), key=str(i).encode())
    p.flush(30)
    p.close()


def _instance(broker: BrokerProcess, state_dir: Path) -> KafkaStreams:
    b = StreamsBuilder()
    PROGRAMS["wordcount"](b)
    config: dict[str, Any] = {
        **CONFIG,
        "application.id": APP,
        "bootstrap.servers": broker.bootstrap,
        "state.dir": str(state_dir),
        "commit.interval.ms": 200,
        "statestore.cache.max.bytes": 0,
        "acceptable.recovery.lag": 100,
        "max.warmup.replicas": 1,
        "probing.rebalance.interval.ms": 60000,
    }
    return KafkaStreams(b.build(), config)


def _tasks(streams: KafkaStreams) -> tuple[set[str], set[str]]:
    active = {str(t) for th in streams.threads for t in th.task_manager.active}
    standby = {str(t) for th in streams.threads for t in th.task_manager.standby}
    return active, standby


def _wait(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return bool(cond())


def _count_output(bootstrap: str) -> int:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.monotonic()}", "auto.offset.reset": "earliest"})
    c.subscribe(["out"])
    n, idle = 0, time.monotonic() + 3
    while time.monotonic() < idle:
        got = [m for m in c.consume(1000, 0.3) if m.error() is None]
        if got:
            n += len(got)
            idle = time.monotonic() + 2
    c.close()
    return n


def test_the_stateful_task_moves_only_after_the_newcomers_warmup_caught_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="org.apache.kafka.streams.processor.internals.StoreChangelogReader")
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("in", 2, 1), NewTopic("out", 1, 1)]).values():
            f.result(30)
        admin.close()
        _produce(broker.bootstrap, 0, 3000)  # 15000 counts: the changelog is far beyond acceptable.recovery.lag
        with _instance(broker, tmp_path / "a") as a:
            a.start()
            assert _wait(lambda: _tasks(a)[0] == {"0_0", "0_1"} | STATEFUL, 60)
            assert _wait(lambda: _count_output(broker.bootstrap) >= 15000, 120)
            with _instance(broker, tmp_path / "b") as b:
                samples: list[set[str]] = []
                sampling = threading.Event()

                def sample() -> None:  # a's active tasks, every 20 ms, through the (cooperative) rebalance
                    while not sampling.is_set():
                        samples.append(_tasks(a)[0])
                        time.sleep(0.02)

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                b.start()
                joined = time.monotonic()
                # the newcomer gets stateless tasks and a warm-up of one stateful task; both stateful ones stay on a
                assert _wait(lambda: len(_tasks(b)[1] & STATEFUL) == 1, 60), (_tasks(a), _tasks(b))
                time.sleep(1)
                sampling.set()
                sampler.join(5)
                # cooperative: the tasks that stay on a were never suspended (an eager rebalance revokes them all)
                assert samples and all(STATEFUL <= s for s in samples), [sorted(s) for s in samples if not STATEFUL <= s][:3]
                warm = next(iter(_tasks(b)[1] & STATEFUL))
                assert _tasks(a)[0] >= STATEFUL and not _tasks(b)[0] & STATEFUL, (_tasks(a), _tasks(b))
                before = _count_output(broker.bootstrap)
                _produce(broker.bootstrap, 3000, 200)  # a keeps counting meanwhile
                assert _wait(lambda: _count_output(broker.bootstrap) >= before + 1000, 60)
                assert _tasks(a)[0] >= STATEFUL and not _tasks(b)[0] & STATEFUL
                # the probing rebalance, a minute after the assignment with the warm-up, hands the task over
                assert _wait(lambda: warm in _tasks(b)[0], 150), (_tasks(a), _tasks(b))
                moved_after = time.monotonic() - joined
                assert moved_after >= 45, moved_after  # not before the probing rebalance
                assert warm not in _tasks(a)[0] and len(_tasks(a)[0] & STATEFUL) == 1
                changelog = f"{APP}-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog-{warm.split('_')[1]}"
                from_zero = [
                    r.getMessage()
                    for r in caplog.records
                    if r.threadName.startswith(b.client_id) and f"changelog {changelog} from offset 0 " in r.getMessage()
                ]
                assert not from_zero  # the warm-up had the state: the new active restores the tail at most
                _produce(broker.bootstrap, 3200, 200)
                total = 15000 + 2000
                assert _wait(lambda: _count_output(broker.bootstrap) >= total, 120)
