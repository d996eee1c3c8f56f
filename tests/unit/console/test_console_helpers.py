"""The console's pure parts: how a record is shown, the browser's filter, produce-form headers, time input,
the SVG charts and the Prometheus text the throughput chart reads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from strom.console import charts, prometheus_text
from strom.console.app import parse_time
from strom.console.formats import human_bytes, matches, parse_headers, show


def test_show_as_text_json_and_hex() -> None:
    assert show(b'{"a":1,"b":[2]}', "json") == '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}'
    assert show(b"not json", "json") == "not json"
    assert show(b"caf\xc3\xa9", "text") == "café"
    assert show(b"\xff", "text") == "\ufffd"
    assert show(bytes(range(18)), "hex") == "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11"
    assert show(None, "hex") == "null"


def test_filter_matches_key_or_value_case_insensitively() -> None:
    assert matches("", None, None)
    assert matches("APPLE", b"k", b"an apple")
    assert matches("key-7", b"KEY-7", None)
    assert not matches("pear", b"k", b"apple")
    assert not matches("x", None, None)


def test_headers_from_the_produce_form() -> None:
    assert parse_headers("a=1\n\n b : two \nc=x=y") == [("a", b"1"), ("b", b"two"), ("c", b"x=y")]
    with pytest.raises(ValueError):
        parse_headers("no separator")


def test_time_input_as_epoch_ms_or_iso() -> None:
    assert parse_time("1700000000000") == 1700000000000
    assert parse_time("2023-11-14T22:13:20") == 1700000000000  # UTC when no zone is named
    assert parse_time("2023-11-14T23:13:20+01:00") == 1700000000000
    assert parse_time("2023-11-14T22:13:20Z") == 1700000000000
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (None, 0, 1023, 1536, 5 * 1024**3)] == ["-", "0 B", "1023 B", "1.5 KiB", "5.0 GiB"]


def test_chart_scales_points_into_the_plot() -> None:
    svg = charts.line_chart({"lag": [(0.0, 0.0), (10.0, 50.0), (20.0, 100.0)]}, title="Lag <g>")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "Lag &lt;g&gt;" in svg  # titles are escaped
    # x from 56 to 632, y from 158 (0) to 18 (max)
    assert 'points="56.0,158.0 344.0,88.0 632.0,18.0"' in svg
    assert "collecting samples" in charts.line_chart({"lag": [(0.0, 1.0)]})


def test_prometheus_text_totals() -> None:
    text = "\n".join(
        [
            "# HELP kafka_server_brokertopicmetrics_messagesin_total Messages in",
            "# TYPE kafka_server_brokertopicmetrics_messagesin_total counter",
            "kafka_server_brokertopicmetrics_messagesin_total 30.0",
            'kafka_server_brokertopicmetrics_messagesin_total{topic="a"} 10.0',
            'kafka_server_brokertopicmetrics_messagesin_total{topic="b\\"q"} 20.0',
            'kafka_server_brokertopicmetrics_bytesin_total{topic="a"} 100 1700000000000',
            "garbage line {",
            "kafka_x NaN",
        ]
    )
    samples = prometheus_text.parse(text)
    assert prometheus_text.total(samples, "kafka_server_brokertopicmetrics_messagesin_total") == 30.0
    assert prometheus_text.total(samples, "kafka_server_brokertopicmetrics_bytesin_total") == 100.0  # summed per topic
    assert prometheus_text.total(samples, "kafka_server_brokertopicmetrics_bytesout_total") is None
    assert [s.labels for s in samples if s.name.endswith("messagesin_total")] == [{}, {"topic": "a"}, {"topic": 'b"q'}]


def test_posts_from_another_site_are_refused() -> None:
    """Cross-site request forgery: a page of another origin must not make the browser delete a topic. (The
    browser test posts every form with the console's own origin, so the accepting side is checked there too.)"""
    from strom.console.same_origin import SameOriginPosts

    def status(method: str, headers: dict[str, str]) -> int:
        async def app(scope: object, receive: object, send: Any) -> None:
            await send({"type": "http.response.start", "status": 204, "headers": []})

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        asyncio.run(SameOriginPosts(app)(scope, None, send))  # type: ignore[arg-type]
        return int(sent[0]["status"])

    host = {"Host": "console.local:8080"}
    assert status("POST", {**host, "Origin": "http://evil.example"}) == 403
    assert status("POST", {**host, "Referer": "http://evil.example/page"}) == 403
    assert status("POST", {**host, "Origin": "null"}) == 403
    assert status("POST", {**host, "Origin": "http://console.local:8081"}) == 403
    assert status("POST", {**host, "Origin": "http://console.local:8080"}) == 204
    assert status("POST", {**host, "Referer": "http://console.local:8080/topics/x"}) == 204
    assert status("POST", host) == 204  # no page named: a script, which could post anyway
    assert status("GET", {**host, "Origin": "http://evil.example"}) == 204  # reading changes nothing
