"""zookeeper-server-start / zookeeper-server-stop: run Apache ZooKeeper from Debian's `zookeeper` package,
as Kafka's scripts run the ZooKeeper bundled in its tarball.

Start replaces this process with the JVM (foreground, logs on stdout) or, with -daemon, leaves it running in
the background with its output in $LOG_DIR/zookeeper.out. Every server gets a -Dstrom.zookeeper.config=<file>
marker so stop can find the ones started here (optionally only the one started with a given config file)
without touching other ZooKeepers on a shared machine.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ZK_JAR = Path(os.environ.get("STROM_ZOOKEEPER_JAR", "/usr/share/java/zookeeper.jar"))
LOGGING_JARS = [Path("/usr/share/java/slf4j-simple.jar")]  # makes ZooKeeper's slf4j logging visible, like Kafka's console appender
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
MARKER = "-Dstrom.zookeeper.config="
START_USAGE = "USAGE: zookeeper-server-start.sh [-daemon] zookeeper.properties"
ROOT = Path(__file__).resolve().parents[3]


def ensure_installed() -> bool:
    """Installs Debian's zookeeper package when missing (scripts/install-system-deps.sh), with a clear message if it cannot."""
    if ZK_JAR.exists():
        return True
    installer = ROOT / "scripts" / "install-system-deps.sh"
    print(f"[strom] ZooKeeper is not installed ({ZK_JAR} missing): installing Debian's zookeeper package", file=sys.stderr)
    if installer.exists() and subprocess.run([str(installer)]).returncode == 0 and ZK_JAR.exists():
        return True
    print("Error: ZooKeeper is not installed and could not be installed; run: sudo apt-get install zookeeper", file=sys.stderr)
    return False


def java_binary() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.exists() else None
    return shutil.which("java")


def java_command(java: str, config: Path) -> list[str]:
    classpath = ":".join(str(p) for p in [ZK_JAR, *LOGGING_JARS] if p.exists())
    heap = shlex.split(os.environ.get("KAFKA_HEAP_OPTS", "-Xmx512M -Xms512M"))
    logging = [
        "-Dorg.slf4j.simpleLogger.logFile=System.out",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss,SSS",
    ]
    extra = shlex.split(os.environ.get("KAFKA_OPTS", ""))
    return [java, *heap, *logging, *extra, f"{MARKER}{config}", "-cp", classpath, MAIN_CLASS, str(config)]


def start_main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    daemon = bool(args) and args[0] == "-daemon"
    if daemon:
        args = args[1:]
    if len(args) != 1:
        print(START_USAGE)
        return 1
    config = Path(args[0]).resolve()
    if not config.is_file() or not os.access(config, os.R_OK):
        print(f"Error: cannot read ZooKeeper config file '{args[0]}'", file=sys.stderr)
        return 1
    if not ensure_installed():
        return 1
    java = java_binary()
    if java is None:
        print("Error: java not found (set JAVA_HOME or install a JRE)", file=sys.stderr)
        return 1
    cmd = java_command(java, config)
    if not daemon:
        sys.stdout.flush()
        os.execv(java, cmd)
    log_dir = Path(os.environ.get("LOG_DIR") or ROOT / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "zookeeper.out", "ab") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    (log_dir / "zookeeper.pid").write_text(f"{proc.pid}\n")
    return 0


def our_servers(config: Path | None) -> list[int]:
    """Pids of ZooKeeper servers started by zookeeper-server-start (with `config`, if given)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv]
        if MAIN_CLASS not in words:
            continue
        markers = [w[len(MARKER) :] for w in words if w.startswith(MARKER)]
        if markers and (config is None or markers[0] == str(config)):
            pids.append(int(entry.name))
    return pids


def stop_main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    config = Path(args[0]).resolve() if args else None
    pids = our_servers(config)
    if not pids:
        print("No zookeeper server to stop")
        return 1
    sig = getattr(signal, "SIG" + os.environ.get("SIGNAL", "TERM").upper().removeprefix("SIG"), signal.SIGTERM)
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in pids):
        time.sleep(0.1)
    return 0


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True
