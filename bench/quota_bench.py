"""A producer quota measured: Strom against Apache Kafka 3.9, same client, same quota, same command.

Sets `producer_byte_rate` for one client id with Apache Kafka's kafka-configs.sh (Admin
AlterClientQuotas on both brokers), then a confluent-kafka producer pushes 1000-byte records as fast as it
can. Reported: value bytes acknowledged per second over the whole run and after a warm-up (a new quota sensor
measures over at least quota.window.num - 1 windows, so the first seconds let a burst through, on both),
and the throttle times the producer was told (throttle_cb).

    python bench/quota_bench.py [--seconds 22] [--warmup 0] [--quota 1048576] [--broker strom|kafka|both]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import ApacheKafka, run_kafka_tool
from strom.testing.broker import BrokerProcess

VALUE = b"x" * 1000
CLIENT_ID = "quota-bench"


def set_quota(bootstrap: str, quota: int) -> None:
    args = ["--bootstrap-server", bootstrap, "--alter", "--add-config", f"producer_byte_rate={quota}"]
    done = run_kafka_tool("kafka-configs.sh", [*args, "--entity-type", "clients", "--entity-name", CLIENT_ID])
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])


def measure(bootstrap: str, seconds: float, warmup: float) -> dict[str, Any]:
    topic = f"quota-bench-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(60)
    time.sleep(1)
    throttles: list[float] = []
    acks: list[tuple[float, int]] = []  # (time, value bytes acknowledged so far)
    total = [0]

    def on_delivery(err: Any, msg: Any) -> None:
        if err is None:
            total[0] += len(msg.value())
            acks.append((time.monotonic(), total[0]))

    producer = ck.Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": CLIENT_ID,
            "linger.ms": 5,
            "batch.size": 65536,
            "queue.buffering.max.messages": 2000,
            "throttle_cb": lambda event: throttles.append(event.throttle_time),
        }
    )
    start = time.monotonic()
    while time.monotonic() - start < warmup + seconds:
        try:
            producer.produce(topic, VALUE, on_delivery=on_delivery)
        except BufferError:
            producer.poll(0.01)
        producer.poll(0)
    end = time.monotonic()
    producer.purge()
    producer.flush(10)
    after_warmup = [a for a in acks if a[0] >= start + warmup and a[0] <= end]
    before = max((a[1] for a in acks if a[0] < start + warmup), default=0)
    steady = (after_warmup[-1][1] - before) / (end - start - warmup) if after_warmup else 0.0
    whole = max((a[1] for a in acks if a[0] <= end), default=0) / (end - start)
    return {
        "bytes_per_s_whole_run": round(whole),
        "bytes_per_s_after_warmup": round(steady),
        "throttle_events": len(throttles),
        "max_throttle_ms": round(max(throttles, default=0) * 1000),
    }


def run(kind: str, seconds: float, warmup: float, quota: int) -> dict[str, Any]:
    server: BrokerProcess | ApacheKafka = BrokerProcess() if kind == "strom" else ApacheKafka()
    try:
        server.start()
        set_quota(server.bootstrap, quota)
        time.sleep(1)
        result = measure(server.bootstrap, seconds, warmup)
    finally:
        server.close()
    result["ratio_whole_run"] = round(result["bytes_per_s_whole_run"] / quota, 3)
    result["ratio_after_warmup"] = round(result["bytes_per_s_after_warmup"] / quota, 3)
    return {"broker": kind, "quota": quota, "seconds": seconds, "warmup": warmup, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=22)
    parser.add_argument("--warmup", type=float, default=0)
    parser.add_argument("--quota", type=int, default=1024 * 1024)
    parser.add_argument("--broker", choices=["strom", "kafka", "both"], default="both")
    a = parser.parse_args()
    for kind in ["strom", "kafka"] if a.broker == "both" else [a.broker]:
        print(json.dumps(run(kind, a.seconds, a.warmup, a.quota)), flush=True)


if __name__ == "__main__":
    main()
