"""Cold start of a Strom broker for a test suite: from nothing to the first record acknowledged, in-process
(strom.testing.embedded) vs a broker process (strom.testing.broker), each in a fresh interpreter so the
import of Strom is counted where a test session would pay it.

    python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
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
broker.close()
print(f"{{t_up - t0:.3f}} {{(t_acked - t0) - (t_client - t_up):.3f}}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"inprocess": [], "subprocess": []}
    for _ in range(args.runs):
        for mode in results:
            out = subprocess.run([sys.executable, "-c", PROBE.format(mode=mode)], capture_output=True, text=True, check=True)
            up, acked = map(float, out.stdout.split()[-2:])
            results[mode].append((up, acked))
            print(f"{mode:10} broker up {up:.3f} s, first record acknowledged {acked:.3f} s", flush=True)
    print("\n| mode | broker up (median) | first produce acknowledged (median) |\n|---|---|---|")
    for mode, runs in results.items():
        print(f"| {mode} | {statistics.median(r[0] for r in runs):.2f} s | {statistics.median(r[1] for r in runs):.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
