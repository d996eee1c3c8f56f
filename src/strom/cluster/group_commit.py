"""Group commit: the appends that produce requests make during one event-loop tick are written together.

The replica manager appends with `defer_write=True`, calls `add(log)` at once, and awaits `written()` before
it answers. The first `add` in a tick schedules one write of every log appended to in that tick for the
next loop iteration -- after every handler that was ready in this one has appended -- so N produce requests
to one partition in a tick cost one pwritev instead of N writes (a write system call costs about as much
as copying 16 KiB into the page cache). Nothing is acknowledged while it lives only in a Python buffer:
handlers answer after the write, and reads, flushes, rolls and truncations of a log write its buffered
appends first.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from strom.protocol.errors import KafkaError

if TYPE_CHECKING:
    from strom.storage.log import PartitionLog


class GroupCommit:
    def __init__(self) -> None:
        self._logs: dict[int, PartitionLog] = {}
        self._waiters: list[asyncio.Future[dict[int, KafkaError]]] = []
        self._scheduled = False
        self.writes = 0  # system calls made, and appends they carried: the grouping a run achieved
        self.appends = 0

    def add(self, log: PartitionLog) -> None:
        """Registers a deferred append to `log`; its write is due at the end of this tick."""
        self._logs[id(log)] = log
        self.appends += 1
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._write)

    def written(self) -> asyncio.Future[dict[int, KafkaError]]:
        """Resolves once this tick's appends are written: {id(log): error} for logs whose write failed.
        Each caller gets its own future, so a cancelled request does not cancel the others'."""
        future: asyncio.Future[dict[int, KafkaError]] = asyncio.get_running_loop().create_future()
        if self._scheduled:
            self._waiters.append(future)
        else:
            future.set_result({})
        return future

    def _write(self) -> None:
        logs, waiters = self._logs, self._waiters
        self._logs, self._waiters, self._scheduled = {}, [], False
        failed: dict[int, KafkaError] = {}
        for key, log in logs.items():
            try:
                log.write_buffered()
            except KafkaError as exc:
                failed[key] = exc
            self.writes += 1
        for future in waiters:
            if not future.done():
                future.set_result(failed)
