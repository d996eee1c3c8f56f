"""One history per run: every operation a client invoked and what it observed, in the order observed.

Kept deliberately dumb, as Jepsen's histories are: clients append what they saw, nothing is interpreted here
(that is the checker's job), so a history saved from a failing run can be checked again later, by a newer
checker, without the cluster. Values are strings that identify a record uniquely in the run (the workload
writes `<producer>-<sequence>`), which is what lets the checker find a record wherever it ended up.

Appends are thread-safe: producers' delivery callbacks and consumers' poll loops run in their own threads.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["send", "ack", "send_error", "consume", "commit", "committed", "txn_commit", "txn_abort", "fault"]


@dataclass(frozen=True, slots=True)
class Event:
    """One observation. `process` names the client (or the nemesis, for faults); `time` is seconds since the
    history started, from the monotonic clock of the process that recorded it."""

    kind: Kind
    time: float
    process: str
    topic: str = ""
    partition: int = -1
    offset: int = -1
    value: str = ""
    error: str = ""
    txn: str = ""
    group: str = ""
    read_committed: bool = False


class History:
    """An append-only list of events with the seed that drove the run (its faults and its workload), so a
    failing run can be replayed with the same choices."""

    def __init__(self, seed: int | None = None, events: Iterable[Event] = ()) -> None:
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.random = random.Random(self.seed)
        self._events: list[Event] = list(events)
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        with self._lock:
            return iter(list(self._events))

    @property
    def started(self) -> float:
        """The monotonic time the history started at: another process on this machine records on the same
        timeline with `time.monotonic() - started` (the monotonic clock is the machine's)."""
        return self._started

    def extend(self, events: Iterable[Event]) -> None:
        """Events another process recorded on this history's timeline (a client run as its own process)."""
        with self._lock:
            self._events.extend(events)

    def now(self) -> float:
        """Seconds since the history started: the `time` of an event recorded now."""
        return round(time.monotonic() - self._started, 6)

    def _add(self, kind: Kind, process: str, at: float | None = None, **fields: object) -> Event:
        event = Event(kind, self.now() if at is None else at, process, **fields)  # type: ignore[arg-type]
        with self._lock:
            self._events.append(event)
        return event

    # what producers see
    def send(self, process: str, topic: str, partition: int, value: str, txn: str = "") -> Event:
        """A record handed to the producer (an invocation: it may end acknowledged, failed, or never)."""
        return self._add("send", process, topic=topic, partition=partition, value=value, txn=txn)

    def ack(self, process: str, topic: str, partition: int, offset: int, value: str) -> Event:
        """The cluster acknowledged the record at `offset` (with acks=all: it is committed and must survive)."""
        return self._add("ack", process, topic=topic, partition=partition, offset=offset, value=value)

    def send_error(self, process: str, topic: str, partition: int, value: str, error: str) -> Event:
        """The producer gave up on the record. Indeterminate, as in Jepsen: it may still have been written."""
        return self._add("send_error", process, topic=topic, partition=partition, value=value, error=error)

    def txn_end(self, process: str, txn: str, committed: bool) -> Event:
        """A transaction's outcome as the producer saw it: its records (sends with this `txn`) are committed or
        aborted together."""
        return self._add("txn_commit" if committed else "txn_abort", process, txn=txn)

    # what consumers see
    def consume(self, process: str, topic: str, partition: int, offset: int, value: str, read_committed: bool = False) -> Event:
        return self._add("consume", process, topic=topic, partition=partition, offset=offset, value=value, read_committed=read_committed)

    def commit(self, process: str, group: str, topic: str, partition: int, offset: int) -> Event:
        """The group coordinator acknowledged `offset` as the group's committed position for the partition."""
        return self._add("commit", process, group=group, topic=topic, partition=partition, offset=offset)

    def committed(self, process: str, group: str, topic: str, partition: int, offset: int, invoked_at: float) -> Event:
        """An OffsetFetch invoked at `invoked_at` (from `now()`) answered `offset` (-1: none) as the group's
        committed position: what a member resuming the partition starts from."""
        return self._add("committed", process, at=invoked_at, group=group, topic=topic, partition=partition, offset=offset)

    # what the nemesis did
    def fault(self, kind: str, detail: str = "") -> Event:
        """A fault injected or healed (`kind` like "partition" / "heal", `detail` saying what, to whom)."""
        return self._add("fault", "nemesis", value=kind, error=detail)

    def events(self, kind: Kind | None = None) -> list[Event]:
        with self._lock:
            return [e for e in self._events if kind is None or e.kind == kind]

    def save(self, path: Path) -> Path:
        """JSON lines: a header line with the seed, then one event per line (fields at their defaults left out)."""
        defaults = asdict(Event("send", 0.0, ""))
        with open(path, "w") as out:
            out.write(json.dumps({"seed": self.seed}) + "\n")
            for event in self.events():
                out.write(
                    json.dumps({k: v for k, v in asdict(event).items() if k in ("kind", "time", "process") or v != defaults[k]}) + "\n"
                )
        return path

    @classmethod
    def load(cls, path: Path) -> History:
        with open(path) as f:
            header = json.loads(f.readline())
            events = [Event(**json.loads(line)) for line in f if line.strip()]
        return cls(int(header["seed"]), events)
