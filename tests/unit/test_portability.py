"""The portable twins of the Unix fast paths (strom.portability): chosen only when a capability is missing or
STROM_PORTABLE=1, each doing what its fast path does, and the fast path left exactly as it was."""

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys

import pytest

import strom.portability as portability
import strom.storage.segment as segment_module
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.segment import segment_name

pytestmark = [pytest.mark.portable, pytest.mark.skipif(sys.platform == "win32", reason="compares the twins with the Unix fast paths")]

PROBE = """
import dataclasses, json, sys
import strom.portability as p
loop = p.new_event_loop()
import strom.broker.main, strom.broker.server, strom.client.loop_thread
print(json.dumps({"caps": dataclasses.asdict(p.CAPS), "loop": type(loop).__module__,
                  "uvloop_imported": "uvloop" in sys.modules, "line": p.CAPS.describe()}))
"""


def probe(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_strom_portable_chooses_every_twin_and_never_imports_uvloop():
    got = probe({"STROM_PORTABLE": "1"})
    assert got["caps"] == {k: False for k in got["caps"]}  # type: ignore[union-attr]
    assert got["loop"] == "asyncio.unix_events" and got["uvloop_imported"] is False
    line = str(got["line"])
    assert "STROM_PORTABLE=1" in line and "event loop asyncio" in line and "copy through the transport" in line
    assert "signal.signal" in line and "byte-range lock" in line and "rename/unlink after close" in line


def test_without_it_linux_keeps_every_fast_path():
    got = probe({"STROM_PORTABLE": ""})
    assert got["caps"] == {k: True for k in got["caps"]}  # type: ignore[union-attr]
    assert got["loop"] == "uvloop" and got["uvloop_imported"] is True
    assert "event loop uvloop, fetch sendfile, append pwritev, log.dirs lock flock" in str(got["line"])


def test_the_fast_paths_are_the_os_functions_themselves():
    """No wrapper on the data path: the segment calls os.pread / os.pwrite / os.pwritev directly."""
    assert segment_module.pread is os.pread and segment_module.pwrite is os.pwrite and segment_module.pwritev is os.pwritev


def test_positional_twins_read_and_write_what_the_os_calls_do(tmp_path):
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT)
    try:
        pieces = [b"abc", bytearray(b"defg"), memoryview(b"hijklmnop")[2:]]
        assert portability._pwritev_joined(fd, pieces, 5) == 14
        assert os.pread(fd, 100, 0) == b"\0" * 5 + b"abcdefgjklmnop"
        assert portability._pwrite_seek(fd, memoryview(b"XY"), 1) == 2
        for pos, n in ((0, 4), (3, 100), (19, 5), (40, 3)):  # inside, across and past the end of the file
            assert portability._pread_seek(fd, n, pos) == os.pread(fd, n, pos)
    finally:
        os.close(fd)


def test_byte_range_lock_twin_refuses_a_second_open_until_the_first_closes(tmp_path, monkeypatch):
    monkeypatch.setattr(portability, "CAPS", dataclasses.replace(portability.CAPS, flock=False))
    first = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)
    portability.lock_exclusive(first)
    second = os.open(tmp_path / ".lock", os.O_RDWR)
    with pytest.raises(OSError):
        portability.lock_exclusive(second)
    os.close(first)
    portability.lock_exclusive(second)
    os.close(second)


def test_signal_twin_stops_the_loop_through_signal_signal(monkeypatch):
    monkeypatch.setattr(portability, "CAPS", dataclasses.replace(portability.CAPS, loop_signal_handlers=False))
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    async def main() -> None:
        stop = asyncio.Event()
        portability.install_stop_handlers(asyncio.get_running_loop(), stop.set)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), 5)

    try:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(main())
        loop.close()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def batch(tag: bytes) -> bytes:
    b = BatchBuilder()
    for i in range(20):
        b.append(tag + b"." + str(i).encode() * 20, key=b"k", timestamp=1_700_000_000_000)
    return b.build()


def test_where_open_files_cannot_be_unlinked_retention_renames_to_deleted_and_unlinks_after_close(tmp_path, monkeypatch):
    """Kafka's approach on Windows: a retired segment is renamed `.deleted` (its fds closed around the
    rename and reopened) and removed when the log closes it after file.delete.delay.ms."""
    monkeypatch.setattr(segment_module, "CAPS", dataclasses.replace(segment_module.CAPS, open_files_renamable=False))
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=2048, retention_bytes=2048), ManualClock())
    try:
        for i in range(12):
            lg.append_as_leader(batch(b"%d" % i), 0)
        assert len(lg.segments) > 3
        oldest = lg.segments[0]
        assert lg.enforce_retention(lg.clock.now_ms()) > 0
        deleted = sorted(p.name for p in (tmp_path / "t-0").glob("*.deleted"))
        assert deleted and deleted[0].startswith(f"{oldest.base_offset:020d}.")
        assert not (tmp_path / "t-0" / segment_name(oldest.base_offset, ".log")).exists()  # no live name left
        assert len(oldest.read_bytes(0, 61)) == 61 and len(os.pread(oldest.reader.fileno(), 61, 0)) == 61  # still open
        kept = [r.value for _, r in iter_all_records(lg.read_bytes(lg.log_start_offset))]
        assert kept and kept[-1] == b"11." + b"19" * 20
        assert lg.close_retired() > 0
        assert list((tmp_path / "t-0").glob("*.deleted")) == []
    finally:
        lg.close()


def test_windows_server_properties_crlf_and_drive_letter_log_dirs(tmp_path):
    """A server.properties saved by Notepad: CRLF line ends, log.dirs with drive letters, written the Java
    way (`\\\\` escapes) or with single backslashes or slashes; every form names the same directories."""
    from pathlib import PureWindowsPath

    from strom.broker.config import BrokerConfig

    path = tmp_path / "server.properties"
    path.write_bytes(b"broker.id=3\r\n# comment\r\nlog.dirs=C:\\\\kafka-logs, D:\\data,E:/more\r\nnum.partitions=2\r\n")
    config = BrokerConfig.load(path)
    assert config["broker.id"] == 3 and config["num.partitions"] == 2
    dirs = [PureWindowsPath(str(d)) for d in config.log_dirs]
    assert dirs == [PureWindowsPath("C:/kafka-logs"), PureWindowsPath("D:/data"), PureWindowsPath("E:/more")]


def test_uvloop_is_the_only_runtime_dependency_left_out_on_windows():
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[2]
    deps = [Requirement(r) for r in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]]
    on_windows = {r.name for r in deps if r.marker is None or r.marker.evaluate({"sys_platform": "win32"})}
    assert {r.name for r in deps} - on_windows == {"uvloop"}
    assert all(str(r.specifier).startswith("==") for r in deps)  # pinned, Windows wheels checked in README


def test_where_open_files_cannot_be_renamed_compaction_swaps_through_closed_handles(tmp_path, monkeypatch):
    """The cleaner's swap renames live segments (`.deleted`) and its cleaned one (`.cleaned` -> `.swap` -> live):
    with the twin each rename closes and reopens the log's fds, the old files go when the log closes them."""
    from strom.storage.cleaner import LogCleaner

    monkeypatch.setattr(segment_module, "CAPS", dataclasses.replace(segment_module.CAPS, open_files_renamable=False))
    clock = ManualClock()
    lg = PartitionLog.open(tmp_path / "c-0", LogConfig(cleanup_policy="compact", segment_bytes=300), clock)
    try:
        for i in range(40):
            b = BatchBuilder()
            b.append(b"v%d" % i, key=b"k%d" % (i % 4), timestamp=clock.now_ms())
            lg.append_as_leader(b.build(), 0)
            lg.high_watermark = lg.log_end_offset
        lg.roll()
        assert LogCleaner().clean(lg, clock.now_ms(), force=True) is not None
        assert list((tmp_path / "c-0").glob("*.log.deleted"))  # the swapped-out segments, still open
        after = {r.key: r.value for _, r in iter_all_records(lg.read_bytes(lg.log_start_offset))}
        assert after == {b"k%d" % k: b"v%d" % (36 + k) for k in range(4)}
        assert lg.close_retired() > 0
        names = [p.name for p in (tmp_path / "c-0").iterdir()]
        assert not [n for n in names if n.endswith((".deleted", ".cleaned", ".swap"))]
        assert [s.log_path.exists() for s in lg.segments] == [True] * len(lg.segments)
    finally:
        lg.close()
