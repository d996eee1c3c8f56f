"""The console's browser test, shared by the Strom and the Apache Kafka runs: starts strom-console as a process,
drives headless Chromium (Debian's chromium + chromium-driver) through every page with Selenium, and checks what
each page shows against what the test put into the cluster with Strom's client.

STROM_CONSOLE_SCREENSHOTS=<dir> also saves a PNG of each page there (how docs/images/console-*.png are made).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

import strom

TOPIC = "console-orders"
GROUP = "console-billing"


@contextmanager
def console_process(
    bootstrap: str, metrics_urls: tuple[str, ...] = (), connect_url: str | None = None, command_config: Path | None = None
) -> Iterator[str]:
    """strom-console on a free port; yields its URL."""
    args = ["--bootstrap-server", bootstrap, "--port", "0", "--sample-interval", "1"]
    if command_config is not None:
        args += ["--command-config", str(command_config)]
    if connect_url is not None:
        args += ["--connect-url", connect_url]
    for url in metrics_urls:
        args += ["--metrics-url", url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "strom.cli.strom_console", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at http://" not in line:
        proc.kill()
        pytest.fail(f"strom-console did not start: {line}{proc.stdout.read()}")
    url = line.split(" at ")[1].split()[0]
    lines: list[str] = []
    drain = threading.Thread(target=_drain, args=(proc.stdout, lines), daemon=True)  # its log must not fill the pipe
    drain.start()
    try:
        yield url
    except BaseException:
        print("strom-console's log:\n" + "".join(lines[-200:]))  # shown by pytest with the failure
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drain.join(5)
        proc.stdout.close()
    assert proc.returncode == 0, f"strom-console exited with {proc.returncode}"


def _drain(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    browser = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if browser is None or driver_path is None:
        pytest.fail("chromium and chromium-driver are not installed: scripts/install-system-deps.sh installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def seed(bootstrap: str) -> None:
    """3 partitions, 10 JSON records with a header, and a group that committed 5 of them and left (Empty)."""
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([strom.NewTopic(TOPIC, 3, 1)])[TOPIC].result(30)
    producer = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(10):
        producer.produce(TOPIC, b'{"order": %d, "item": "apple"}' % i, key=b"key-%d" % i, partition=i % 3, headers=[("source", b"seed")])
    producer.flush(30)
    consumer = strom.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": GROUP, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    consumer.assign([strom.TopicPartition(TOPIC, p, 0) for p in range(3)])
    committed = [strom.TopicPartition(TOPIC, 0, 2), strom.TopicPartition(TOPIC, 1, 2), strom.TopicPartition(TOPIC, 2, 1)]
    deadline = time.monotonic() + 30
    while True:  # a fresh Apache Kafka answers NOT_COORDINATOR while it creates __consumer_offsets
        try:
            consumer.commit(offsets=committed, asynchronous=False)
            break
        except strom.KafkaError as exc:
            if not exc.retriable() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    consumer.close()
    admin.close()


def replaced(page: WebElement) -> Callable[[WebDriver], bool]:
    """selenium's staleness_of, also when chromedriver answers a page mid-navigation with an inspector error
    ("Node with given id does not belong to the document") instead of a stale element."""

    def gone(_driver: WebDriver) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" not in (exc.msg or ""):
                raise
            return True
        return False

    return gone


class Walk:
    """One browser session against one console, with the checks every page gets."""

    def __init__(self, driver: WebDriver, url: str, shots: Path | None) -> None:
        self.d = driver
        self.url = url.rstrip("/")
        self.shots = shots

    def wait(self, what: Callable[[WebDriver], object], timeout: float = 20) -> object:
        return WebDriverWait(self.d, timeout, poll_frequency=0.1).until(what)

    def el(self, css: str) -> WebElement:
        return self.d.find_element(By.CSS_SELECTOR, css)

    def els(self, css: str) -> list[WebElement]:
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def open(self, path: str) -> None:
        self.d.get(self.url + path)

    def click(self, css: str) -> None:
        page = self.el("html")
        self.el(css).click()
        self.wait(replaced(page))

    def fill(self, form: str, **fields: str) -> None:
        for name, value in fields.items():
            field = self.el(f"{form} [name={name}]")
            if field.tag_name == "select":
                Select(field).select_by_value(value)
            else:
                field.clear()
                field.send_keys(value)

    def submit(self, form: str, button: str = "button[type=submit]", confirm: bool = False) -> None:
        page = self.el("html")
        self.el(f"{form} {button}").click()
        if confirm:
            self.wait(lambda d: d.switch_to.alert).accept()  # type: ignore[union-attr]
        self.wait(replaced(page))  # the next page replaced this one

    def unset(self, css: str, attribute: str) -> None:
        self.d.execute_script(f"arguments[0].removeAttribute('{attribute}')", self.el(css))

    def notice(self) -> str:
        found = self.els("#notice")
        assert found, f"no notice on {self.d.current_url}: {self.d.page_source[:1500]}"
        return found[0].text

    def error(self) -> str:
        found = self.els("#error")
        return found[0].text if found else ""

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.d.save_screenshot(str(self.shots / f"console-{name}.png"))

    def cells(self, row_css: str, cls: str) -> list[str]:
        return [r.find_element(By.CSS_SELECTOR, f"td.{cls}").text for r in self.els(row_css)]


def screenshots() -> Path | None:
    """Where STROM_CONSOLE_SCREENSHOTS asks for a PNG of each page (docs/images makes the docs' pictures)."""
    where = os.environ.get("STROM_CONSOLE_SCREENSHOTS")
    return Path(where) if where else None


def walk_everything(driver: WebDriver, url: str, bootstrap: str, broker_ids: list[int], metrics: bool) -> None:
    """Every page, clicked through as an operator would; seed() ran before. metrics: the console was given the
    brokers' /metrics URLs, so the throughput chart draws their counters."""
    w = Walk(driver, url, screenshots())

    # -- overview: brokers, controller, version, log dirs, partition health, the throughput chart
    w.open("/")
    assert [int(r.get_attribute("data-broker") or -1) for r in w.els("#brokers tbody tr")] == broker_ids
    assert int(w.el("#controller").text) in broker_ids
    assert w.el("#under-replicated").text == "0" and w.el("#offline").text == "0"
    assert all(v.text.startswith("Produce v") and "Fetch v" in v.text for v in w.els("#brokers td.protocol")), "each broker's protocol"
    assert "used" in w.el("#brokers .logdir").text
    w.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#throughput svg"))

    # -- topics: list, create, detail (partitions and configs), config edit and reset, add partitions, delete
    w.click("#nav-topics")
    row = w.el(f'#topics tr[data-topic="{TOPIC}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.partitions").text == "3"
    assert row.find_element(By.CSS_SELECTOR, "td.messages").text == "10"
    assert not w.els('#topics tr[data-topic="__consumer_offsets"]'), "internal topics are hidden by default"
    w.click("#toggle-internal")
    assert w.els('#topics tr[data-topic="__consumer_offsets"]')
    w.click("#toggle-internal")
    w.fill("#create-topic", name="console-scratch", partitions="2", replication="1", configs="cleanup.policy=compact")
    w.submit("#create-topic")
    assert w.notice() == "Topic console-scratch created", w.error()
    assert len(w.els("#partitions tbody tr")) == 2
    assert w.el('#configs tr[data-config="cleanup.policy"] td.value').text == "compact"
    w.fill("#set-config", key="retention.ms", value="3600000")
    w.submit("#set-config")
    assert w.notice() == "retention.ms set to 3600000", w.error()
    assert w.el('#configs tr[data-config="retention.ms"] td.value').text == "3600000"
    assert w.el('#configs tr[data-config="retention.ms"] td.source').text == "DYNAMIC_TOPIC_CONFIG"
    w.submit('#configs tr[data-config="retention.ms"] form')
    assert w.notice() == "retention.ms reset to its default", w.error()
    assert w.el('#configs tr[data-config="retention.ms"] td.source').text == "DEFAULT_CONFIG"
    w.fill("#add-partitions", total="4")
    w.submit("#add-partitions")
    assert w.notice() == "console-scratch now has 4 partitions", w.error()
    assert len(w.els("#partitions tbody tr")) == 4
    w.fill("#add-partitions", total="2")  # fewer than it has: Kafka's INVALID_PARTITIONS, shown as an error
    w.unset("#add-partitions [name=total]", "min")  # the form's own check would stop the browser from sending it
    w.submit("#add-partitions")
    assert "INVALID_PARTITIONS" in w.error()
    w.submit("#delete-topic", confirm=True)
    assert w.notice() == "Topic console-scratch deleted", w.error()
    assert not w.els('#topics tr[data-topic="console-scratch"]')
    w.shot("topics")

    # -- topic detail of the seeded topic, then the message browser
    w.click(f'#topics tr[data-topic="{TOPIC}"] a')
    assert w.el("#topic-name").text == TOPIC
    assert w.cells("#partitions tbody tr", "end") == ["4", "3", "3"]
    assert w.cells("#partitions tbody tr", "leader") == [str(broker_ids[0])] * 3
    w.shot("topic")
    w.click("#browse")
    w.fill("#browse-form", start="beginning", format="json")
    w.submit("#browse-form")
    assert w.el("#record-count").text == "10 records"
    first = w.els("#records tbody tr")[0]
    assert first.get_attribute("data-offset") == "0-0"
    assert first.find_element(By.CSS_SELECTOR, "pre.key").text == "key-0"
    assert first.find_element(By.CSS_SELECTOR, "pre.value").text == '{\n  "order": 0,\n  "item": "apple"\n}'
    assert first.find_element(By.CSS_SELECTOR, "td.headers").text == "source: seed"
    w.fill("#browse-form", format="hex", filter="KEY-7")
    w.submit("#browse-form")
    assert [r.get_attribute("data-offset") for r in w.els("#records tbody tr")] == ["1-2"]
    assert w.el("#records pre.key").text == "6b 65 79 2d 37"
    w.fill("#browse-form", partition="0", start="offset", at="2", format="text", filter="")
    w.submit("#browse-form")
    assert [r.get_attribute("data-offset") for r in w.els("#records tbody tr")] == ["0-2", "0-3"]
    w.fill("#browse-form", partition="all", start="timestamp", at="2999-01-01T00:00:00")
    w.submit("#browse-form")
    assert w.el("#record-count").text == "0 records"
    w.fill("#browse-form", start="timestamp", at="yesterday")  # not a time: said on the page, the form stays
    w.submit("#browse-form")
    assert "yesterday" in w.error() and w.el("#record-count").text == "0 records"
    w.fill("#browse-form", start="timestamp", at=str(int(time.time() * 1000) - 600_000))
    w.submit("#browse-form")
    assert w.el("#record-count").text == "10 records"
    w.fill("#browse-form", start="end", limit="1")
    w.submit("#browse-form")
    assert [r.get_attribute("data-offset") for r in w.els("#records tbody tr")] == ["0-3", "1-2", "2-2"]
    w.fill("#produce", partition="1", key="test-key", value='{"hello": "console"}', headers="source=selenium\ntrace=42")
    w.submit("#produce")
    assert w.notice() == "Produced to partition 1 at offset 3", w.error()
    last = w.els("#records tbody tr")[-1]
    assert last.get_attribute("data-offset") == "1-3"
    assert last.find_element(By.CSS_SELECTOR, "pre.value").text == '{"hello": "console"}'
    assert last.find_element(By.CSS_SELECTOR, "td.headers").text == "source: selenium\ntrace: 42"
    w.fill("#browse-form", partition="all", start="beginning", limit="3", format="json")
    w.submit("#browse-form")
    w.shot("messages")

    # -- consumer groups: list, lag per partition, chart, resets while empty, refused while a member is active
    w.click("#nav-groups")
    row = w.el(f'#groups tr[data-group="{GROUP}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.state").text == "Empty"
    assert row.find_element(By.CSS_SELECTOR, "td.lag").text == "6"  # 11 records, 5 committed
    w.shot("groups")
    w.click(f'#groups tr[data-group="{GROUP}"] a')
    assert w.el("#group-state").text == "Empty"
    assert w.cells("#lag tbody tr", "lag") == ["2", "2", "2"]
    assert w.el("#total-lag").text == "6"
    w.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#lag-chart svg"))
    w.fill("#reset", topic=TOPIC, strategy="earliest")
    w.submit("#reset")
    assert w.notice().startswith("Offsets reset to earliest"), w.error()
    assert w.cells("#lag tbody tr", "committed") == ["0", "0", "0"]
    assert w.el("#total-lag").text == "11"
    w.fill("#reset", topic=TOPIC, strategy="offset", value="3")
    w.submit("#reset")
    assert w.cells("#lag tbody tr", "committed") == ["3", "3", "3"]
    w.fill("#reset", topic=TOPIC, strategy="latest")
    w.submit("#reset")
    assert w.cells("#lag tbody tr", "committed") == ["4", "4", "3"]
    w.fill("#reset", topic="", strategy="timestamp", value=str(int(time.time() * 1000) - 600_000))
    w.submit("#reset")
    assert w.cells("#lag tbody tr", "committed") == ["0", "0", "0"]
    # the lag chart has drawn the history by now (one sample per page view and per second)
    lines = "return [...document.querySelectorAll('#lag-chart polyline title')].map(t => t.textContent).sort()"
    w.wait(lambda d: d.execute_script(lines) == [f"{TOPIC}-0", f"{TOPIC}-1", f"{TOPIC}-2", "total"])
    w.shot("group")

    stop = threading.Event()
    member = threading.Thread(target=_consume_until, args=(bootstrap, stop), daemon=True)
    member.start()
    try:

        def stable(d: WebDriver) -> bool:
            d.refresh()
            return (
                bool(d.find_elements(By.CSS_SELECTOR, "#group-state")) and d.find_element(By.CSS_SELECTOR, "#group-state").text == "Stable"
            )

        w.wait(stable, 30)
        assert w.els("#reset-disabled"), "no reset form while the group has members"
        assert "console-member" in w.el("#members").text
        assert f"{TOPIC}-0" in w.el("#members").text
        w.submit("#delete-group", confirm=True)
        assert "NON_EMPTY_GROUP" in w.error()
    finally:
        stop.set()
        member.join(30)
    w.wait(lambda d: d.refresh() or d.find_element(By.CSS_SELECTOR, "#group-state").text == "Empty", 30)
    w.submit("#delete-group", confirm=True)
    assert w.notice() == f"Group {GROUP} deleted", w.error()
    assert not w.els(f'#groups tr[data-group="{GROUP}"]')

    # -- ACLs and SCRAM users (the broker runs an authorizer that allows everyone where no ACL applies)
    w.click("#nav-security")
    w.fill("#add-acl", principal="User:alice", host="*", operation="READ", permission="ALLOW", resource_type="TOPIC")
    w.fill("#add-acl", name="console-acl-demo", pattern_type="PREFIXED")
    w.submit("#add-acl")
    assert w.notice() == "ACL added: ALLOW User:alice READ on TOPIC console-acl-demo", w.error()
    acl = w.el('#acls tr[data-acl="User:alice READ TOPIC:console-acl-demo"]')
    assert "PREFIXED" in acl.text
    w.fill("#set-user", user="alice", mechanism="SCRAM-SHA-256", password="alice-secret", iterations="4096")
    w.submit("#set-user")
    assert w.notice() == "SCRAM-SHA-256 credential set for alice", w.error()
    assert w.el('#users tr[data-user="alice"] td.credentials').text == "SCRAM-SHA-256 (4096 iterations)"
    w.shot("security")
    w.submit('#acls tr[data-acl="User:alice READ TOPIC:console-acl-demo"] form')
    assert w.notice() == "1 ACL deleted", w.error()
    assert not w.els('#acls tr[data-acl="User:alice READ TOPIC:console-acl-demo"]')
    w.submit('#users tr[data-user="alice"] form')
    assert w.notice() == "SCRAM-SHA-256 credential of alice deleted", w.error()
    assert not w.els('#users tr[data-user="alice"]')

    # -- back on the overview, the throughput chart has drawn what the walk produced and consumed
    w.click("#nav-overview")
    source = "brokers' /metrics" if metrics else "log end offsets"
    wanted = ["bytes in/s", "bytes out/s", "messages in/s"] if metrics else ["messages in/s"]
    # read in one script: htmx replaces the chart every 5 s, so elements found earlier may be gone
    chart = "const s = document.querySelector('#throughput svg'); return s && [s.getAttribute('aria-label'), "
    chart += "[...document.querySelectorAll('#throughput polyline title')].map(t => t.textContent).sort()]"
    seen: list[object] = []

    def drawn(d: WebDriver) -> bool:
        seen.append(d.execute_script(chart))
        return seen[-1] == [f"Messages per second (from the {source})", wanted]

    try:
        w.wait(drawn)
    except TimeoutException:
        pytest.fail(f"the throughput chart shows {seen[-1]}, not {wanted}")
    w.shot("overview")


def _consume_until(bootstrap: str, stop: threading.Event) -> None:
    consumer = strom.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": GROUP, "client.id": "console-member", "enable.auto.commit": False}
    )
    consumer.subscribe([TOPIC])
    try:
        while not stop.is_set():
            consumer.poll(0.2)
    finally:
        consumer.close()
