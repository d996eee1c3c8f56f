"""The console's Connect pages in a real browser, against a Strom Connect worker (connect-standalone) on a Strom
broker: the connector list with states, pause / resume / restart from the list and the detail page, a config
edit that the worker applies, and deletion."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from strom.testing.broker import BrokerProcess, free_port
from tests.integration.console_walk import Walk, chromium, console_process

pytestmark = pytest.mark.slow


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/connectors", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def test_console_connect_pages(tmp_path: Path) -> None:
    source = tmp_path / "input.txt"
    source.write_text("one\ntwo\n")
    port = free_port()
    worker = tmp_path / "worker.properties"
    connector = tmp_path / "file-source.properties"
    with BrokerProcess() as broker:
        worker.write_text(
            f"bootstrap.servers={broker.bootstrap}\nlisteners=http://127.0.0.1:{port}\n"
            f"offset.storage.file.filename={tmp_path / 'offsets'}\noffset.flush.interval.ms=500\n"
            "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
            "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        )
        connector.write_text(
            f"name=console-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile={source}\ntopic=console-connect\n"
        )
        log = (tmp_path / "connect.out").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "strom.cli.connect_standalone", str(worker), str(connector)], stdout=log, stderr=subprocess.STDOUT
        )
        connect_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not _up(connect_url):
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "connect.out").read_text()[-3000:]
                time.sleep(0.2)
            with console_process(broker.bootstrap, connect_url=connect_url) as url, chromium() as driver:
                w = Walk(driver, url, None)
                w.open("/")
                w.click("#nav-connect")
                row = '#connectors tr[data-connector="console-file-source"]'
                w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, f"{row} td.state").text == "RUNNING")
                assert w.el(f"{row} td.tasks").text == "0: RUNNING"
                w.submit(f"{row} form.action-pause")
                assert w.notice() == "Connector console-file-source paused", w.error()
                w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, f"{row} td.state").text == "PAUSED")
                w.submit(f"{row} form.action-resume")
                w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, f"{row} td.state").text == "RUNNING")
                w.click(f"{row} a")
                assert w.el("#connector-name").text == "console-file-source"
                assert f"file={source}" in w.el("#connector-config textarea").get_attribute("value")
                w.submit("form.action-restart")
                assert w.notice() == "Connector console-file-source restarted", w.error()
                w.fill(
                    "#connector-config",
                    config=w.el("#connector-config textarea").get_attribute("value").replace("tasks.max=1", "batch.size=7\ntasks.max=1"),
                )
                w.submit("#connector-config")
                assert w.notice() == "Config of console-file-source saved", w.error()
                assert "batch.size=7" in w.el("#connector-config textarea").get_attribute("value")
                w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, "#tasks tr[data-task='0'] td.state").text == "RUNNING")
                w.submit("#delete-connector", confirm=True)
                assert w.notice() == "Connector console-file-source deleted", w.error()
                assert w.el("#connectors").text.endswith("No connectors.")
        finally:
            proc.terminate()
            proc.wait(30)
            log.close()
