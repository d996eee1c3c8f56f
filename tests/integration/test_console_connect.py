"""The console's Connect pages in a real browser, against a Strom Connect worker and against Apache Kafka's own
(Java, Kafka 3.9 connect-runtime), each standalone on a Strom broker running a file source: the connector list
with states, pause / resume / restart from the list and the detail page, a config edit the worker applies, and
deletion."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from strom.testing.broker import BrokerProcess
from tests.integration.console_walk import Walk, chromium, console_process, screenshots
from tests.integration.test_connect_rest_java import ConnectWorker

pytestmark = pytest.mark.slow
NAME = "console-file-source"


def _create(connect_url: str, config: dict[str, str]) -> None:
    body = json.dumps({"name": NAME, "config": config}).encode()
    req = urllib.request.Request(connect_url + "/connectors", data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201


@pytest.mark.parametrize("java", [False, pytest.param(True, marks=pytest.mark.java)], ids=["strom-worker", "kafka-worker"])
def test_console_connect_pages(java: bool, tmp_path: Path) -> None:
    source = tmp_path / "input.txt"
    source.write_text("one\ntwo\n")
    with BrokerProcess() as broker:
        worker = ConnectWorker(java, broker.bootstrap).start()
        try:
            config = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": "console-connect"}
            _create(worker.url, config)
            with console_process(broker.bootstrap, connect_url=worker.url) as url, chromium() as driver:
                w = Walk(driver, url, screenshots())
                w.open("/")
                w.click("#nav-connect")
                row = f'#connectors tr[data-connector="{NAME}"]'

                def state(css: str, wanted: str) -> None:
                    w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, css).text == wanted, 60)

                state(f"{row} td.state", "RUNNING")
                state(f"{row} td.tasks", "0: RUNNING")
                w.submit(f"{row} form.action-pause")
                assert w.notice() == f"Connector {NAME} paused", w.error()
                state(f"{row} td.state", "PAUSED")
                w.submit(f"{row} form.action-resume")
                state(f"{row} td.state", "RUNNING")
                w.click(f"{row} a")
                assert w.el("#connector-name").text == NAME
                text = w.el("#connector-config textarea").get_attribute("value") or ""
                assert f"file={source}" in text
                w.submit("form.action-restart")
                assert w.notice() == f"Connector {NAME} restarted", w.error()
                w.fill("#connector-config", config=text.replace("tasks.max=1", "batch.size=7\ntasks.max=1"))
                w.submit("#connector-config")
                assert w.notice() == f"Config of {NAME} saved", w.error()
                assert "batch.size=7" in (w.el("#connector-config textarea").get_attribute("value") or "")
                state("#tasks tr[data-task='0'] td.state", "RUNNING")
                if not java:
                    w.shot("connect")
                w.submit("#delete-connector", confirm=True)
                assert w.notice() == f"Connector {NAME} deleted", w.error()
                assert w.el("#connectors").text.endswith("No connectors.")
        finally:
            worker.close()
