"""Java's binary keys for window and session stores, used in the stores and their changelogs alike, so Java and
Strom restore each other's changelogs.

WindowKeySchema: serialized key + 8-byte big-endian window start + 4-byte big-endian sequence number (the number
tells apart duplicates when a join store retains them; 0 otherwise).
SessionKeySchema: serialized key + 8-byte big-endian session end + 8-byte big-endian session start."""

from __future__ import annotations

import struct

LONG_MAX = (1 << 63) - 1
INT_MAX = (1 << 31) - 1
_WINDOW_SUFFIX = struct.Struct(">qi")
_SESSION_SUFFIX = struct.Struct(">qq")
WINDOW_SUFFIX_SIZE = _WINDOW_SUFFIX.size
SESSION_SUFFIX_SIZE = _SESSION_SUFFIX.size


class WindowKeySchema:
    @staticmethod
    def to_store_key_binary(key: bytes, timestamp: int, seqnum: int) -> bytes:
        return key + _WINDOW_SUFFIX.pack(timestamp, seqnum)

    @staticmethod
    def extract_store_key_bytes(binary: bytes) -> bytes:
        return binary[:-WINDOW_SUFFIX_SIZE]

    @staticmethod
    def extract_store_timestamp(binary: bytes) -> int:
        return int(_WINDOW_SUFFIX.unpack_from(binary, len(binary) - WINDOW_SUFFIX_SIZE)[0])

    @staticmethod
    def extract_store_sequence(binary: bytes) -> int:
        return int(_WINDOW_SUFFIX.unpack_from(binary, len(binary) - WINDOW_SUFFIX_SIZE)[1])

    @staticmethod
    def lower_range(key: bytes, time_from: int) -> bytes:
        return key + _WINDOW_SUFFIX.pack(max(time_from, 0), 0)

    @staticmethod
    def upper_range(key: bytes, time_to: int) -> bytes:
        return key + _WINDOW_SUFFIX.pack(time_to, INT_MAX)


class SessionKeySchema:
    @staticmethod
    def to_binary(key: bytes, start_ms: int, end_ms: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(end_ms, start_ms)

    @staticmethod
    def extract_key_bytes(binary: bytes) -> bytes:
        return binary[:-SESSION_SUFFIX_SIZE]

    @staticmethod
    def extract_end_timestamp(binary: bytes) -> int:
        return int(_SESSION_SUFFIX.unpack_from(binary, len(binary) - SESSION_SUFFIX_SIZE)[0])

    @staticmethod
    def extract_start_timestamp(binary: bytes) -> int:
        return int(_SESSION_SUFFIX.unpack_from(binary, len(binary) - SESSION_SUFFIX_SIZE)[1])

    @staticmethod
    def lower_range(key: bytes, earliest_end: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(max(earliest_end, 0), 0)

    @staticmethod
    def upper_range(key: bytes) -> bytes:
        return key + _SESSION_SUFFIX.pack(LONG_MAX, LONG_MAX)
