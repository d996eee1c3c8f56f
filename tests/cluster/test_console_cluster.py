"""The console on a 3-broker ZooKeeper cluster: the overview lists every broker and the controller, and when a
follower is killed it shows the under-replicated partitions, the topic page marks them (ISR without the dead
broker), and the throughput charts keep drawing from the brokers that still answer /metrics."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

import strom
from strom.testing.broker import free_port
from strom.testing.zookeeper import ZooKeeperProcess
from tests.cluster.conftest import Cluster
from tests.integration.console_walk import Walk, chromium, console_process

pytestmark = [pytest.mark.zookeeper, pytest.mark.slow, pytest.mark.timeout(240)]
TOPIC = "console-replicated"


def test_console_shows_a_killed_follower(zookeeper: ZooKeeperProcess) -> None:
    cluster = Cluster(zookeeper, 3, {"replica.lag.time.max.ms": "1500"})
    urls = []
    for broker in cluster.brokers.values():
        port = free_port()
        broker.overrides["metrics.prometheus.listener"] = f"http://127.0.0.1:{port}"
        urls.append(f"http://127.0.0.1:{port}/metrics")
    cluster.start()
    try:
        admin = strom.AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([strom.NewTopic(TOPIC, replica_assignment=[[0, 1, 2], [1, 0, 2]])])[TOPIC].result(30)
        producer = strom.Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
        for i in range(4):
            producer.produce(TOPIC, b"v%d" % i, partition=i % 2)
        assert producer.flush(30) == 0
        admin.close()
        bootstrap = cluster.brokers[0].bootstrap
        with console_process(bootstrap, tuple(urls)) as url, chromium() as driver:
            w = Walk(driver, url, None)
            w.open("/")
            assert [r.get_attribute("data-broker") for r in w.els("#brokers tbody tr")] == ["0", "1", "2"]
            controller = w.el("#controller").text
            assert controller in ("0", "1", "2")
            assert [r.text for r in w.els("#brokers tbody tr td:nth-child(4)")].count("yes") == 1
            assert w.el("#under-replicated").text == "0"

            cluster.brokers[2].kill()

            seen: list[object] = []

            def noticed(d: object) -> bool:
                """Both partitions under-replicated, and broker 2 either out of the metadata (Kafka drops a broker
                whose ZooKeeper session expired) or listed with the error of its refused connection."""
                driver.refresh()
                found = driver.find_elements(By.CSS_SELECTOR, "#under-replicated")
                rows = {r.get_attribute("data-broker"): r.text for r in driver.find_elements(By.CSS_SELECTOR, "#brokers tbody tr")}
                seen.append((found[0].text if found else None, rows))
                dead = rows.get("2")
                return bool(found) and found[0].text == "2" and (dead is None or "used" not in dead)

            try:
                w.wait(noticed, 60)
            except TimeoutException:
                pytest.fail(f"the overview showed (under-replicated, broker rows): {seen[-3:]}")
            rows = seen[-1][1]  # type: ignore[index]
            assert "used" in rows["0"] and "used" in rows["1"], rows  # the live brokers' log dirs
            w.open(f"/topics/{TOPIC}")
            assert w.cells("#partitions tbody tr", "isr") == ["0, 1", "1, 0"]
            assert all("bad" in (r.get_attribute("class") or "") for r in w.els("#partitions tbody tr"))
            assert w.cells("#partitions tbody tr", "end") == ["2", "2"]
            w.open("/")
            chart = "return [...document.querySelectorAll('#throughput polyline title')].map(t => t.textContent).sort()"
            w.wait(lambda d: driver.execute_script(chart) == ["bytes in/s", "bytes out/s", "messages in/s"])
    finally:
        cluster.close()
