"""Cold start of a Strom broker for a test suite: from nothing to the first record acknowledged, in-process
(strom.testing.embedded) vs a broker process (strom.testing.broker), each in a fresh interpreter so the
import of Strom is counted where a test session would pay it; then one more broker in the same session (what
kafka_broker_factory and kafka_cluster start). The time of importing confluent-kafka is left out. CPU
seconds until the first acknowledgement (both processes for a subprocess broker) are reported too: on a
shared machine wall-clock times grow with everyone else's load, CPU seconds much less.

Python's bytecode cache is on in the probes (PYTHONDONTWRITEBYTECODE is removed from their environment) and
one unreported run writes it first, as `pip install` does: without it every module is compiled from source
on each start, which no installed Strom does.

    python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

PROBE = r"""
import time
t0 = time.perf_counter()
mode = {mode!r}
if mode == "inprocess":
    from strom.testing.embedded import EmbeddedBroker as B
else:
    from strom.testing.broker import BrokerProcess as B
broker = B().start()
t_up = time.perf_counter()
from confluent_kafka import Producer
t_client = time.perf_counter()
p = Producer({{"bootstrap.servers": broker.bootstrap, "linger.ms": 0}})
acked = []
p.produce("cold-start", b"x", on_delivery=lambda err, msg: acked.append(err))
p.flush(30)
t_acked = time.perf_counter()
assert acked == [None], acked
cpu = time.process_time()  # this process, every thread: the in-process broker's start-up included
if mode == "subprocess":  # plus the broker process's, so far
    import pathlib
    cpu += sum(int((t / "schedstat").read_text().split()[0]) for t in pathlib.Path(f"/proc/{{broker.proc.pid}}/task").iterdir()) / 1e9
t1 = time.perf_counter()
second = B().start()  # a kafka_broker_factory broker, once Strom is loaded
t_second = time.perf_counter() - t1
second.close()
broker.close()
print(f"{{t_up - t0:.3f}} {{(t_acked - t0) - (t_client - t_up):.3f}} {{t_second:.3f}} {{cpu:.3f}}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float, float, float]]] = {"inprocess": [], "subprocess": []}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for mode in results:  # writes the bytecode cache
        subprocess.run([sys.executable, "-c", PROBE.format(mode=mode)], capture_output=True, text=True, check=True, env=env)
    for _ in range(args.runs):
        for mode in results:
            out = subprocess.run([sys.executable, "-c", PROBE.format(mode=mode)], capture_output=True, text=True, check=True, env=env)
            up, acked, second, cpu = map(float, out.stdout.split()[-4:])
            results[mode].append((up, acked, second, cpu))
            print(f"{mode:10} up {up:.3f} s, first ack {acked:.3f} s (CPU {cpu:.3f} s), another broker {second:.3f} s", flush=True)
    print("\n| mode | broker up | first produce acknowledged | CPU until then | another broker in the same session |")
    print("|---|---|---|---|---|")
    for mode, runs in results.items():
        up, acked, second, cpu = (statistics.median(r[i] for r in runs) for i in range(4))
        print(f"| {mode} | {up:.2f} s | {acked:.2f} s | {cpu:.2f} s | {second:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
