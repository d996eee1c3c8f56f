"""Pure controller logic: Kafka 2.8 znode JSON, replica assignment, leader election rules."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.cluster import zk_data as zd
from strom.cluster.controller_assignment import assign_replicas, validate_assignment
from strom.cluster.controller_election import (
    controlled_shutdown_election,
    offline_election,
    preferred_election,
    reassignment_election,
    shrink_isr,
)
from strom.protocol.errors import ErrorCode, KafkaError

# ---- znode formats ------------------------------------------------------------------------------------


def test_broker_znode_is_kafka_28_json_and_reads_kafka_written_ones() -> None:
    info = zd.BrokerInfo(3, "10.0.0.3", 9093, rack="r1")
    obj = json.loads(info.encode())
    assert obj["version"] == 5 and obj["endpoints"] == ["PLAINTEXT://10.0.0.3:9093"] and obj["rack"] == "r1"
    assert obj["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"} and obj["jmx_port"] == -1
    kafka = (
        b'{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},'
        b'"endpoints":["PLAINTEXT://kafka-1:9092"],"jmx_port":-1,"port":9092,"host":"kafka-1","version":5,"timestamp":"1"}'
    )
    plaintext = zd.ListenerEndpoint("PLAINTEXT", "kafka-1", 9092, "PLAINTEXT")
    assert zd.BrokerInfo.decode(1, kafka, 77) == zd.BrokerInfo(1, "kafka-1", 9092, "PLAINTEXT", None, 77, (plaintext,))


def test_broker_znode_with_several_listeners_as_kafka_28_writes_it() -> None:
    kafka = (
        b'{"features":{},"listener_security_protocol_map":{"INTERNAL":"SSL","CLIENT":"PLAINTEXT"},'
        b'"endpoints":["CLIENT://kafka-1:9092","INTERNAL://10.0.0.1:9093"],"jmx_port":-1,"port":9092,"host":"kafka-1",'
        b'"version":5,"timestamp":"1"}'
    )
    info = zd.BrokerInfo.decode(1, kafka, 5, listener_name="INTERNAL")  # a reader whose inter-broker listener is INTERNAL
    assert (info.host, info.port, info.listener) == ("10.0.0.1", 9093, "INTERNAL")
    assert [e.security_protocol for e in info.endpoints] == ["PLAINTEXT", "SSL"]
    obj = json.loads(info.encode())
    assert obj["endpoints"] == ["CLIENT://kafka-1:9092", "INTERNAL://10.0.0.1:9093"]
    assert obj["listener_security_protocol_map"] == {"CLIENT": "PLAINTEXT", "INTERNAL": "SSL"}
    assert (obj["host"], obj["port"]) == ("kafka-1", 9092)  # the PLAINTEXT endpoint, as Kafka writes them
    ssl_only = zd.BrokerInfo(2, "h", 9093, "SSL", endpoints=(zd.ListenerEndpoint("SSL", "h", 9093, "SSL"),))
    assert (json.loads(ssl_only.encode())["host"], json.loads(ssl_only.encode())["port"]) == (None, -1)


def test_topic_and_state_znodes_round_trip() -> None:
    tid = str(uuid.uuid4())
    topic = zd.TopicAssignment(tid, {0: [1, 2], 1: [2, 0]}, adding={1: [0]})
    obj = json.loads(topic.encode())
    assert obj["version"] == 3 and obj["partitions"] == {"0": [1, 2], "1": [2, 0]} and obj["adding_replicas"] == {"1": [0]}
    assert len(obj["topic_id"]) == 22 and "=" not in obj["topic_id"]
    assert zd.TopicAssignment.decode(topic.encode()) == topic
    # a 2.4-era znode without topic id or reassignment fields still reads
    old = zd.TopicAssignment.decode(b'{"version":1,"partitions":{"0":[1]}}')
    assert old.partitions == {0: [1]} and old.adding == {}
    state = zd.LeaderIsr(2, 5, (2, 1), 7, 3)
    assert json.loads(state.encode()) == {"controller_epoch": 7, "leader": 2, "version": 1, "leader_epoch": 5, "isr": [2, 1]}
    assert zd.LeaderIsr.decode(state.encode(), 3) == state


def test_small_znodes() -> None:
    assert zd.decode_controller(zd.encode_controller(4)) == 4
    assert json.loads(zd.encode_cluster_id("abc")) == {"version": "1", "id": "abc"}
    assert zd.decode_topic_config(zd.encode_topic_config({"a": "1"})) == {"a": "1"}
    assert json.loads(zd.encode_config_change("topics/t")) == {"version": 2, "entity_path": "topics/t"}
    assert zd.next_producer_id_block(None) == (0, 999)
    assert zd.next_producer_id_block(zd.encode_producer_id_block(1, 0, 999)) == (1000, 1999)
    legacy = b'{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}'
    assert zd.decode_legacy_reassignment(legacy) == {("t", 0): [1, 2]}


# ---- assignment -----------------------------------------------------------------------------------------


@given(
    n_brokers=st.integers(1, 9),
    n_partitions=st.integers(1, 60),
    rf=st.integers(1, 9),
    seed=st.integers(0, 2**32),
    racks=st.integers(0, 3),
)
def test_assignment_is_valid_and_balanced(n_brokers: int, n_partitions: int, rf: int, seed: int, racks: int) -> None:
    brokers = {b * 10: (f"r{b % racks}" if racks else None) for b in range(n_brokers)}
    if rf > n_brokers:
        with pytest.raises(KafkaError) as err:
            assign_replicas(brokers, n_partitions, rf, rng=random.Random(seed))
        assert err.value.code() == ErrorCode.INVALID_REPLICATION_FACTOR
        return
    out = assign_replicas(brokers, n_partitions, rf, rng=random.Random(seed))
    assert sorted(out) == list(range(n_partitions))
    for replicas in out.values():
        assert len(replicas) == rf and len(set(replicas)) == rf and set(replicas) <= set(brokers)
        if racks > 1 and rf <= min(racks, n_brokers):
            assert len({brokers[r] for r in replicas}) == min(rf, len(set(brokers.values())))
    # preferred leaders spread: no broker leads more than its fair share (rounded up)
    leaders = Counter(r[0] for r in out.values())
    assert max(leaders.values()) <= -(-n_partitions // n_brokers)
    validate_assignment(out, set(brokers))


def test_manual_assignment_checks() -> None:
    with pytest.raises(KafkaError, match="Unknown broker"):
        validate_assignment({0: [1, 9]}, {1, 2})
    with pytest.raises(KafkaError, match="Duplicate"):
        validate_assignment({0: [1, 1]}, {1, 2})
    with pytest.raises(KafkaError, match="without gaps"):
        validate_assignment({1: [1]}, {1})


# ---- elections ------------------------------------------------------------------------------------------


def test_offline_election_prefers_assignment_order_within_live_isr() -> None:
    assert offline_election([1, 2, 3], [3, 2], {2, 3}, unclean=False) == (2, [3, 2])
    assert offline_election([1, 2, 3], [1], {2, 3}, unclean=False) is None
    assert offline_election([1, 2, 3], [1], {3}, unclean=True) == (3, [3])
    assert offline_election([1, 2], [1], set(), unclean=True) is None


def test_other_elections() -> None:
    assert preferred_election([1, 2], [2, 1], {1, 2}) == (1, [2, 1])
    assert preferred_election([1, 2], [2], {1, 2}) is None
    assert controlled_shutdown_election([1, 2, 3], [1, 2, 3], {1, 2, 3}, {1}) == (2, [2, 3])
    assert controlled_shutdown_election([1, 2], [1], {1, 2}, {1}) is None
    assert reassignment_election([3, 2], [1, 2, 3], {1, 2, 3}) == (3, [1, 2, 3])
    assert shrink_isr([1, 2], 1) == [2] and shrink_isr([1], 1) == [1]
