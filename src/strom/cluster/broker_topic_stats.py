"""Per-topic produce and fetch counters (Kafka's BrokerTopicStats / BrokerTopicMetrics).

The replica manager owns these facts, so it counts them: a few integer adds per partition of a request, on
the data path, with no metrics library. The broker's metrics endpoint (broker/metrics/) reads them when it
is scraped; without that endpoint they are just integers nobody reads.
"""

from __future__ import annotations


class TopicMetrics:
    """Cumulative counts of one topic, or of all topics (the meters behind Kafka's *PerSec MBeans)."""

    __slots__ = (
        "messages_in",
        "bytes_in",
        "bytes_out",
        "bytes_rejected",
        "total_produce_requests",
        "failed_produce_requests",
        "total_fetch_requests",
        "failed_fetch_requests",
        "replication_bytes_in",
        "replication_bytes_out",
    )

    def __init__(self) -> None:
        self.messages_in = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.bytes_rejected = 0
        self.total_produce_requests = 0
        self.failed_produce_requests = 0
        self.total_fetch_requests = 0
        self.failed_fetch_requests = 0
        self.replication_bytes_in = 0
        self.replication_bytes_out = 0


class BrokerTopicStats:
    """The all-topics totals plus one TopicMetrics per topic seen. Kafka counts a produce or fetch of a
    partition once per partition (not per request), and so does this."""

    __slots__ = ("all_topics", "topics")

    def __init__(self) -> None:
        self.all_topics = TopicMetrics()
        self.topics: dict[str, TopicMetrics] = {}

    def topic(self, name: str) -> TopicMetrics:
        stats = self.topics.get(name)
        if stats is None:
            stats = self.topics[name] = TopicMetrics()
        return stats

    def remove_topic(self, name: str) -> None:
        """A deleted topic's metrics go with it, as Kafka removes its MBeans."""
        self.topics.pop(name, None)

    def appended(self, topic: str, size: int, messages: int) -> None:
        """A leader append of `messages` records in `size` bytes (MessagesInPerSec, BytesInPerSec)."""
        stats = self.topic(topic)
        total = self.all_topics
        stats.total_produce_requests += 1
        total.total_produce_requests += 1
        stats.bytes_in += size
        total.bytes_in += size
        stats.messages_in += messages
        total.messages_in += messages

    def append_failed(self, topic: str, failed: bool, rejected_bytes: int) -> None:
        """A produce to a partition that was not appended. `failed`: an error Kafka counts as a failed
        produce (FailedProduceRequestsPerSec; not e.g. a partition this broker does not lead);
        `rejected_bytes`: records refused as invalid (BytesRejectedPerSec)."""
        stats = self.topic(topic)
        total = self.all_topics
        stats.total_produce_requests += 1
        total.total_produce_requests += 1
        if failed:
            stats.failed_produce_requests += 1
            total.failed_produce_requests += 1
        if rejected_bytes:
            stats.bytes_rejected += rejected_bytes
            total.bytes_rejected += rejected_bytes

    def fetched(self, topic: str, size: int, follower: bool, failed: bool) -> None:
        """One partition of a Fetch answered: consumers' bytes are BytesOutPerSec, followers' are
        ReplicationBytesOutPerSec (all topics only, as in Kafka)."""
        stats = self.topic(topic)
        total = self.all_topics
        stats.total_fetch_requests += 1
        total.total_fetch_requests += 1
        if failed:
            stats.failed_fetch_requests += 1
            total.failed_fetch_requests += 1
        if follower:
            total.replication_bytes_out += size
        else:
            stats.bytes_out += size
            total.bytes_out += size

    def replicated(self, size: int) -> None:
        """A follower appended `size` bytes fetched from its leader (ReplicationBytesInPerSec)."""
        self.all_topics.replication_bytes_in += size
