"""Bootstrap, metadata cache and one connection per broker, shared by producer, consumer and admin."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strom.client.admin_types import ClusterMetadata, Node, PartitionMetadata, TopicMetadata
from strom.client.config import ConfigError
from strom.client.reconnect_backoff import ReconnectBackoff
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema.metadata import MetadataRequest, MetadataRequestTopic
from strom.security.sasl.login import SaslLogin
from strom.security.tls import SslConfigError, librdkafka_client_context
from strom.transport.connection import PLAINTEXT_CHANNEL, BrokerConnection, ChannelSecurity

log = logging.getLogger("strom.client")

# librdkafka's local error codes for an unreachable cluster (confluent-kafka's KafkaError._ALL_BROKERS_DOWN, _TRANSPORT)
ALL_BROKERS_DOWN = -187
TRANSPORT = -195

# a connection is kept by broker id; a bootstrap server's by address, a coordinator's apart from its broker's
ConnectionKey = int | tuple[str, int] | tuple[str, str, int]


def parse_bootstrap(servers: str) -> list[tuple[str, int]]:
    out = []
    for item in filter(None, (s.strip() for s in servers.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"bootstrap.servers entry '{item}' is not host:port")
        out.append((host.strip("[]"), int(port)))
    if not out:
        raise ValueError("bootstrap.servers is empty")
    return out


@dataclass
class TopicInfo:
    name: str
    topic_id: Any
    error_code: int
    is_internal: bool
    partitions: dict[int, Any] = field(default_factory=dict)  # index -> MetadataResponsePartition


def channel_security(conf: Mapping[str, Any]) -> ChannelSecurity:
    """The connections' security from a resolved client config: a TLS context from librdkafka's ssl.* keys
    when security.protocol uses TLS; a ConfigError naming the key when they cannot be used."""
    if str(conf.get("security.protocol", "PLAINTEXT")).upper() not in ("SSL", "SASL_SSL"):
        return PLAINTEXT_CHANNEL
    try:
        return ChannelSecurity(ssl_context=librdkafka_client_context(conf))
    except SslConfigError as exc:
        raise ConfigError(str(exc)) from None


class Cluster:
    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str = "strom",
        request_timeout_ms: int = 30000,
        retry_backoff_ms: int = 100,
        sasl: SaslLogin | None = None,
        security: ChannelSecurity = PLAINTEXT_CHANNEL,
    ) -> None:
        self.sasl = sasl  # every connection authenticates with it (security.protocol SASL_*)
        self.bootstrap = parse_bootstrap(bootstrap_servers)
        self.security = security
        self.socket_keepalive = False  # librdkafka's socket.keepalive.enable, set by the client
        self.reconnect_backoff = ReconnectBackoff(50, 1000)  # reconnect.backoff(.max).ms, set by the client
        self.retry_backoff = retry_backoff_ms / 1000
        self.topic_errors: dict[str, int] = {}
        self.on_error: Callable[[KafkaError], None] | None = None
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self.brokers: dict[int, tuple[str, int]] = {}
        self.topics: dict[str, TopicInfo] = {}
        self.cluster_id: str | None = None
        self.controller_id = -1
        self._conns: dict[ConnectionKey, BrokerConnection] = {}
        self._connecting: dict[ConnectionKey, asyncio.Future[BrokerConnection]] = {}
        self._down_reported: set[tuple[str, int]] = set()  # brokers whose failure error_cb heard (until they answer)
        self._all_down_reported = False

    def connections(self) -> list[BrokerConnection]:
        """The open (or lost, not yet replaced) connections, for the client's statistics."""
        return list(self._conns.values())

    async def _connect(self, key: ConnectionKey, host: str, port: int) -> BrokerConnection:
        """The open connection for `key`, connecting once even when many callers ask at the same time."""
        conn = self._conns.get(key)
        if conn is not None and not conn.closed:
            return conn
        pending = self._connecting.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[BrokerConnection] = asyncio.get_running_loop().create_future()
        self._connecting[key] = fut
        conn = None
        try:
            await self._reconnect_backoff((host, port))
            conn = BrokerConnection(host, port, self.client_id, self.request_timeout_ms, self.sasl, self.security, self.socket_keepalive)
            await conn.connect()
            self.reconnect_backoff.connected((host, port))
            self._conns[key] = conn
            fut.set_result(conn)
            return conn
        except BaseException as exc:
            if conn is not None:
                conn.close()  # cancelled or failed half-way (socket open, ApiVersions pending): no socket left behind
            fut.set_exception(exc)
            fut.exception()  # retrieved: callers that shared it get it raised
            raise
        finally:
            self._connecting.pop(key, None)

    async def _reconnect_backoff(self, address: tuple[str, int]) -> None:
        """Waits until a connection attempt to `address` may start, then records that it starts."""
        loop = asyncio.get_running_loop()
        delay = self.reconnect_backoff.delay(address, loop.time())
        if delay > 0:
            await asyncio.sleep(delay)
        self.reconnect_backoff.attempted(address, loop.time())

    async def any_connection(self) -> BrokerConnection:
        for conn in self._conns.values():
            if not conn.closed:
                return conn
        errors = []
        candidates: list[tuple[ConnectionKey, tuple[str, int]]] = [*self.brokers.items()] or [
            (("bootstrap", h, p), (h, p)) for h, p in self.bootstrap
        ]
        random.shuffle(candidates)
        now = asyncio.get_running_loop().time()  # brokers backing off from a failure are tried last
        candidates.sort(key=lambda candidate: self.reconnect_backoff.delay(candidate[1], now))
        for key, (host, port) in candidates:
            try:
                conn = await self._connect(key, host, port)
            except KafkaError as exc:
                errors.append(exc.message)
                self._report_down(host, port, exc)
                continue
            self._down_reported.discard((host, port))
            self._all_down_reported = False
            return conn
        error = KafkaError(ErrorCode.NETWORK_EXCEPTION, "no broker is reachable: " + "; ".join(errors))
        if not self._all_down_reported:  # once per outage, as librdkafka's _ALL_BROKERS_DOWN
            self._all_down_reported = True
            self.report(KafkaError(ALL_BROKERS_DOWN, f"{len(candidates)}/{len(candidates)} brokers are down"))
        raise error

    def _report_down(self, host: str, port: int, exc: KafkaError) -> None:
        """A broker's connection failure reaches error_cb once until it answers again (not per retry)."""
        if (host, port) not in self._down_reported:
            self._down_reported.add((host, port))
            self.report(KafkaError(TRANSPORT, exc.message))

    def report(self, error: KafkaError) -> None:
        """A client-wide error (all brokers down): to error_cb, as librdkafka reports them."""
        if self.on_error is not None:
            self.on_error(error)
        else:
            log.warning("%s", error)

    async def connection(self, node_id: int) -> BrokerConnection:
        if node_id not in self.brokers:
            await self.refresh()
        if node_id not in self.brokers:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"unknown broker {node_id}")
        host, port = self.brokers[node_id]
        return await self._connect(node_id, host, port)

    async def coordinator_connection(self, node_id: int, host: str, port: int) -> BrokerConnection:
        """A coordinator's own connection: its long-held requests (JoinGroup) do not queue behind fetches."""
        return await self._connect(("coordinator", node_id), host, port)

    def open_connection(self, node_id: int) -> BrokerConnection | None:
        """The connection to a broker if one is open now (for last words on close, which must not reconnect)."""
        conn = self._conns.get(node_id)
        return conn if conn is not None and not conn.closed else None

    async def refresh(self, topics: list[str] | None = None, allow_auto_create: bool = False) -> Any:
        req_topics = None if topics is None else [MetadataRequestTopic(name=t) for t in topics]
        request = MetadataRequest(topics=req_topics, allow_auto_topic_creation=allow_auto_create)
        for attempt in range(len(self.brokers) + len(self.bootstrap) + 1):
            conn = await self.any_connection()
            try:
                response = await conn.send(request)
                break
            except KafkaError:
                conn.close()  # a dead broker: ask the next one
                if attempt == len(self.brokers) + len(self.bootstrap):
                    raise
        self.brokers = {b.node_id: (b.host, b.port) for b in response.brokers}
        self.cluster_id = response.cluster_id
        self.controller_id = response.controller_id
        if topics is None:
            self.topics = {}  # a full refresh also forgets deleted topics
        for t in response.topics:
            info = TopicInfo(t.name, t.topic_id, t.error_code, t.is_internal, {p.partition_index: p for p in t.partitions})
            self.topic_errors[t.name] = t.error_code
            if t.error_code == 0:
                self.topics[t.name] = info
            else:
                self.topics.pop(t.name, None)
        return response

    def leader_of(self, topic: str, partition: int) -> int | None:
        """The cached leader of a partition, or None when unknown (callers then refresh)."""
        info = self.topics.get(topic)
        part = info.partitions.get(partition) if info is not None else None
        if part is None or part.leader_id < 0 or part.leader_id not in self.brokers:
            return None
        return int(part.leader_id)

    def invalidate(self, topic: str) -> None:
        """Forgets a topic's partitions after NOT_LEADER / UNKNOWN_TOPIC so the next lookup refreshes."""
        self.topics.pop(topic, None)

    async def leader_for(self, topic: str, partition: int) -> int:
        info = self.topics.get(topic)
        if info is None or partition not in info.partitions:
            await self.refresh([topic])
            info = self.topics.get(topic)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {topic} does not exist")
        if partition not in info.partitions:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"partition {topic}-{partition} does not exist")
        leader = info.partitions[partition].leader_id
        if leader < 0:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE)
        return int(leader)

    async def controller(self) -> BrokerConnection:
        if self.controller_id < 0:
            await self.refresh([])
        if self.controller_id >= 0:
            return await self.connection(self.controller_id)
        return await self.any_connection()

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


def _error(code: int) -> KafkaError | None:
    return KafkaError(code) if code else None


def cluster_metadata(cluster: Cluster) -> ClusterMetadata:
    """confluent-kafka's ClusterMetadata from the client's metadata cache (list_topics of all three clients)."""
    brokers = {n: Node(n, h, p) for n, (h, p) in cluster.brokers.items()}
    topics = {
        name: TopicMetadata(
            name,
            {
                i: PartitionMetadata(i, p.leader_id, list(p.replica_nodes), list(p.isr_nodes), _error(p.error_code))
                for i, p in sorted(info.partitions.items())
            },
            _error(info.error_code),
            info.is_internal,
            info.topic_id,
        )
        for name, info in cluster.topics.items()
    }
    return ClusterMetadata(cluster.cluster_id, cluster.controller_id, brokers, topics)
