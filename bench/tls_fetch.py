"""What TLS costs on fetch: one kcat consumer reads the same topic over a PLAINTEXT and an SSL
listener of the same broker, for Strom and for Apache Kafka 3.9, with one TLS 1.2 cipher suite on both
(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, server authentication only).

Reports consume MB/s (median of --runs, the runs alternating PLAINTEXT and SSL) and the broker's CPU seconds
per GiB served (from /proc/<pid>/stat). The topic is written once per broker over PLAINTEXT; records are
1 KiB, one partition, read from the beginning with manual assignment (no group).

    python bench/tls_fetch.py --mib 256 --runs 3 [--no-kafka]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import ApacheKafka
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates

SUITE = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
OPENSSL_SUITE = "ECDHE-RSA-AES128-GCM-SHA256"
RECORD = 1024


def tls_server_config(pki: TestCertificates) -> dict[str, str]:
    return {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(pki.server.p12),
        "ssl.keystore.password": pki.password,
        "ssl.enabled.protocols": "TLSv1.2",
        "ssl.cipher.suites": SUITE,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(bootstrap: str, topic: str, mib: int) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(60)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5, "batch.size": 1 << 20, "enable.idempotence": False})
    count = mib * 1024
    value = os.urandom(RECORD)  # incompressible, and no compression configured
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    return count


def consume(conf: dict[str, str], topic: str, count: int) -> tuple[float, int]:
    """kcat (librdkafka in C) reads the partition from the beginning to its end into /dev/null: the client
    costs little, so the rate is the broker's (and the TLS layer's) to give."""
    args = ["kcat", "-C", "-q", "-e", "-t", topic, "-p", "0", "-o", "beginning", "-c", str(count), "-f", "%s"]
    for key, value in conf.items():
        args += ["-b", value] if key == "bootstrap.servers" else ["-X", f"{key}={value}"]
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True, timeout=600)
    return time.perf_counter() - start, count * RECORD


def measure(name: str, pid: int, plain: str, tls: str, ca: Path, mib: int, runs: int) -> dict[str, tuple[float, float]]:
    topic = f"tls-bench-{uuid.uuid4().hex[:6]}"
    count = fill(plain, topic, mib)
    confs = {
        "PLAINTEXT": {"bootstrap.servers": plain},
        "SSL": {"bootstrap.servers": tls, "security.protocol": "ssl", "ssl.ca.location": str(ca), "ssl.cipher.suites": OPENSSL_SUITE},
    }
    consume(confs["PLAINTEXT"], topic, count)  # warm the page cache and the broker
    rates: dict[str, list[float]] = {p: [] for p in confs}
    cpu: dict[str, list[float]] = {p: [] for p in confs}
    for _ in range(runs):
        for protocol, conf in confs.items():
            before = cpu_seconds(pid)
            elapsed, size = consume(conf, topic, count)
            used = cpu_seconds(pid) - before
            rates[protocol].append(size / elapsed / (1 << 20))
            cpu[protocol].append(used / (size / (1 << 30)))
            print(f"{name} {protocol}: {rates[protocol][-1]:.1f} MB/s, broker {cpu[protocol][-1]:.2f} CPU s/GiB", file=sys.stderr)
    return {p: (statistics.median(rates[p]), statistics.median(cpu[p])) for p in confs}


def with_strom(pki: TestCertificates, body: Callable[[int, str, str], dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    plain, tls = free_port(), free_port()
    listeners = f"PLAINTEXT://127.0.0.1:{plain},SSL://127.0.0.1:{tls}"
    broker = BrokerProcess(port=plain, overrides={"listeners": listeners, **tls_server_config(pki)})
    broker.start()
    try:
        assert broker.proc is not None
        return body(broker.proc.pid, f"127.0.0.1:{plain}", f"127.0.0.1:{tls}")
    finally:
        broker.close()


def with_kafka(pki: TestCertificates, body: Callable[[int, str, str], dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    kafka = ApacheKafka()
    tls = free_port()
    kafka.props.update(
        {
            "listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SSL://127.0.0.1:{tls},CONTROLLER://127.0.0.1:{kafka.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SSL://127.0.0.1:{tls}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
            **tls_server_config(pki),
        }
    )
    kafka.start()
    try:
        pid = kafka.pid()
        assert pid is not None
        return body(pid, f"127.0.0.1:{kafka.port}", f"127.0.0.1:{tls}")
    finally:
        kafka.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="topic size in MiB (1 KiB records)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-kafka", action="store_true", help="Strom only")
    args = parser.parse_args()
    pki = TestCertificates(Path(tempfile.mkdtemp(prefix="tls-bench-")))
    load = os.getloadavg()[0]
    results = {"Strom": with_strom(pki, lambda pid, p, t: measure("Strom", pid, p, t, pki.ca_pem, args.mib, args.runs))}
    if not args.no_kafka:
        results["Kafka 3.9"] = with_kafka(pki, lambda pid, p, t: measure("Kafka", pid, p, t, pki.ca_pem, args.mib, args.runs))
    print(
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/tls_fetch.py --mib {args.mib} --runs {args.runs}`: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {SUITE} (TLS 1.2) on both brokers, 1 KiB records, one partition, "
        f"one kcat consumer; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("| broker | PLAINTEXT MB/s | SSL MB/s | SSL/PLAINTEXT | broker CPU s/GiB PLAINTEXT | broker CPU s/GiB SSL |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        (pm, pc), (sm, sc) = r["PLAINTEXT"], r["SSL"]
        print(f"| {name} | {pm:.0f} | {sm:.0f} | {sm / pm:.2f} | {pc:.2f} | {sc:.2f} |")


if __name__ == "__main__":
    main()
