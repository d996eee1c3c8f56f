"""librdkafka's per-broker reconnect backoff: exponential from reconnect.backoff.ms to reconnect.backoff.max.ms,
-25%..+50% jitter, reset by a successful connection."""

from __future__ import annotations

from strom.client.reconnect_backoff import ReconnectBackoff

BROKER = ("127.0.0.1", 9092)


def _schedule(backoff: ReconnectBackoff, attempts: int) -> list[float]:
    """The waits between consecutive attempts when each starts as soon as it may."""
    now, waits = 0.0, []
    for _ in range(attempts):
        backoff.attempted(BROKER, now)
        wait = backoff.delay(BROKER, now)
        waits.append(round(wait, 6))
        now += wait
    return waits


def test_doubles_up_to_the_maximum_without_jitter() -> None:
    no_jitter = ReconnectBackoff(100, 1000, uniform=lambda low, high: low / 0.75)
    assert _schedule(no_jitter, 6) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_jitter_stays_within_minus_25_to_plus_50_percent_and_under_the_maximum() -> None:
    lowest = ReconnectBackoff(100, 1000, uniform=lambda low, high: low)
    highest = ReconnectBackoff(100, 1000, uniform=lambda low, high: high)
    assert _schedule(lowest, 6) == [0.075, 0.15, 0.3, 0.6, 0.75, 0.75]
    assert _schedule(highest, 6) == [0.15, 0.3, 0.6, 1.0, 1.0, 1.0]


def test_first_attempt_is_immediate_and_a_connection_resets_the_backoff() -> None:
    backoff = ReconnectBackoff(100, 1000, uniform=lambda low, high: low / 0.75)
    assert backoff.delay(BROKER, 0.0) == 0.0
    _schedule(backoff, 5)
    backoff.connected(BROKER)
    assert backoff.delay(BROKER, 0.0) == 0.0
    assert _schedule(backoff, 2) == [0.1, 0.2]


def test_brokers_back_off_independently() -> None:
    backoff = ReconnectBackoff(100, 1000, uniform=lambda low, high: low / 0.75)
    _schedule(backoff, 4)
    assert backoff.delay(("127.0.0.1", 9093), 0.0) == 0.0


def test_zero_disables_the_backoff() -> None:
    assert _schedule(ReconnectBackoff(0, 1000), 3) == [0.0, 0.0, 0.0]
