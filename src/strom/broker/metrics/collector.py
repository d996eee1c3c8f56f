"""The broker's metrics under the names the Prometheus JMX exporter's standard Kafka rules give Kafka's MBeans
(lowercased `kafka_<domain>_<type>_<name>`, `_total` for the *PerSec meters, `quantile` labels for histogram
percentiles), and consumer lag under kafka-exporter's names, so existing Kafka dashboards and alerts work.

Everything is read from the broker's components when Prometheus scrapes, on the event loop (no locks, no
copies kept): the data path only counts (cluster/broker_topic_stats.py, request_metrics.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from strom.broker.metrics.request_metrics import RequestMetrics
from strom.cluster.broker_topic_stats import TopicMetrics
from strom.cluster.partition_state import NO_LEADER
from strom.coordination.group import ALL_STATES

if TYPE_CHECKING:
    from strom.broker.broker import Broker
    from strom.broker.metrics.event_loop import EventLoopLag
    from strom.broker.metrics.leader_offsets import LeaderOffsets

# BrokerTopicMetrics meter -> TopicMetrics field; the replication meters exist for all topics only
TOPIC_METERS = (
    ("MessagesIn", "messages_in", True),
    ("BytesIn", "bytes_in", True),
    ("BytesOut", "bytes_out", True),
    ("BytesRejected", "bytes_rejected", True),
    ("TotalProduceRequests", "total_produce_requests", True),
    ("FailedProduceRequests", "failed_produce_requests", True),
    ("TotalFetchRequests", "total_fetch_requests", True),
    ("FailedFetchRequests", "failed_fetch_requests", True),
    ("ReplicationBytesIn", "replication_bytes_in", False),
    ("ReplicationBytesOut", "replication_bytes_out", False),
)
NETWORK_PROCESSOR = "0"  # one event loop serves every connection: Kafka's processor label, always 0


def _counter(name: str, doc: str) -> Metric:
    """A counter family whose samples may carry different label sets (the all-topics sample has no topic)."""
    return Metric(name, doc, "counter")


class BrokerCollector(Collector):
    def __init__(self, broker: Broker, loop_lag: EventLoopLag | None = None, leader_offsets: LeaderOffsets | None = None) -> None:
        self.broker = broker
        self.loop_lag = loop_lag
        self.leader_offsets = leader_offsets

    def collect(self) -> Iterator[Metric]:
        yield from self._broker_topic_metrics()
        yield from self._request_metrics()
        yield from self._replica_manager()
        yield from self._controller()
        yield from self._logs()
        yield from self._socket_server()
        yield from self._group_coordinator()
        yield from self._consumer_lag()
        if self.loop_lag is not None:
            yield from self.loop_lag.collect()

    # ---- kafka.server BrokerTopicMetrics ------------------------------------------------------------------

    def _broker_topic_metrics(self) -> Iterator[Metric]:
        stats = self.broker.replica_manager.topic_stats
        topics = sorted(stats.topics.items())
        for meter, field, per_topic in TOPIC_METERS:
            name = f"kafka_server_brokertopicmetrics_{meter.lower()}"
            family = _counter(name, f"BrokerTopicMetrics {meter}PerSec: count since the broker started")
            family.add_sample(name + "_total", {}, _get(stats.all_topics, field))
            if per_topic:
                for topic, per in topics:
                    count = _get(per, field)
                    if count:  # Kafka creates a topic's meter when it is first marked
                        family.add_sample(name + "_total", {"topic": topic}, count)
            yield family

    # ---- kafka.network RequestMetrics ---------------------------------------------------------------------

    def _request_metrics(self) -> Iterator[Metric]:
        channel = [m for m in self.broker.request_metrics.all() if m.count]
        requests = _counter("kafka_network_requestmetrics_requests", "RequestMetrics RequestsPerSec by request and version")
        for m in channel:
            for version, count in enumerate(m.by_version):
                if count:
                    requests.add_sample("kafka_network_requestmetrics_requests_total", {"request": m.name, "version": str(version)}, count)
        yield requests
        yield from _request_times(channel)

    # ---- kafka.server ReplicaManager ----------------------------------------------------------------------

    def _replica_manager(self) -> Iterator[Metric]:
        rm = self.broker.replica_manager
        partitions = leaders = under_replicated = under_min_isr = at_min_isr = 0
        for part in rm.partitions.values():
            partitions += 1
            if not part.is_leader:
                continue
            leaders += 1
            isr = len(part.isr)
            if isr < len(part.replicas):
                under_replicated += 1
            min_isr = part.log.config.min_insync_replicas
            if isr < min_isr:
                under_min_isr += 1
            elif isr == min_isr:
                at_min_isr += 1
        for name, value, doc in (
            ("partitioncount", partitions, "replicas on this broker"),
            ("leadercount", leaders, "partitions this broker leads"),
            ("underreplicatedpartitions", under_replicated, "led partitions whose ISR is smaller than their replicas"),
            ("underminisrpartitioncount", under_min_isr, "led partitions whose ISR is below min.insync.replicas"),
            ("atminisrpartitioncount", at_min_isr, "led partitions whose ISR is at min.insync.replicas"),
            ("offlinereplicacount", len(rm.offline_partitions), "replicas in a failed log dir (offline until a restart)"),
        ):
            yield GaugeMetricFamily(f"kafka_server_replicamanager_{name}", f"ReplicaManager: {doc}", value=value)
        for name, value in (("isrshrinks", rm.isr_shrinks), ("isrexpands", rm.isr_expands)):
            family = _counter(f"kafka_server_replicamanager_{name}", f"ReplicaManager {name.capitalize()}PerSec: ISR changes")
            family.add_sample(f"kafka_server_replicamanager_{name}_total", {}, value)
            yield family

    # ---- kafka.controller KafkaController -----------------------------------------------------------------

    def _controller(self) -> Iterator[Metric]:
        """Only the active controller reports the cluster-wide counts, as in Kafka (the others report 0). The
        embedded broker is its own controller."""
        active = topics = partitions = offline = imbalance = 0
        cluster = self.broker.cluster
        if cluster is None:
            active = 1
            for state in self.broker.metadata.topics.values():
                topics += 1
                for p in state.partitions.values():
                    partitions += 1
                    offline += p.leader == NO_LEADER
        elif cluster.controller is not None and cluster.controller.active:
            controller = cluster.controller
            active = 1
            topics = len(controller.topics)
            partitions = len(controller.states)
            for (topic, index), leader_isr in controller.states.items():
                offline += leader_isr.leader == NO_LEADER
                assignment = controller.topics.get(topic)
                replicas = assignment.partitions.get(index) if assignment is not None else None
                imbalance += replicas is not None and len(replicas) > 0 and leader_isr.leader != replicas[0]
        for name, value in (
            ("activecontrollercount", active),
            ("globaltopiccount", topics),
            ("globalpartitioncount", partitions),
            ("offlinepartitionscount", offline),
            ("preferredreplicaimbalancecount", imbalance),
        ):
            yield GaugeMetricFamily(f"kafka_controller_kafkacontroller_{name}", f"KafkaController {name}", value=value)

    # ---- kafka.log Log ------------------------------------------------------------------------------------

    def _logs(self) -> Iterator[Metric]:
        """One family per pass over the logs: the endpoint lets the loop serve requests between families."""
        logs = sorted(self.broker.log_manager.logs.items())
        for name, doc, read in (
            ("size", "Log Size: bytes on disk", lambda plog: plog.size_bytes),
            ("logendoffset", "Log LogEndOffset", lambda plog: plog.log_end_offset),
            ("logstartoffset", "Log LogStartOffset", lambda plog: plog.log_start_offset),
            ("numlogsegments", "Log NumLogSegments", lambda plog: len(plog.segments)),
        ):
            family = GaugeMetricFamily(f"kafka_log_log_{name}", doc, labels=["topic", "partition"])
            for (topic, index), plog in logs:
                family.add_metric([topic, str(index)], read(plog))
            yield family

    # ---- kafka.server socket-server-metrics ---------------------------------------------------------------

    def _socket_server(self) -> Iterator[Metric]:
        counts = {listener.name: 0 for listener in self.broker.config.listeners}
        for conn in self.broker.connections:
            counts[conn.listener.name] = counts.get(conn.listener.name, 0) + 1
        family = GaugeMetricFamily(
            "kafka_server_socket_server_metrics_connection_count",
            "socket-server-metrics connection-count: open connections per listener",
            labels=["listener", "networkProcessor"],
        )
        for name, count in sorted(counts.items()):
            family.add_metric([name, NETWORK_PROCESSOR], count)
        yield family

    # ---- kafka.coordinator.group GroupMetadataManager -----------------------------------------------------

    def _group_coordinator(self) -> Iterator[Metric]:
        service = self.broker.group_service
        groups = list(service.coordinator.groups.values())
        by_state = dict.fromkeys(ALL_STATES, 0)
        for g in groups:
            by_state[g.state] = by_state.get(g.state, 0) + 1
        num_offsets = sum(len(offsets) for offsets in service.offsets.offsets.values())
        prefix = "kafka_coordinator_group_groupmetadatamanager_"
        yield GaugeMetricFamily(prefix + "numgroups", "GroupMetadataManager NumGroups", value=len(groups) + len(service.consumer.groups))
        yield GaugeMetricFamily(prefix + "numoffsets", "GroupMetadataManager NumOffsets: committed offsets", value=num_offsets)
        for state, count in by_state.items():
            name = "numgroups" + state.lower()
            yield GaugeMetricFamily(prefix + name, f"GroupMetadataManager NumGroups{state}", value=count)

    # ---- kafka-exporter's consumer group and partition offsets --------------------------------------------

    def remote_lag_partitions(self) -> set[tuple[str, int]]:
        """Partitions with offsets committed by a group coordinated here and no replica on this broker: their
        high watermarks come from their leaders (leader_offsets.py)."""
        local = self.broker.replica_manager.partitions
        return {tp for offsets in self.broker.group_service.offsets.offsets.values() for tp in offsets if tp not in local}

    def _consumer_lag(self) -> Iterator[Metric]:
        """Lag of the groups this broker coordinates: the high watermark (what a consumer can reach) minus the
        committed offset, as kafka-exporter computes it, on every partition the group committed: from this
        broker's replica where it has one (a follower's high watermark trails the leader's by at most one
        fetch), else as the partition's leader answered ListOffsets for this scrape."""
        rm = self.broker.replica_manager
        current = GaugeMetricFamily(
            "kafka_topic_partition_current_offset", "Current offset (high watermark) of a partition", labels=["topic", "partition"]
        )
        oldest = GaugeMetricFamily(
            "kafka_topic_partition_oldest_offset", "Oldest offset (log start) of a partition", labels=["topic", "partition"]
        )
        for (topic, index), part in sorted(rm.partitions.items()):
            if part.is_leader:
                current.add_metric([topic, str(index)], part.log.high_watermark)
                oldest.add_metric([topic, str(index)], part.log.log_start_offset)
        yield current
        yield oldest
        group_labels = ["consumergroup", "topic", "partition"]
        committed = GaugeMetricFamily(
            "kafka_consumergroup_current_offset", "Committed offset of a group on a partition", labels=group_labels
        )
        lag = GaugeMetricFamily("kafka_consumergroup_lag", "High watermark minus committed offset", labels=group_labels)
        lag_sum = GaugeMetricFamily(
            "kafka_consumergroup_lag_sum", "Lag of a group summed over a topic's partitions", labels=["consumergroup", "topic"]
        )
        remote = self.leader_offsets.high_watermarks if self.leader_offsets is not None else {}
        for group, offsets in sorted(self.broker.group_service.offsets.offsets.items()):
            sums: dict[str, int] = {}
            for (topic, index), offset in sorted(offsets.items()):
                replica = rm.partitions.get((topic, index))
                labels = [group, topic, str(index)]
                committed.add_metric(labels, offset.offset)
                if replica is not None:
                    high_watermark = replica.log.high_watermark
                elif (topic, index) in remote:
                    high_watermark = remote[(topic, index)]
                else:
                    continue
                behind = max(high_watermark - offset.offset, 0)
                lag.add_metric(labels, behind)
                sums[topic] = sums.get(topic, 0) + behind
            for topic, total in sums.items():
                lag_sum.add_metric([group, topic], total)
        yield committed
        yield lag
        yield lag_sum


def _get(stats: TopicMetrics, field: str) -> int:
    value: int = getattr(stats, field)
    return value


def _request_times(channel: list[RequestMetrics]) -> Iterator[Metric]:
    """The request-time histograms as the JMX exporter (1.x) shows Kafka's: a gauge per percentile Kafka
    publishes (quantile 0.50 ... 0.999) and the histogram's count as a counter, `<name>_count_total`."""
    quantiles: dict[str, Metric] = {}
    counts: dict[str, Metric] = {}
    for m in channel:
        for time_name, percentiles in m.percentiles():
            name = f"kafka_network_requestmetrics_{time_name.lower()}"
            if name not in quantiles:
                quantiles[name] = Metric(name, f"RequestMetrics {time_name}: percentiles of the recent requests", "gauge")
                counts[name] = _counter(name + "_count", f"RequestMetrics {time_name}: requests timed")
            for p, value in percentiles:
                quantiles[name].add_sample(name, {"request": m.name, "quantile": _quantile_label(p)}, value)
            counts[name].add_sample(name + "_count_total", {"request": m.name}, m.count)
    yield from quantiles.values()
    yield from counts.values()


def _quantile_label(p: float) -> str:
    """The JMX exporter's label for Kafka's 50thPercentile ... 999thPercentile: 0.50 ... 0.999."""
    return f"{p:.3f}".rstrip("0") if p >= 0.99 else f"{p:.2f}"
