"""The network as the producer's sender and the consumer's fetcher see it: two narrow protocols.

They depend on these shapes, not on the socket classes, so unit tests can drive them with a small
in-memory double that answers requests as a broker would. `BrokerConnection` and `Cluster` are the
real implementations.
"""

from __future__ import annotations

from typing import Any, Protocol


class Connection(Protocol):
    """One broker connection: versioned requests, answered in order."""

    versions: dict[int, tuple[int, int]]  # api key -> (min, max) the broker supports
    closed: bool

    def version_for(self, api_key: int) -> int: ...

    async def send(self, request: Any, version: int | None = None, expect_response: bool = True, timeout: float | None = None) -> Any: ...


class ClusterView(Protocol):
    """The metadata cache and the connections by broker id."""

    def leader_of(self, topic: str, partition: int) -> int | None: ...

    def invalidate(self, topic: str) -> None: ...

    async def refresh(self, topics: list[str] | None = None, allow_auto_create: bool = False) -> Any: ...

    async def connection(self, node_id: int) -> Connection: ...

    def open_connection(self, node_id: int) -> Connection | None: ...

    async def any_connection(self) -> Connection: ...
