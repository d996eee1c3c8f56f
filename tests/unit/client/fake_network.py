"""A test double for the network under the sender and the fetcher: brokers that keep every request and
answer it when the test says so, in order, as a real connection does. It implements the same typed
interfaces as BrokerConnection and Cluster (strom.client.network) and holds no Strom logic."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from strom.client.network import ClusterView, Connection
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP

DEFAULT_VERSIONS = {0: (0, 11), 1: (0, 12), 2: (0, 8), 3: (0, 12), 22: (0, 5)}


class FakeConnection:
    """One broker: `requests` in the order sent; `answer()` / `drop()` settle the oldest unanswered one."""

    def __init__(self, node_id: int, versions: dict[int, tuple[int, int]] | None = None) -> None:
        self.node_id = node_id
        self.versions = dict(DEFAULT_VERSIONS if versions is None else versions)
        self.closed = False
        self.requests: list[Any] = []
        self.versions_sent: list[int | None] = []
        self._unanswered: deque[asyncio.Future[Any]] = deque()

    def version_for(self, api_key: int) -> int:
        if api_key not in self.versions:
            raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"fake broker {self.node_id} has no API {api_key}")
        return self.versions[api_key][1]

    async def send(self, request: Any, version: int | None = None, expect_response: bool = True, timeout: float | None = None) -> Any:
        self.requests.append(request)
        self.versions_sent.append(version)
        if not expect_response:
            return None
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._unanswered.append(fut)
        return await fut

    @property
    def waiting(self) -> int:
        return len(self._unanswered)

    def answer(self, response: Any) -> None:
        self._unanswered.popleft().set_result(response)

    def drop(self, code: int = ErrorCode.NETWORK_EXCEPTION) -> None:
        """The oldest request gets no answer: the connection was lost."""
        self._unanswered.popleft().set_exception(KafkaError(code, f"connection to fake broker {self.node_id} lost"))


class FakeCluster:
    """Leaders by partition and one FakeConnection per broker; refresh() applies `next_leaders` if set."""

    def __init__(self, leaders: dict[TP, int]) -> None:
        self.leaders = dict(leaders)
        self.next_leaders: dict[TP, int] | None = None
        self.conns: dict[int, FakeConnection] = {}
        self.refreshed: list[list[str] | None] = []
        self.invalidated: list[str] = []
        self.gone: set[int] = set()  # brokers no longer in the metadata: connection() refuses them

    def conn(self, node_id: int) -> FakeConnection:
        if node_id not in self.conns:
            self.conns[node_id] = FakeConnection(node_id)
        return self.conns[node_id]

    def leader_of(self, topic: str, partition: int) -> int | None:
        return self.leaders.get((topic, partition))

    def invalidate(self, topic: str) -> None:
        self.invalidated.append(topic)
        self.leaders = {tp: leader for tp, leader in self.leaders.items() if tp[0] != topic}

    async def refresh(self, topics: list[str] | None = None, allow_auto_create: bool = False) -> Any:
        self.refreshed.append(topics)
        if self.next_leaders is not None:
            self.leaders = dict(self.next_leaders)
        return None

    async def connection(self, node_id: int) -> Connection:
        if node_id in self.gone:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"unknown broker {node_id}")
        return self.conn(node_id)

    def open_connection(self, node_id: int) -> Connection | None:
        return self.conns.get(node_id)

    async def any_connection(self) -> Connection:
        return self.conn(min(self.leaders.values(), default=0))


async def settle() -> None:
    """Lets every task that can run now run (requests go out, responses are handled)."""
    for _ in range(10):
        await asyncio.sleep(0)


def _typed(cluster: FakeCluster, conn: FakeConnection) -> tuple[ClusterView, Connection]:
    """mypy checks here that the doubles match the interfaces the real classes implement."""
    return cluster, conn
