"""Request metrics: Kafka's percentiles over the recent samples, and purgatory waits counted as remote time."""

from __future__ import annotations

import asyncio

from strom.broker.metrics.request_metrics import RESERVOIR, RequestChannelMetrics, RequestTiming
from strom.cluster.purgatory import REMOTE_TIME, Purgatory
from strom.protocol.schema.fetch import API_KEY as FETCH
from strom.protocol.schema.produce import API_KEY as PRODUCE


def test_percentiles_of_the_last_samples_and_counts_by_version() -> None:
    channel = RequestChannelMetrics()
    produce = channel.of(PRODUCE, False)
    assert produce.name == "Produce"
    for i in range(RESERVOIR + 100):  # the first 100 fall out of the ring
        timing = RequestTiming(produce, 9, 0.0)
        timing.started = timing.done = timing.queued = 0.0
        timing.sent((i - 99) / 1000 if i >= 100 else 100.0)  # 1 ... 1024 ms kept
    assert produce.count == RESERVOIR + 100
    assert produce.by_version[9] == RESERVOIR + 100
    times = dict(produce.percentiles())
    total = dict(times["TotalTimeMs"])
    assert 505 <= total[0.50] <= 520
    assert 1005 <= total[0.99] <= 1020
    assert max(dict(times["RequestQueueTimeMs"]).values()) == 0


def test_fetch_is_split_into_consumer_and_follower() -> None:
    channel = RequestChannelMetrics()
    assert channel.of(FETCH, False).name == "FetchConsumer"
    assert channel.of(FETCH, True).name == "FetchFollower"


def test_a_purgatory_wait_is_remote_time_of_the_request_waiting() -> None:
    async def main() -> tuple[float, float]:
        purgatory = Purgatory()
        metrics = RequestChannelMetrics().of(PRODUCE, False)
        waiting, other = RequestTiming(metrics, 9, 0.0), RequestTiming(metrics, 9, 0.0)

        async def request(timing: RequestTiming, wait: bool) -> None:
            REMOTE_TIME.set(timing)
            if wait:
                await purgatory.wait([("t", 0)], 0.05)

        await asyncio.gather(asyncio.ensure_future(request(waiting, True)), asyncio.ensure_future(request(other, False)))
        return waiting.remote_s, other.remote_s

    waited, not_waited = asyncio.run(main())
    assert waited >= 0.04
    assert not_waited == 0
