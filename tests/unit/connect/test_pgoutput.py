"""pgoutput decoding, on payloads captured from PostgreSQL 15's replication stream.

The transaction was: INSERT (1,'a',1.50,timestamptz,'\\x0102') into public.t(id pk, name text, price numeric(10,2),
ts timestamptz, b bytea); UPDATE name to NULL; UPDATE the key 1 -> 2; DELETE; TRUNCATE; pg_logical_emit_message.
"""

from __future__ import annotations

import pytest

from strom.connect.connectors.postgres.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Commit,
    Delete,
    Insert,
    LogicalMessage,
    PgOutputError,
    Relation,
    Truncate,
    TypeMessage,
    Update,
    decode_message,
    format_lsn,
    parse_lsn,
)

BEGIN = "4200000000015063780003050969ab72e7000002d5"
RELATION = (
    "52000040007075626c69630074006400050169640000000017ffffffff006e616d650000000019ffffffff00707269636500000006a4000a"
    "000600747300000004a0ffffffff00620000000011ffffffff"
)
INSERT = (
    "49000040004e00057400000001317400000001617400000004312e3530740000001d323032342d30312d30322030333a30343a30352e313233"
    "3435362b303074000000065c7830313032"
)
UPDATE = (
    "55000040004e00057400000001316e7400000004312e3530740000001d323032342d30312d30322030333a30343a30352e3132333435362b"
    "303074000000065c7830313032"
)
UPDATE_KEY = (
    "55000040004b00057400000001316e6e6e6e4e00057400000001326e7400000004312e3530740000001d323032342d30312d30322030333a"
    "30343a30352e3132333435362b303074000000065c7830313032"
)
DELETE = "44000040004b00057400000001326e6e6e6e"
TRUNCATE = "54000000010000004000"
MESSAGE = "4d010000000001506378707265000000000568656c6c6f"
COMMIT = "4300000000000150637800000000015064e80003050969ab72e7"
TS = b"2024-01-02 03:04:05.123456+00"


def test_begin_and_commit() -> None:
    begin = decode_message(bytes.fromhex(BEGIN))
    assert begin == Begin(final_lsn=22045560, commit_time_us=1796647715820263, xid=725)
    commit = decode_message(bytes.fromhex(COMMIT))
    assert commit == Commit(flags=0, commit_lsn=22045560, end_lsn=22045928, commit_time_us=1796647715820263)


def test_relation() -> None:
    rel = decode_message(bytes.fromhex(RELATION))
    assert isinstance(rel, Relation)
    assert (rel.oid, rel.namespace, rel.name, rel.replica_identity) == (16384, "public", "t", "d")
    assert [(c.name, c.is_key, c.type_oid, c.type_modifier) for c in rel.columns] == [
        ("id", True, 23, -1),
        ("name", False, 25, -1),
        ("price", False, 1700, 655366),  # numeric(10,2): ((10 << 16) | 2) + 4
        ("ts", False, 1184, -1),
        ("b", False, 17, -1),
    ]


def test_row_changes() -> None:
    assert decode_message(bytes.fromhex(INSERT)) == Insert(16384, (b"1", b"a", b"1.50", TS, b"\\x0102"))
    assert decode_message(bytes.fromhex(UPDATE)) == Update(16384, (b"1", None, b"1.50", TS, b"\\x0102"))
    assert decode_message(bytes.fromhex(UPDATE_KEY)) == Update(
        16384, (b"2", None, b"1.50", TS, b"\\x0102"), (b"1", None, None, None, None), True
    )
    assert decode_message(bytes.fromhex(DELETE)) == Delete(16384, (b"2", None, None, None, None), True)


def test_truncate_message_and_type() -> None:
    assert decode_message(bytes.fromhex(TRUNCATE)) == Truncate(0, (16384,))
    msg = decode_message(bytes.fromhex(MESSAGE))
    assert msg == LogicalMessage(True, 22045560, "pre", b"hello")
    assert isinstance(msg, LogicalMessage) and msg.content == b"hello"
    assert decode_message(b"Y\x00\x00\x40\x01public\x00mood\x00") == TypeMessage(16385, "public", "mood")


def test_unchanged_toast_and_full_old_tuple() -> None:
    # REPLICA IDENTITY FULL sends the whole old row with 'O'; an untouched TOASTed column is 'u'.
    payload = b"U\x00\x00\x40\x00O\x00\x02t\x00\x00\x00\x011u" + b"N\x00\x02t\x00\x00\x00\x012u"
    assert decode_message(payload) == Update(16384, (b"2", UNCHANGED_TOAST), (b"1", UNCHANGED_TOAST), False)


@pytest.mark.parametrize("payload", [b"", b"Z", bytes.fromhex(INSERT)[:-3], b"I\x00\x00\x40\x00X", b"R\x00\x00\x40\x00public"])
def test_malformed(payload: bytes) -> None:
    with pytest.raises(PgOutputError):
        decode_message(payload)


def test_lsn_text() -> None:
    assert format_lsn(0x16_B374D848) == "16/B374D848"
    assert parse_lsn("16/B374D848") == 0x16_B374D848
    assert parse_lsn(format_lsn(22045560)) == 22045560
    with pytest.raises(ValueError):
        parse_lsn("1505560")
