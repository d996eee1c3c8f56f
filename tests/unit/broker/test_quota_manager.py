"""Kafka's client quota semantics: the windowed rate, the throttle time that brings it back to the quota,
and which entity's quota applies to a (user, client id)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strom.broker.entity_configs import DEFAULT_ENTITY, ConfigEntity, LocalEntityConfigs
from strom.broker.quota_manager import (
    EXPIRY_CHECK_EVERY,
    INACTIVE_SENSOR_EXPIRATION_MS,
    ClientQuotaManager,
    QuotaManagers,
    Rate,
    throttle_time_ms,
)
from strom.cluster.metadata import LocalMetadataStore
from strom.storage.clock import ManualClock

D = DEFAULT_ENTITY


def _store(tmp_path, entities: dict[ConfigEntity, dict[str, str]]) -> LocalEntityConfigs:
    store = LocalEntityConfigs(LocalMetadataStore(tmp_path, 0))

    async def fill() -> None:
        for entity, configs in entities.items():
            await store.alter(entity, configs)

    asyncio.run(fill())
    return store


def test_rate_counts_at_least_samples_minus_one_windows() -> None:
    rate = Rate(samples=11, window_ms=1000)
    rate.record(1000, 0)
    assert rate.window_size_ms(0) == 10_000  # a new sensor is not over its quota after one request
    assert rate.measure(0) == pytest.approx(100.0)
    for t in range(1, 30):
        rate.record(1000, t * 1000)
    assert rate.measure(29_000) == pytest.approx(11 * 1000 / 10.0)  # 11 live samples over 10 s


def test_rate_purges_samples_older_than_all_windows() -> None:
    rate = Rate(samples=3, window_ms=1000)
    rate.record(5000, 0)
    assert rate.measure(3000) == 0.0


def test_throttle_time_is_what_brings_the_rate_back() -> None:
    # 2 MB/s observed over 10 s against 1 MB/s: 10 s more at zero brings it to 1 MB/s
    assert throttle_time_ms(2e6, 1e6, 10_000) == 10_000
    assert throttle_time_ms(1.1e6, 1e6, 10_000) == 1000


@settings(max_examples=15, deadline=None)
@given(
    bound=st.integers(256 * 1024, 4 * 1024 * 1024),
    request_bytes=st.integers(16 * 1024, 1024 * 1024),
    send_ms=st.integers(1, 20),
    window_num=st.integers(8, 16),
)
def test_a_client_that_honours_throttles_gets_the_quota(bound: int, request_bytes: int, send_ms: int, window_num: int) -> None:
    """A producer pushing as fast as it can (one request per send_ms), pausing for each throttle time,
    averages the quota (±10 %) over three minutes after the first 30 s. (Shorter spans swing by up to ~10 %
    around it: sample windows start at the first record after the last one ended, so after throttle pauses
    they span more than a window each, as in Kafka.)"""
    assume(request_bytes * 1000 / send_ms >= 1.5 * bound)  # the client alone could go faster than the quota
    assume(request_bytes <= bound / 8)  # batches well below a window's worth (a 1 MB/s producer's are <= 1 MiB)
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp), {ConfigEntity(client_id=D): {"producer_byte_rate": str(bound)}})
        clock = ManualClock(0)
        manager = ClientQuotaManager("producer_byte_rate", store, clock, window_num, 1)
        sent = 0
        while clock.now_ms() < 210_000:
            throttle = manager.record_and_get_throttle_ms("ANONYMOUS", "c", request_bytes)
            if clock.now_ms() >= 30_000:
                sent += request_bytes
            clock.advance(send_ms + throttle)
        measured = sent / ((clock.now_ms() - 30_000) / 1000)
        assert measured == pytest.approx(bound, rel=0.10)


def test_no_quota_configured_costs_nothing(tmp_path) -> None:
    quotas = QuotaManagers(_store(tmp_path, {}), ManualClock(0), 11, 1)
    assert not quotas.active


def test_precedence_as_kafka(tmp_path) -> None:
    """users/<u>/clients/<c> > users/<u>/clients/<default> > users/<u> > users/<default>/clients/<c> >
    users/<default>/clients/<default> > users/<default> > clients/<c> > clients/<default>."""
    key = "producer_byte_rate"
    levels = [
        (ConfigEntity("alice", "c1"), ("alice", "c1")),
        (ConfigEntity("alice", D), ("alice", "c1")),
        (ConfigEntity(user="alice"), ("alice", "")),
        (ConfigEntity(D, "c1"), ("alice", "c1")),
        (ConfigEntity(D, D), ("alice", "c1")),
        (ConfigEntity(user=D), ("alice", "")),
        (ConfigEntity(client_id="c1"), ("", "c1")),
        (ConfigEntity(client_id=D), ("", "c1")),
    ]
    store = _store(tmp_path, {entity: {key: str(1000 + i)} for i, (entity, _) in enumerate(levels)})
    clock = ManualClock(0)
    quotas = QuotaManagers(store, clock, 11, 1)
    assert quotas.active and quotas.produce.enabled and not quotas.fetch.enabled
    for i, (entity, sensor_key) in enumerate(levels):
        assert quotas.produce.quota("alice", "c1") == (sensor_key, 1000.0 + i), entity.path
        asyncio.run(store.alter(entity, {}, [key]))  # the next level applies once this one is gone
    assert quotas.produce.quota("alice", "c1") is None
    assert not quotas.active


def test_quota_change_applies_to_a_live_sensor(tmp_path) -> None:
    store = _store(tmp_path, {ConfigEntity(user="bob"): {"consumer_byte_rate": "1000"}})
    clock = ManualClock(0)
    quotas = QuotaManagers(store, clock, 11, 1)
    assert quotas.fetch.record_and_get_throttle_ms("bob", "x", 20_000) == 10_000  # 2000 B/s over 10 s: 10 s
    asyncio.run(store.alter(ConfigEntity(user="bob"), {"consumer_byte_rate": "4000"}))
    assert quotas.fetch.record_and_get_throttle_ms("bob", "x", 0) == 0  # same samples, higher quota
    assert quotas.fetch.record_and_get_throttle_ms("alice", "x", 10**9) == 0  # no quota for alice


def test_request_quota_throttles_at_most_one_window(tmp_path) -> None:
    store = _store(tmp_path, {ConfigEntity(user=D): {"request_percentage": "1"}})
    quotas = QuotaManagers(store, ManualClock(0), 11, 1)
    assert quotas.request.record_and_get_throttle_ms("u", "c", 500.0) == 1000


def test_inactive_sensors_expire_after_an_hour(tmp_path) -> None:
    store = _store(tmp_path, {ConfigEntity(client_id=D): {"producer_byte_rate": "1000000"}})
    clock = ManualClock(0)
    manager = QuotaManagers(store, clock, 11, 1).produce
    for i in range(100):
        manager.record_and_get_throttle_ms("u", f"client-{i}", 10)
    clock.advance(INACTIVE_SENSOR_EXPIRATION_MS)
    for _ in range(EXPIRY_CHECK_EVERY - 100):
        manager.record_and_get_throttle_ms("u", "busy", 10)
    assert manager.sensor_count == 1  # the hundred idle client ids are gone, the busy one stays
