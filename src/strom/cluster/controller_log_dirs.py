"""Replicas on failed log dirs, as Kafka 2.8's controller tracks them (ControllerContext.replicasOnOfflineDirs).

A broker whose log dir fails stays registered: only its answers to LeaderAndIsr tell the controller which of
its replicas are gone (KAFKA_STORAGE_ERROR per partition). A log dir event in ZooKeeper makes the controller
ask; failover and a broker's start-up ask anyway. A replica answered NONE later is online again; a broker
that restarts or leaves starts over with none offline.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from strom.protocol.errors import ErrorCode
from strom.protocol.types import TP


def leader_and_isr_errors(response: Any, topic_names: Mapping[uuid.UUID, str]) -> dict[TP, int]:
    """Per-partition error codes of a LeaderAndIsr response of any version (v5+ names topics by id)."""
    out: dict[TP, int] = {}
    for p in getattr(response, "partition_errors", None) or []:
        out[(p.topic_name, p.partition_index)] = p.error_code
    for t in getattr(response, "topics", None) or []:
        name = topic_names.get(t.topic_id)
        if name is not None:
            for p in t.partition_errors:
                out[(name, p.partition_index)] = p.error_code
    return out


class OfflineReplicas:
    def __init__(self) -> None:
        self._by_broker: dict[int, set[TP]] = {}

    def update(self, broker_id: int, errors: Mapping[TP, int]) -> set[TP]:
        """Takes one broker's LeaderAndIsr answers; returns its replicas newly known offline."""
        before = self._by_broker.get(broker_id, set())
        online = {tp for tp, code in errors.items() if code == ErrorCode.NONE}
        offline = {tp for tp, code in errors.items() if code == ErrorCode.KAFKA_STORAGE_ERROR}
        now = (before - online) | offline
        if now:
            self._by_broker[broker_id] = now
        else:
            self._by_broker.pop(broker_id, None)
        return now - before

    def forget(self, brokers: Iterable[int]) -> None:
        """Brokers that left or registered anew: their log dirs are as good as their new process says."""
        for broker_id in brokers:
            self._by_broker.pop(broker_id, None)

    def is_offline(self, broker_id: int, tp: TP) -> bool:
        return tp in self._by_broker.get(broker_id, ())

    def offline_brokers(self, tp: TP) -> list[int]:
        return sorted(b for b, tps in self._by_broker.items() if tp in tps)
