"""kafka-broker-api-versions.sh: every broker's supported API version ranges and the version this client uses."""

from __future__ import annotations

import argparse
import sys

from strom.cli.common import KafkaArgumentParser, admin_config, run
from strom.client.cluster import Cluster, channel_security
from strom.client.config import sasl_login
from strom.protocol.messages import SUPPORTED_VERSIONS

# The API keys a Kafka 3.9 client lists for a broker listener, in order (Kafka's ApiKeys names).
KAFKA_API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr", 5: "StopReplica", 6: "UpdateMetadata",
    7: "ControlledShutdown", 8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake", 18: "ApiVersions",
    19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch",
    24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers", 28: "TxnOffsetCommit",
    29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls", 32: "DescribeConfigs", 33: "AlterConfigs", 34: "AlterReplicaLogDirs",
    35: "DescribeLogDirs", 36: "SaslAuthenticate", 37: "CreatePartitions", 38: "CreateDelegationToken", 39: "RenewDelegationToken",
    40: "ExpireDelegationToken", 41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders", 44: "IncrementalAlterConfigs",
    45: "AlterPartitionReassignments", 46: "ListPartitionReassignments", 47: "OffsetDelete", 48: "DescribeClientQuotas",
    49: "AlterClientQuotas", 50: "DescribeUserScramCredentials", 51: "AlterUserScramCredentials", 55: "DescribeQuorum",
    56: "AlterPartition", 57: "UpdateFeatures", 58: "Envelope", 60: "DescribeCluster", 61: "DescribeProducers",
    64: "UnregisterBroker", 65: "DescribeTransactions", 66: "ListTransactions", 67: "AllocateProducerIds",
    68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe", 71: "GetTelemetrySubscriptions", 72: "PushTelemetry",
    74: "ListClientMetricsResources", 75: "DescribeTopicPartitions", 76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe",
    78: "ShareFetch", 79: "ShareAcknowledge", 80: "AddRaftVoter", 81: "RemoveRaftVoter", 83: "InitializeShareGroupState",
    84: "ReadShareGroupState", 85: "WriteShareGroupState", 86: "DeleteShareGroupState", 87: "ReadShareGroupStateSummary",
}  # fmt: skip


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(prog="kafka-broker-api-versions.sh", description="This tool helps to retrieve broker version information.")
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The server to connect to.")
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


def version_text(api_key: int, broker: tuple[int, int] | None) -> str:
    """Kafka's NodeApiVersions line: the broker's range and the highest version both sides know."""
    name = KAFKA_API_NAMES.get(api_key, f"UNKNOWN({api_key})")
    if broker is None:
        return f"{name}({api_key}): UNSUPPORTED"
    lo, hi = broker
    text = f"{name}({api_key}): {lo}" if lo == hi else f"{name}({api_key}): {lo} to {hi}"
    ours = SUPPORTED_VERSIONS.get(api_key)
    if ours is None:
        return f"{text} [unusable: not implemented by this client]"
    if ours[1] < lo:
        return f"{text} [unusable: node too new]"
    if ours[0] > hi:
        return f"{text} [unusable: node too old]"
    return f"{text} [usable: {min(ours[1], hi)}]"


def format_node(host: str, port: int, node_id: int, rack: str | None, versions: dict[int, tuple[int, int]]) -> str:
    keys = sorted(set(KAFKA_API_NAMES) | set(versions))
    lines = [version_text(k, versions.get(k)) for k in keys]
    body = ",\n".join(f"\t{line}" for line in lines)
    return f"{host}:{port} (id: {node_id} rack: {rack if rack else 'null'}) -> (\n{body}\n)"


async def main_async(a: argparse.Namespace) -> int:
    conf = admin_config(a.bootstrap_server, a.command_config, "broker-api-versions")
    cluster = Cluster(a.bootstrap_server, "broker-api-versions", sasl=sasl_login(conf), security=channel_security(conf))
    try:
        meta = await cluster.refresh([])
        for b in sorted(meta.brokers, key=lambda b: b.node_id):
            conn = await cluster.connection(b.node_id)
            print(format_node(b.host, b.port, b.node_id, b.rack, conn.versions))
        return 0
    finally:
        cluster.close()


def main(argv: list[str] | None = None) -> int:
    return run(main_async(build_parser().parse_args(argv)), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
