"""Client quotas as Kafka's ClientQuotaManager enforces them: byte rates and request-time percentages per
user, client id, or both, with defaults.

Each quota type (`producer_byte_rate`, `consumer_byte_rate`, `request_percentage`) has its own manager. A
request's (user, client id) resolves to the first entity in Kafka's precedence order that sets the quota
(/config/users/<user>/clients/<client-id> first, /config/clients/<default> last); its sensor is shared by
every (user, client id) the entity covers, as Kafka's metric tags are. The rate is Kafka's Rate over a
SampledStat: `quota.window.num` samples of `quota.window.size.seconds`. When a recorded value takes the rate
over the quota, the throttle time is what brings it back: (rate - quota) / quota x the measured window.

A broker with no quota configured pays one attribute check per request (`QuotaManagers.active`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from strom.broker.entity_configs import DEFAULT_ENTITY, ConfigEntity, EntityConfigStore
from strom.storage.clock import Clock

log = logging.getLogger("kafka.server.ClientQuotaManager")

PRODUCER_BYTE_RATE = "producer_byte_rate"
CONSUMER_BYTE_RATE = "consumer_byte_rate"
REQUEST_PERCENTAGE = "request_percentage"
CONTROLLER_MUTATION_RATE = "controller_mutation_rate"
QUOTA_KEYS = (PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, REQUEST_PERCENTAGE, CONTROLLER_MUTATION_RATE)
"""The quota keys Kafka 2.8 accepts for users and clients (controller_mutation_rate is stored, not enforced)."""

NANOS_TO_PERCENTAGE_PER_SECOND = 100.0 / 1e9
"""Request time in ns -> percent of one thread for one second (Kafka's NanosToPercentagePerSecond)."""

INACTIVE_SENSOR_EXPIRATION_MS = 3600 * 1000
"""A sensor not recorded for an hour is dropped (Kafka's InactiveSensorExpirationTimeSeconds), so a broker
that saw many client ids under a per-client-id default does not keep them all."""
EXPIRY_CHECK_EVERY = 10_000  # records between two looks for inactive sensors

MetricKey = tuple[str, str]
"""(user, client id) of a quota sensor: "" for a part the matched entity does not name (Kafka's metric tags)."""


class Rate:
    """Kafka's Rate over a SampledStat of `samples` windows of `window_ms`: the sum of the live samples over
    the time they span, counted as at least samples - 1 full windows (so a new sensor is not over its quota
    after its first request)."""

    __slots__ = ("samples", "window_ms", "_starts", "_values", "_current")

    def __init__(self, samples: int, window_ms: int) -> None:
        self.samples = samples
        self.window_ms = window_ms
        self._starts: list[int] = []
        self._values: list[float] = []
        self._current = 0

    def record(self, value: float, now_ms: int) -> None:
        if not self._starts:
            self._new_sample(now_ms)
        elif now_ms - self._starts[self._current] >= self.window_ms:
            self._advance(now_ms)
        self._values[self._current] += value

    def _new_sample(self, now_ms: int) -> None:
        self._starts.append(now_ms)
        self._values.append(0.0)

    def _advance(self, now_ms: int) -> None:
        self._current = (self._current + 1) % self.samples
        if self._current >= len(self._starts):
            self._new_sample(now_ms)
        else:
            self._starts[self._current] = now_ms
            self._values[self._current] = 0.0

    def _purge_obsolete(self, now_ms: int) -> None:
        expire_age = self.samples * self.window_ms
        for i, start in enumerate(self._starts):
            if now_ms - start >= expire_age:
                self._starts[i] = now_ms
                self._values[i] = 0.0

    def window_size_ms(self, now_ms: int) -> int:
        """The span the rate divides by (purges obsolete samples first, as Kafka's Rate.windowSize)."""
        self._purge_obsolete(now_ms)
        if not self._starts:
            self._new_sample(now_ms)
        elapsed = now_ms - min(self._starts)
        full_windows = elapsed // self.window_ms
        if full_windows < self.samples - 1:
            elapsed += (self.samples - 1 - full_windows) * self.window_ms
        return elapsed

    def measure(self, now_ms: int) -> float:
        """Per second."""
        window_ms = self.window_size_ms(now_ms)
        return sum(self._values) / (window_ms / 1000.0)


@dataclass(slots=True)
class QuotaSensor:
    rate: Rate
    bound: float
    last_record_ms: int = 0


def throttle_time_ms(rate: float, bound: float, window_ms: int) -> int:
    """Kafka's QuotaUtils.throttleTime: how long to pause so the rate over the window comes back to the quota."""
    if bound <= 0:
        return window_ms
    return max(0, round((rate - bound) / bound * window_ms))


def quota_entities(user: str, client_id: str) -> tuple[ConfigEntity, ...]:
    """Kafka's quota precedence, most specific first."""
    d = DEFAULT_ENTITY
    return (
        ConfigEntity(user, client_id),
        ConfigEntity(user, d),
        ConfigEntity(user=user),
        ConfigEntity(d, client_id),
        ConfigEntity(d, d),
        ConfigEntity(user=d),
        ConfigEntity(client_id=client_id),
        ConfigEntity(client_id=d),
    )


class ClientQuotaManager:
    """One quota type. `record_and_get_throttle_ms` is called only while `enabled` (some entity sets the key)."""

    def __init__(
        self,
        quota_key: str,
        store: EntityConfigStore,
        clock: Clock,
        window_num: int,
        window_size_s: int,
        max_throttle_ms: int | None = None,
    ) -> None:
        self.quota_key = quota_key
        self.store = store
        self.clock = clock
        self.window_num = window_num
        self.window_ms = window_size_s * 1000
        self.max_throttle_ms = max_throttle_ms
        self.enabled = False
        self._resolved: dict[tuple[str, str], tuple[MetricKey, float] | None] = {}
        self._sensors: dict[MetricKey, QuotaSensor] = {}
        self._records = 0
        self.refresh()

    def refresh(self) -> None:
        """After any entity changed: resolve again (a sensor keeps its samples and takes its new bound at its
        next record, as Kafka updates a sensor's quota in place)."""
        self._resolved.clear()
        self.enabled = any(self.quota_key in self.store.get(e) for e in self.store.entities())

    def quota(self, user: str, client_id: str) -> tuple[MetricKey, float] | None:
        """The sensor key and bound for a (user, client id), or None when no entity sets this quota."""
        cache_key = (user, client_id)
        if cache_key in self._resolved:
            return self._resolved[cache_key]
        found: tuple[MetricKey, float] | None = None
        for entity in quota_entities(user, client_id):
            value = self.store.get(entity).get(self.quota_key)
            if value is None:
                continue
            try:
                bound = float(value)
            except ValueError:
                log.warning("Ignoring %s=%r of %s: not a number", self.quota_key, value, entity.path)
                continue
            key = (user if entity.user is not None else "", client_id if entity.client_id is not None else "")
            found = (key, bound)
            break
        self._resolved[cache_key] = found
        return found

    def record_and_get_throttle_ms(self, user: str, client_id: str, value: float, now_ms: int | None = None) -> int:
        found = self.quota(user, client_id)
        if found is None:
            return 0
        key, bound = found
        sensor = self._sensors.get(key)
        if sensor is None:
            sensor = self._sensors[key] = QuotaSensor(Rate(self.window_num, self.window_ms), bound)
        sensor.bound = bound
        now = self.clock.monotonic_ms() if now_ms is None else now_ms
        sensor.last_record_ms = now
        sensor.rate.record(value, now)
        self._records += 1
        if self._records % EXPIRY_CHECK_EVERY == 0:
            self._expire_inactive(now)
        rate = sensor.rate.measure(now)
        if rate <= sensor.bound:
            return 0
        throttle = throttle_time_ms(rate, sensor.bound, sensor.rate.window_size_ms(now))
        return throttle if self.max_throttle_ms is None else min(throttle, self.max_throttle_ms)

    @property
    def sensor_count(self) -> int:
        """How many rates are kept (one per matched entity and user/client id it covers)."""
        return len(self._sensors)

    def _expire_inactive(self, now_ms: int) -> None:
        idle = [key for key, sensor in self._sensors.items() if now_ms - sensor.last_record_ms >= INACTIVE_SENSOR_EXPIRATION_MS]
        for key in idle:
            del self._sensors[key]
        if idle:
            self._resolved.clear()

    def unrecord(self, user: str, client_id: str, value: float, now_ms: int | None = None) -> None:
        """Takes back a recorded value (a throttled fetch is answered empty: its bytes were never sent)."""
        found = self.quota(user, client_id)
        sensor = self._sensors.get(found[0]) if found else None
        if sensor is not None:
            sensor.rate.record(-value, self.clock.monotonic_ms() if now_ms is None else now_ms)


class QuotaManagers:
    """The broker's quota managers (Kafka's QuotaFactory.QuotaManagers) and the one flag the request path
    checks: `active` is True while any quota of any type is configured."""

    def __init__(self, store: EntityConfigStore, clock: Clock, window_num: int, window_size_s: int) -> None:
        self.produce = ClientQuotaManager(PRODUCER_BYTE_RATE, store, clock, window_num, window_size_s)
        self.fetch = ClientQuotaManager(CONSUMER_BYTE_RATE, store, clock, window_num, window_size_s)
        # request time quotas throttle for at most one window (Kafka's ClientRequestQuotaManager)
        self.request = ClientQuotaManager(REQUEST_PERCENTAGE, store, clock, window_num, window_size_s, window_size_s * 1000)
        self.active = False
        self._update_active()
        store.on_change(self._on_entity_change)

    def _on_entity_change(self, entity: ConfigEntity) -> None:
        for manager in (self.produce, self.fetch, self.request):
            manager.refresh()
        self._update_active()

    def _update_active(self) -> None:
        self.active = self.produce.enabled or self.fetch.enabled or self.request.enabled
