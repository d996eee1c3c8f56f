"""The console's Streams pages in a real browser against a running Strom Streams application (a word count with a
repartition topic and a changelogged store, run as its own process): the application is listed, its outline
(input, repartition and changelog topics), its stream thread and its lag are shown; stopped, it stays listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

import strom
from strom.testing.broker import BrokerProcess
from tests.integration.console_walk import Walk, chromium, console_process, screenshots

pytestmark = pytest.mark.slow
APP = "console-word-count"


def test_console_streams_pages(tmp_path: Path) -> None:
    with BrokerProcess() as broker:
        admin = strom.AdminClient({"bootstrap.servers": broker.bootstrap})
        for topic in ("console-lines", "console-counts"):
            admin.create_topics([strom.NewTopic(topic, 1, 1)])[topic].result(30)
        admin.close()
        err = (tmp_path / "app.err").open("w")
        app = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.streams.eos_word_count_app", broker.bootstrap, str(tmp_path), "console-lines"]
            + ["console-counts", APP],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            assert app.stdout is not None and app.stdout.readline().strip() == "RUNNING", (tmp_path / "app.err").read_text()[-3000:]
            producer = strom.Producer({"bootstrap.servers": broker.bootstrap})
            producer.produce("console-lines", b"a b a")
            producer.flush(30)
            with console_process(broker.bootstrap) as url, chromium() as driver:
                w = Walk(driver, url, screenshots())
                w.open("/")
                w.click("#nav-streams")
                assert [r.get_attribute("data-app") for r in w.els("#apps tbody tr")] == [APP]
                w.click(f'#apps tr[data-app="{APP}"] a')
                assert w.el("#app-id").text == APP
                assert w.el("#outline td.inputs").text == "console-lines"
                assert w.el("#outline td.repartition").text == f"{APP}-words-repartition"
                assert w.el("#outline td.stores").text == f"counts ({APP}-counts-changelog)"
                assert w.el("#app-state").text == "Stable" and w.el("#instance-count").text == "1"
                assert w.el("#threads td.instance").text.startswith(APP + "-")
                wanted = {"console-lines-0": "1", f"{APP}-words-repartition-0": "3"}  # 1 line, 3 words

                def committed(d: object) -> bool:
                    driver.refresh()
                    rows = w.els("#lag tbody tr")
                    return {r.get_attribute("data-tp"): r.find_element(By.CSS_SELECTOR, "td.committed").text for r in rows} == wanted

                w.wait(committed, 60)
                w.shot("streams")
                # lag is end minus committed, as kafka-consumer-groups counts it: with exactly-once the repartition
                # topic's end offset includes the commit marker, so its lag stays 1
                for r in w.els("#lag tbody tr"):
                    end, done, lag = (int(r.find_element(By.CSS_SELECTOR, f"td.{c}").text) for c in ("end", "committed", "lag"))
                    assert lag == end - done
                app.terminate()
                assert app.wait(60) == 0
                w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, "#app-state").text == "Empty", 60)
                assert w.el("#threads").text.endswith("No running instances.")
                w.click("#nav-streams")
                assert [r.get_attribute("data-app") for r in w.els("#apps tbody tr")] == [APP]  # its topics remain
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
            if app.stdout is not None:
                app.stdout.close()
            err.close()
