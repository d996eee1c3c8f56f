"""TaskId: one subtopology on one partition, the unit of work the group's partition assignor hands out."""

from __future__ import annotations

from dataclasses import dataclass

from strom.streams.errors import StreamsException


class TaskIdFormatException(StreamsException):
    """A task directory or assignment named a task id that does not parse."""


@dataclass(frozen=True, slots=True, order=True)
class TaskId:
    """``str()`` is Java's ``"<subtopology>_<partition>"`` (the task directory's name under state.dir)."""

    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"

    @staticmethod
    def parse(text: str) -> TaskId:
        sub, sep, part = text.partition("_")
        if not sep or not sub.isdigit() or not part.isdigit():
            raise TaskIdFormatException(f"Task id cannot be parsed correctly from {text}")
        return TaskId(int(sub), int(part))
