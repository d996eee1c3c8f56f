"""`__transaction_state` records in Kafka's formats (TransactionLogKey / TransactionLogValue), so Kafka's
`kafka-dump-log.sh --transaction-log-decoder` reads Strom's log and Strom loads Kafka's.

Key: version int16 (0), transactional id (int16-length string). Value, version 0 (not flexible): producer
id int64, producer epoch int16, transaction timeout int32, status int8, partitions (nullable array of
topic string + int32 array), last update timestamp int64, start timestamp int64. Version 1 is the same
message, flexible (compact strings and arrays, tagged fields): read too, since Kafka 3.x may write it.
A null value is a tombstone (an expired transactional id).
"""

from __future__ import annotations

from typing import Any

from strom.protocol import primitives as p
from strom.protocol.compiler import F, Versions, build_struct
from strom.protocol.errors import CorruptMessage

KEY_VERSION = 0
VALUE_VERSION = 0

_PARTITIONS = [F("topic", "string"), F("partition_ids", "[]int32")]
_VALUE_FIELDS = [
    F("producer_id", "int64"),
    F("producer_epoch", "int16"),
    F("transaction_timeout_ms", "int32"),
    F("transaction_status", "int8"),
    F("transaction_partitions", "[]PartitionsSchema", nullable="0+", fields=_PARTITIONS),
    F("transaction_last_update_timestamp_ms", "int64"),
    F("transaction_start_timestamp_ms", "int64"),
]
TransactionLogValue: Any = build_struct("TransactionLogValue", _VALUE_FIELDS, Versions.parse("1+"))
_PartitionsSchema: Any = TransactionLogValue._children["transaction_partitions"]


def txn_key(transactional_id: str) -> bytes:
    out = bytearray()
    p.write_int16(out, KEY_VERSION)
    p.write_string(out, transactional_id)
    return bytes(out)


def parse_txn_key(data: bytes) -> str | None:
    """The transactional id of a TransactionLogKey (None for another key version)."""
    version, pos = p.read_int16(data, 0)
    if version != KEY_VERSION:
        return None
    txn_id, _ = p.read_string(data, pos)
    if txn_id is None:
        raise CorruptMessage("null transactional id in a TransactionLogKey")
    return str(txn_id)


def txn_value(
    producer_id: int,
    producer_epoch: int,
    timeout_ms: int,
    status: int,
    partitions: dict[str, list[int]],
    last_update_ms: int,
    start_ms: int,
) -> bytes:
    value = TransactionLogValue(
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        transaction_timeout_ms=timeout_ms,
        transaction_status=status,
        transaction_partitions=[_PartitionsSchema(topic=t, partition_ids=sorted(ps)) for t, ps in sorted(partitions.items())],
        transaction_last_update_timestamp_ms=last_update_ms,
        transaction_start_timestamp_ms=start_ms,
    )
    out = bytearray()
    p.write_int16(out, VALUE_VERSION)
    value.encode_into(out, VALUE_VERSION)
    return bytes(out)


def parse_txn_value(data: bytes) -> Any:
    version, pos = p.read_int16(data, 0)
    if version not in (0, 1):
        raise CorruptMessage(f"TransactionLogValue version {version} is not known")
    value, _ = TransactionLogValue.decode(data, version, pos)
    return value
