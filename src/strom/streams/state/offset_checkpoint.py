"""OffsetCheckpoint: the `.checkpoint` file of a task directory in Java's text format, so a state directory written
by either side is read by the other:

    0                       <- version
    2                       <- number of entries
    app-counts-changelog 0 1234
    app-counts-changelog 1 -4

One "topic partition offset" line per changelog partition, the changelog offset the local stores are flushed up
to. -4 (OFFSET_UNKNOWN) marks a store whose position is unknown. Written to `<file>.tmp`, fsynced, then renamed
over the file, so a crash leaves the old file or the new one."""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

log = logging.getLogger("org.apache.kafka.streams.state.internals.OffsetCheckpoint")

CHECKPOINT_FILE_NAME = ".checkpoint"
VERSION = 0
OFFSET_UNKNOWN = -4
_WHITESPACE = re.compile(r"\s+")


def _is_valid(offset: int) -> bool:
    return offset >= 0 or offset == OFFSET_UNKNOWN


class OffsetCheckpoint:
    def __init__(self, file: str | os.PathLike[str]) -> None:
        self.file = Path(file)
        self._lock = threading.Lock()

    def write(self, offsets: dict[tuple[str, int], int]) -> None:
        """Replace the file with these (topic, partition) -> offset entries; no entries deletes it."""
        if not offsets:
            self.delete()
            return
        lines = [str(VERSION), str(len(offsets))]
        for (topic, partition), offset in offsets.items():
            if not _is_valid(offset):
                log.error("Received offset=%d to write to checkpoint file for %s-%d", offset, topic, partition)
                raise ValueError("Attempted to write a negative offset to the checkpoint file")
            lines.append(f"{topic} {partition} {offset}")
        with self._lock:
            temp = self.file.with_name(self.file.name + ".tmp")
            with open(temp, "w", encoding="utf-8", newline="\n") as out:
                out.write("\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.file)
            _fsync_dir(self.file.parent)

    def read(self) -> dict[tuple[str, int], int]:
        """The entries; empty when there is no file. Unreadable content raises OSError, as Java's IOException."""
        with self._lock:
            try:
                text = self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                return {}
        lines = text.splitlines()
        if not lines:
            raise EOFError("File ended prematurely.")
        version = int(lines[0])
        if version != VERSION:
            raise ValueError(f"Unknown offset checkpoint version: {version}")
        if len(lines) < 2:
            raise EOFError("File ended prematurely.")
        expected = int(lines[1])
        offsets: dict[tuple[str, int], int] = {}
        read = 0
        for line in lines[2:]:
            pieces = _WHITESPACE.split(line.strip())
            if len(pieces) != 3:
                raise OSError(f"Malformed line in offset checkpoint file: '{line}'.")
            topic, partition, offset = pieces[0], int(pieces[1]), int(pieces[2])
            read += 1
            if _is_valid(offset):
                offsets[(topic, partition)] = offset
            else:
                log.warning("Read offset=%d from checkpoint file for %s-%d", offset, topic, partition)
        if read != expected:
            raise OSError(f"Expected {expected} entries but found only {read}")
        return offsets

    def delete(self) -> None:
        self.file.unlink(missing_ok=True)

    def __str__(self) -> str:
        return str(self.file.absolute())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
