"""The per-class fault campaigns of docs/RELIABILITY.md: N cycles of each fault class against Strom and against
Apache Kafka in ZooKeeper mode, each class its own run of tests/faults/test_campaign.py (STROM_FAULT_CLASS: one
cluster, one topic, one history, one verdict), under `nice -n 10`; then the table of every
campaign-<class>-<system>.json found in the artifacts directory. Needs root (network namespaces).

    python bench/fault_classes.py run --systems strom,3.9.1 --cycles 100 [--classes zombie-leader,flap:1.0]
    python bench/fault_classes.py table [--artifacts DIR]

A class is `name[:hold]`: hold scales the seeded fault hold times (default 0.5, so leader-from-brokers cuts
last 1-6 s); a failing run keeps its history, checker report, broker logs and ZooKeeper tree under
<artifacts>/<system>/campaign-<class>/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CLASSES = ["zombie-leader", "leader-from-brokers:1.0", "minority", "flap:1.0", "pause-leader", "pause-controller"]
ROOT = Path(__file__).resolve().parent.parent


def run(args: argparse.Namespace) -> None:
    for system in args.systems.split(","):
        out = Path(args.artifacts) / system
        out.mkdir(parents=True, exist_ok=True)
        for spec in args.classes.split(","):
            name, _, hold = spec.partition(":")
            env = dict(
                os.environ,
                STROM_SLOW="1",
                STROM_FAULT_CLASS=name,
                STROM_FAULT_CYCLES=str(args.cycles),
                STROM_FAULT_HOLD=hold or "0.5",
                STROM_FAULT_RATE=str(args.rate),
                STROM_FAULT_SEED=str(args.seed),
                STROM_FAULT_ARTIFACTS=str(out),
            )
            env.pop("STROM_FAULT_KAFKA", None)
            if system != "strom":
                env["STROM_FAULT_KAFKA"] = system
            with open(out / f"{name}.log", "w") as log:
                cmd = ["nice", "-n", "10", sys.executable, "-m", "pytest", "tests/faults/test_campaign.py", "-q", "-s", "-p", "no:randomly"]
                code = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
            print(f"{system} {name}: exit {code}", flush=True)
    table(args)


def table(args: argparse.Namespace) -> None:
    head = ["fault class", "system", "cycles", "cycle length p50", "acked", "lost", "dup", "reordered"]
    head += ["new leader p50 / max", "recovery p50 / max", "stuck", "date, load"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for path in sorted(Path(args.artifacts).glob("*/campaign-*.json")):
        s = json.loads(path.read_text())
        for kind, k in s["kinds"].items():
            leader = f"{k['p50_new_leader_s']} / {k['max_new_leader_s']} s" if "p50_new_leader_s" in k else "-"
            recovery = f"{k['p50_recovery_s']} / {k['max_recovery_s']} s" if "p50_recovery_s" in k else "-"
            load = f"{s['load_before'][1]}-{s['load_after'][1]}"
            print(
                f"| {kind} | {s['system']} | {k['cycles']} | {k['p50_cycle_s']} s | {s['acked']:,} | {s['lost']} | {s['duplicated']} "
                f"| {s['reordered']} | {leader} | {recovery} | {len(s['stuck'])} | {s['date']}, load {load} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "table"])
    parser.add_argument("--systems", default="strom,3.9.1", help="strom and/or Apache Kafka versions (ZooKeeper mode)")
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--rate", type=int, default=250, help="producer records/s")
    parser.add_argument("--seed", type=int, default=1919)
    parser.add_argument("--artifacts", default="/tmp/strom-fault-classes")
    args = parser.parse_args()
    (run if args.command == "run" else table)(args)


if __name__ == "__main__":
    main()
