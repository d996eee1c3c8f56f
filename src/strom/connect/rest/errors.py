"""Errors a Herder raises that the REST API turns into Kafka's `{"error_code": N, "message": "..."}` bodies.

Each carries its HTTP status (Java's ConnectRestException, NotFoundException, AlreadyExistsException,
BadRequestException); any other exception becomes a 500 with its message, as Kafka's ConnectExceptionMapper does."""

from __future__ import annotations


class ConnectRestException(Exception):
    def __init__(self, status: int, message: str, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = status if error_code is None else error_code
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


STALE_CONFIG = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"


class BadRequestException(ConnectRestException):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFoundException(ConnectRestException):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class AlreadyExistsException(ConnectRestException):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class ConflictException(ConnectRestException):
    """A write that raced a rebalance or another config change (Java answers 409 for RebalanceNeededException)."""

    def __init__(self, message: str = STALE_CONFIG) -> None:
        super().__init__(409, message)


class ForbiddenException(ConnectRestException):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class NotLeaderException(Exception):
    """Raised by a distributed herder for a write only the leader may do: the REST layer forwards the request to
    `leader_url` (Java's NotLeaderException / RequestTargetException)."""

    def __init__(self, message: str, leader_url: str | None) -> None:
        super().__init__(message)
        self.leader_url = leader_url
