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
    """What a transactional call gets while the coordinator is still starting: retriable."""
    return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS


def coordinator_error(broker: Any, service: TransactionService | None, transactional_id: str) -> int:
    """NONE if this broker coordinates the id; in ZooKeeper mode the leader of its __transaction_state
    partition does, and any other broker answers NOT_COORDINATOR (the client looks it up again)."""
    if service is None:
        return not_here(broker)
    if not service.is_coordinator(transactional_id):
        return ErrorCode.NOT_COORDINATOR
    return ErrorCode.NONE


def fenced_code(code: int, version: int, first_version_knowing_fenced: int) -> int:
    """KIP-588: PRODUCER_FENCED exists only from these versions on; older clients get INVALID_PRODUCER_EPOCH."""
    if code == ErrorCode.PRODUCER_FENCED and version < first_version_knowing_fenced:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return code
