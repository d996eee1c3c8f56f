"""The transaction service as the transaction handlers see it, and Kafka's error-code downgrades.

Imported by type only, like group_context: handlers load while strom.broker.broker initialises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strom.protocol.errors import ErrorCode

if TYPE_CHECKING:
    from strom.broker.transaction_service import TransactionService


def txn_service(broker: Any) -> TransactionService | None:
    """None where this broker has no transaction coordinator (ZooKeeper mode, or still loading)."""
    return broker.services.get("txn")  # type: ignore[no-any-return]


def not_here(broker: Any) -> int:
    """What a transactional call gets from a broker without a coordinator: retriable while loading,
    NOT_COORDINATOR in ZooKeeper mode (FindCoordinator never names such a broker)."""
    return ErrorCode.NOT_COORDINATOR if broker.cluster is not None else ErrorCode.COORDINATOR_LOAD_IN_PROGRESS


def fenced_code(code: int, version: int, first_version_knowing_fenced: int) -> int:
    """KIP-588: PRODUCER_FENCED exists only from these versions on; older clients get INVALID_PRODUCER_EPOCH."""
    if code == ErrorCode.PRODUCER_FENCED and version < first_version_knowing_fenced:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return code
