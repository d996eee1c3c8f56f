"""Connect's exceptions (org.apache.kafka.connect.errors), shared by the data model, the API and the runtime."""

from __future__ import annotations


class ConnectException(Exception):
    """Any failure in a connector, a task, a converter or the framework (Java's ConnectException)."""


class RetriableException(ConnectException):
    """A failure that may succeed when retried: the framework calls poll()/put() again instead of failing the task."""


class DataException(ConnectException):
    """Data that does not fit its schema, or that a converter cannot (de)serialize."""


class NotFoundException(ConnectException):
    """A connector, task or plugin that does not exist (the REST API answers 404)."""


class AlreadyExistsException(ConnectException):
    """A connector created twice (the REST API answers 409)."""


class IllegalWorkerStateException(ConnectException):
    """A call the worker cannot serve in its current state."""
