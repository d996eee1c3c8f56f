"""Produce and consume over SASL_SSL (SCRAM-SHA-512 inside TLS 1.2), Strom vs Apache Kafka 3.9, with the
same cipher suite as bench/tls_fetch.py (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, server authentication only).

Each run writes N MiB of 1 KiB incompressible records to a fresh one-partition topic with a confluent-kafka
producer (acks=all), then reads them all back with one kcat consumer, both logged in as the same SCRAM user
on the broker's SASL_SSL listener. Runs alternate between the two brokers (both up for the whole bench).
Reports produce and consume MB/s (medians of --runs) and the broker's CPU seconds per GiB moved (from
/proc/<pid>/stat), and Strom's figures over Kafka's.

    python bench/sasl_ssl.py --mib 128 --runs 3 [--no-kafka]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion
from tls_fetch import OPENSSL_SUITE, RECORD, SUITE, consume, cpu_seconds, tls_server_config

from strom.testing.apache_kafka import ApacheKafka
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates

USER, PASSWORD = "bench", "bench-secret"
MECHANISM = "SCRAM-SHA-512"
MIB = 1 << 20
GIB = 1 << 30


def sasl_server_config(pki: TestCertificates) -> dict[str, str]:
    """The same server.properties lines for both brokers: SCRAM-SHA-512 on the SASL_SSL listener, tls_fetch's TLS."""
    return {
        "sasl.enabled.mechanisms": MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        **tls_server_config(pki),
    }


@dataclass
class Target:
    """One running broker: its process id, its PLAINTEXT (admin) and SASL_SSL (measured) bootstraps."""

    name: str
    pid: int
    plain: str
    sasl_ssl: str
    client: dict[str, str] = field(default_factory=dict)
    produce_rate: list[float] = field(default_factory=list)
    consume_rate: list[float] = field(default_factory=list)
    produce_cpu: list[float] = field(default_factory=list)
    consume_cpu: list[float] = field(default_factory=list)


def client_config(bootstrap: str, ca: Path) -> dict[str, str]:
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": MECHANISM,
        "sasl.username": USER,
        "sasl.password": PASSWORD,
        "ssl.ca.location": str(ca),
        "ssl.cipher.suites": OPENSSL_SUITE,
    }


def add_scram_user(target: Target) -> None:
    """AlterUserScramCredentials (KIP-554) over PLAINTEXT, then wait until a SASL_SSL login succeeds."""
    admin = AdminClient({"bootstrap.servers": target.plain})
    upsert = UserScramCredentialUpsertion(USER, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), PASSWORD.encode())
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(60)
    deadline = time.monotonic() + 60
    while True:
        try:
            AdminClient(target.client).list_topics(timeout=10)
            return
        except KafkaException:
            if time.monotonic() > deadline:
                raise


def produce(target: Target, topic: str, mib: int) -> tuple[float, int]:
    """N MiB of 1 KiB records, acks=all, no compression; the clock runs from the first record to flush()."""
    producer = Producer(target.client | {"acks": "all", "linger.ms": 5, "batch.size": MIB, "enable.idempotence": False})
    producer.list_topics(topic, timeout=30)  # connect and authenticate before the clock starts
    count = mib * 1024
    value = os.urandom(RECORD)
    start = time.perf_counter()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10000 == 0:
            producer.poll(0)
    if producer.flush(600) != 0:
        raise RuntimeError(f"{target.name}: records left unacknowledged")
    return time.perf_counter() - start, count


def one_run(target: Target, mib: int, record: bool = True) -> None:
    topic = f"sasl-ssl-bench-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": target.plain})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(60)
    before = cpu_seconds(target.pid)
    elapsed, count = produce(target, topic, mib)
    between = cpu_seconds(target.pid)
    read, size = consume(target.client, topic, count)
    after = cpu_seconds(target.pid)
    admin.delete_topics([topic])[topic].result(60)
    if not record:
        return
    target.produce_rate.append(size / elapsed / MIB)
    target.consume_rate.append(size / read / MIB)
    target.produce_cpu.append((between - before) / (size / GIB))
    target.consume_cpu.append((after - between) / (size / GIB))
    print(
        f"{target.name}: produce {target.produce_rate[-1]:.1f} MB/s ({target.produce_cpu[-1]:.2f} CPU s/GiB), "
        f"consume {target.consume_rate[-1]:.1f} MB/s ({target.consume_cpu[-1]:.2f} CPU s/GiB)",
        file=sys.stderr,
    )


@contextmanager
def strom(pki: TestCertificates) -> Iterator[Target]:
    plain, tls = free_port(), free_port()
    listeners = f"PLAINTEXT://127.0.0.1:{plain},SASL_SSL://127.0.0.1:{tls}"
    broker = BrokerProcess(port=plain, overrides={"listeners": listeners, **sasl_server_config(pki)})
    broker.start()
    try:
        assert broker.proc is not None
        yield Target("Strom", broker.proc.pid, f"127.0.0.1:{plain}", f"127.0.0.1:{tls}")
    finally:
        broker.close()


@contextmanager
def kafka(pki: TestCertificates) -> Iterator[Target]:
    broker = ApacheKafka()
    tls = free_port()
    broker.props.update(
        {
            "listeners": f"PLAINTEXT://127.0.0.1:{broker.port},SASL_SSL://127.0.0.1:{tls},CONTROLLER://127.0.0.1:{broker.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker.port},SASL_SSL://127.0.0.1:{tls}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
            **sasl_server_config(pki),
        }
    )
    broker.start()
    try:
        pid = broker.pid()
        assert pid is not None
        yield Target("Apache Kafka 3.9", pid, broker.bootstrap, f"127.0.0.1:{tls}")
    finally:
        broker.close()


def spread(values: list[float], fmt: str) -> str:
    median = format(statistics.median(values), fmt)
    return median if len(values) == 1 else f"{median} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def report(targets: list[Target], mib: int, runs: int, load: float) -> None:
    print(
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python bench/sasl_ssl.py --mib {mib} --runs {runs}`: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, SASL_SSL with {MECHANISM}, {SUITE} (TLS 1.2) on both brokers, "
        f"1 KiB incompressible records, one partition; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("| broker | produce MB/s | consume MB/s | broker CPU s/GiB produce | broker CPU s/GiB consume |")
    print("|---|---|---|---|---|")
    for t in targets:
        cells = [spread(t.produce_rate, ".0f"), spread(t.consume_rate, ".0f"), spread(t.produce_cpu, ".2f"), spread(t.consume_cpu, ".2f")]
        print(f"| {t.name} | {' | '.join(cells)} |")
    if len(targets) == 2:
        s, k = targets
        ratios = [
            statistics.median(s.produce_rate) / statistics.median(k.produce_rate),
            statistics.median(s.consume_rate) / statistics.median(k.consume_rate),
            statistics.median(s.produce_cpu) / statistics.median(k.produce_cpu),
            statistics.median(s.consume_cpu) / statistics.median(k.consume_cpu),
        ]
        print(f"| Strom / Kafka | {' | '.join(f'{r:.2f}' for r in ratios)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128, help="MiB produced and consumed per run (1 KiB records)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-kafka", action="store_true", help="Strom only")
    args = parser.parse_args()
    pki = TestCertificates(Path(tempfile.mkdtemp(prefix="sasl-ssl-bench-")))
    load = os.getloadavg()[0]
    with strom(pki) as s, nullcontext() if args.no_kafka else kafka(pki) as k:
        targets = [t for t in (s, k) if t is not None]
        for t in targets:
            t.client = client_config(t.sasl_ssl, pki.ca_pem)
            add_scram_user(t)
            one_run(t, min(args.mib, 32), record=False)  # warm-up: JIT, page cache, first segment
        for _ in range(args.runs):
            for t in targets:
                one_run(t, args.mib)
    report(targets, args.mib, args.runs, load)


if __name__ == "__main__":
    main()
