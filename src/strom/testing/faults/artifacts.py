"""What a failing run leaves behind for its post-mortem: the history (replayable by the checker with its seed),
the checker's report, every broker's log files, and ZooKeeper's tree under the cluster's chroot."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from strom.testing.faults.checker import Report
from strom.testing.faults.history import History


def dump_zookeeper(connect: str, timeout: float = 10.0) -> dict[str, Any]:
    """Every znode under the chroot of `connect` (host:port/chroot): data (text when it decodes) and version."""
    from strom.cluster.zookeeper import ZkClient

    client = ZkClient(connect, session_timeout_ms=max(1000, int(timeout * 1000)))
    tree: dict[str, Any] = {}
    try:
        client.start()

        def walk(path: str) -> None:
            found = client.get(path)
            if found is None:  # deleted while we walked
                return
            data, stat = found
            text = data.decode(errors="replace") if data else None
            tree[path] = {"version": stat.version, "ephemeral_owner": stat.ephemeral_owner, "data": text}
            for child in sorted(client.children(path)):
                walk(f"{path.rstrip('/')}/{child}")

        walk("/")
    finally:
        client.close()
    return tree


def save_run(
    target: Path,
    history: History,
    report: Report,
    broker_dirs: Iterable[tuple[str, Path]] = (),
    zookeeper_connect: str | None = None,
    zookeeper_timeout: float = 10.0,
) -> Path:
    """Writes `history.jsonl`, `report.json`, `brokers/<name>/` (logs/ and the process output, not the data)
    and `zookeeper.json` under `target`; returns it. Best effort past the history: a dead ZooKeeper is noted."""
    target.mkdir(parents=True, exist_ok=True)
    history.save(target / "history.jsonl")
    (target / "report.json").write_text(report.to_json())
    for name, base in broker_dirs:
        dest = target / "brokers" / name
        dest.mkdir(parents=True, exist_ok=True)
        if (base / "logs").is_dir():
            shutil.copytree(base / "logs", dest / "logs", dirs_exist_ok=True)
        for out in base.glob("*.out"):
            shutil.copy2(out, dest / out.name)
    if zookeeper_connect is not None:
        try:
            state: Any = dump_zookeeper(zookeeper_connect, zookeeper_timeout)
        except Exception as exc:  # noqa: BLE001 - the post-mortem records why it has no tree
            state = {"error": repr(exc)}
        (target / "zookeeper.json").write_text(json.dumps(state, indent=1, sort_keys=True))
    return target
