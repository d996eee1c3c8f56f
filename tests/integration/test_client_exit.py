"""Exit hygiene of the sync clients, seen as a user sees it: small programs run in a subprocess, their stderr
read. confluent-style code never closes its clients; Ctrl-C must surface from the user's own line; a dropped
producer must give its thread back."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.broker import BrokerProcess, free_port

PROGRAMS = {
    "never_close": """
        a = strom.AdminClient({"bootstrap.servers": bootstrap})
        a.create_topics([strom.NewTopic("exit-check", 1, 1)])["exit-check"].result(20)
        p = strom.Producer({"bootstrap.servers": bootstrap})
        p.produce("exit-check", b"v")
        p.flush(20)
        c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": "exit-check", "auto.offset.reset": "earliest"})
        c.subscribe(["exit-check"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and c.poll(0.5) is None:
            pass
        print("consumed", flush=True)
    """,
    "poll_interrupted": """
        c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": "exit-check-2"})
        c.subscribe(["exit-check"])
        print("ready", flush=True)
        try:
            while True:
                c.poll(1.0)
        finally:
            c.close()
    """,
    "flush_interrupted": """
        p = strom.Producer({"bootstrap.servers": bootstrap, "error_cb": lambda e: None})
        p.produce("exit-check", b"v")
        print("ready", flush=True)
        p.flush()
    """,
    "dropped": """
        before = threading.active_count()
        for _ in range(3):
            p = strom.Producer({"bootstrap.servers": bootstrap})
            p.produce("exit-check", b"v")
            p.flush(20)
            del p
            a = strom.AdminClient({"bootstrap.servers": bootstrap})
            del a
            c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": "exit-check-3"})
            del c
        gc.collect()
        time.sleep(0.5)
        print("threads", before, threading.active_count(), flush=True)
    """,
}


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = BrokerProcess().start()
    yield broker.bootstrap
    broker.close()


def run(tmp_path: Path, name: str, bootstrap: str, interrupt: bool = False) -> tuple[int, str, str]:
    script = tmp_path / f"{name}.py"
    header = f"import gc, sys, threading, time\nimport strom\nbootstrap = {bootstrap!r}\n"
    script.write_text(header + textwrap.dedent(PROGRAMS[name]))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a terminal's foreground job gets Ctrl-C even when the suite itself runs with SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if interrupt:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(2)
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_clients_never_closed_exit_quietly(tmp_path: Path, bootstrap: str) -> None:
    code, out, err = run(tmp_path, "never_close", bootstrap)
    assert code == 0 and "consumed" in out, err
    assert "Task was destroyed" not in err and "Traceback" not in err and "Exception" not in err, err


@pytest.mark.parametrize("name", ["poll_interrupted", "flush_interrupted"])
def test_ctrl_c_surfaces_from_the_users_line(tmp_path: Path, bootstrap: str, name: str) -> None:
    """KeyboardInterrupt, with one frame of Strom's (the API call) under the user's own line; close() after it
    leaves nothing pending."""
    code, _, err = run(tmp_path, name, bootstrap if name == "poll_interrupted" else f"127.0.0.1:{free_port()}", interrupt=True)
    assert code != 0 and err.rstrip().endswith("KeyboardInterrupt"), err
    frames = re.findall(r'File "([^"]+)", line \d+', err)
    assert frames and frames[0].endswith(f"{name}.py"), err
    assert len(frames) <= 2, err  # before: 7 (poll) and 6 (flush) frames of Strom and threading internals
    assert "Task was destroyed" not in err, err


def test_dropped_clients_give_their_threads_back(tmp_path: Path, bootstrap: str) -> None:
    code, out, err = run(tmp_path, "dropped", bootstrap)
    assert code == 0, err
    before, after = (int(n) for n in out.split()[1:3])
    assert after == before, out
    assert "Task was destroyed" not in err, err
