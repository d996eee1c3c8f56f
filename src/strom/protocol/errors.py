"""Kafka error codes (one enum, one place) and the protocol layer's exceptions.

SKELETON: the full code list (every Kafka error code, retriable flag, Kafka's message) is being
filled in; the public names below are the contract other layers code against.
"""

from __future__ import annotations

import enum


class CorruptMessage(ValueError):
    """The one error any decoder raises for bytes that are not a valid message (truncated, bad length, garbage)."""


class ErrorCode(enum.IntEnum):
    UNKNOWN_SERVER_ERROR = -1
    NONE = 0
    OFFSET_OUT_OF_RANGE = 1
    CORRUPT_MESSAGE = 2
    UNKNOWN_TOPIC_OR_PARTITION = 3

    @property
    def retriable(self) -> bool:
        return self in _RETRIABLE

    @property
    def message(self) -> str:
        return _MESSAGES.get(self, self.name)


_RETRIABLE: frozenset[ErrorCode] = frozenset({ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION})
_MESSAGES: dict[ErrorCode, str] = {}


def error_name(code: int) -> str:
    """Name for any code, including ones newer than this table (never raises)."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"UNKNOWN_ERROR_CODE_{code}"


class KafkaError(Exception):
    """An error that maps to a Kafka error code (on the wire or in a client result)."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = int(code)
        self.message = message or _default_message(self.code)
        super().__init__(f"{error_name(self.code)}: {self.message}")

    @property
    def retriable(self) -> bool:
        try:
            return ErrorCode(self.code).retriable
        except ValueError:
            return False


def _default_message(code: int) -> str:
    try:
        return ErrorCode(code).message
    except ValueError:
        return f"unknown error code {code}"
