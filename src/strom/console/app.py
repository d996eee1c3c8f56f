"""The console's HTTP app: server-rendered pages (Jinja2), forms that post and redirect back with a notice, and
htmx panels that refresh themselves (charts). Every page is one request that the server answers by asking the
cluster through Strom's admin client; the assets (htmx, the stylesheet) ship in the package.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, quote, urlencode

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from strom.client.admin import AsyncAdmin
from strom.client.producer import AsyncProducer
from strom.console import browser, charts, groups, overview, security, streams, topics
from strom.console.connect import ConnectClient, ConnectError
from strom.console.formats import FORMATS, human_bytes, parse_headers, show
from strom.console.same_origin import SameOriginPosts
from strom.console.sampler import Sampler
from strom.protocol.errors import KafkaError
from strom.version import __version__

log = logging.getLogger("strom.console.Console")
HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    client: dict[str, Any]  # bootstrap.servers and security settings, Kafka's client keys
    metrics_urls: tuple[str, ...] = ()
    sample_interval: float = 5.0
    connect_url: str | None = None  # a Kafka Connect worker's REST API: the Connect pages


class Console:
    """The clients the pages share, made on the server's event loop when it starts."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self._admin: AsyncAdmin | None = None
        self._producer: AsyncProducer | None = None
        self._sampler: Sampler | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def admin(self) -> AsyncAdmin:
        assert self._admin is not None, "the console has not started"
        return self._admin

    @property
    def sampler(self) -> Sampler:
        assert self._sampler is not None, "the console has not started"
        return self._sampler

    async def producer(self) -> AsyncProducer:
        if self._producer is None:
            self._producer = AsyncProducer({**self.config.client, "client.id": "strom-console-producer", "linger.ms": 0})
        return self._producer

    async def start(self) -> None:
        self._admin = AsyncAdmin({**self.config.client, "client.id": "strom-console"})
        self._sampler = Sampler(self._admin, self.config.metrics_urls, self.config.sample_interval)
        self._task = asyncio.ensure_future(self._sampler.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._producer is not None:
            await self._producer.close(5)
        if self._admin is not None:
            await self._admin.close()


def _when(ms: int) -> str:
    if ms < 0:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def parse_time(text: str) -> int:
    """Milliseconds since the epoch, or an ISO 8601 time (UTC unless it names its zone), to milliseconds."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return int(when.timestamp() * 1000)


async def read_form(request: Request) -> dict[str, str]:
    """The page's urlencoded form (every form here is one): parsed with the stdlib, no multipart parser needed."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["bytes"] = human_bytes
    t.env.filters["when"] = _when
    t.env.filters["show"] = show
    t.env.filters["q"] = lambda s: quote(str(s), safe="")
    t.env.globals["version"] = __version__
    return t


def create_app(config: ConsoleConfig) -> Starlette:
    console = Console(config)
    templates = _templates()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("ok", request.query_params.get("ok", ""))
        context.setdefault("err", request.query_params.get("err", ""))
        context["bootstrap"] = config.client.get("bootstrap.servers", "")
        context["connect_url"] = config.connect_url
        return templates.TemplateResponse(request, name, context, status_code=status)

    def back(path: str, ok: str = "", err: str = "", **params: Any) -> RedirectResponse:
        query = {k: v for k, v in {**params, "ok": ok, "err": err}.items() if v not in ("", None)}
        return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)

    async def failing(request: Request, name: str, work: Callable[[], Awaitable[Response]]) -> Response:
        """A page whose cluster call failed still renders, with Kafka's error in a banner."""
        try:
            return await work()
        except KafkaError as exc:
            return page(request, "error.html", 502, title=name, err=str(exc))

    async def home(request: Request) -> Response:
        async def work() -> Response:
            info = await overview.overview(console.admin)
            return page(request, "overview.html", info=info, source=console.sampler.source)

        return await failing(request, "Overview", work)

    async def topic_list(request: Request) -> Response:
        async def work() -> Response:
            show_internal = request.query_params.get("internal") == "1"
            rows = [r for r in await topics.list_topics(console.admin) if show_internal or not r.internal]
            return page(request, "topics.html", rows=rows, rates=console.sampler.topic_rates, show_internal=show_internal)

        return await failing(request, "Topics", work)

    async def topic_create(request: Request) -> Response:
        form = await read_form(request)
        name = str(form.get("name", "")).strip()
        try:
            configs = dict(line.split("=", 1) for line in str(form.get("configs", "")).splitlines() if line.strip() and "=" in line)
            await topics.create_topic(
                console.admin, name, int(str(form.get("partitions") or 1)), int(str(form.get("replication") or 1)), configs
            )
        except (KafkaError, ValueError) as exc:
            return back("/topics", err=f"Creating topic {name} failed: {exc}")
        return back(f"/topics/{quote(name)}", ok=f"Topic {name} created")

    async def topic_detail(request: Request) -> Response:
        name = request.path_params["name"]

        async def work() -> Response:
            detail = await topics.describe_topic(console.admin, name)
            return page(request, "topic.html", t=detail, rate=console.sampler.topic_rates.get(name))

        return await failing(request, f"Topic {name}", work)

    async def topic_config(request: Request) -> Response:
        name = request.path_params["name"]
        form = await read_form(request)
        key = str(form.get("key", "")).strip()
        value: str | None = None if form.get("action") == "reset" else str(form.get("value", ""))
        try:
            await topics.set_config(console.admin, name, key, value)
        except KafkaError as exc:
            return back(f"/topics/{quote(name)}", err=f"Changing {key} failed: {exc}")
        return back(f"/topics/{quote(name)}", ok=f"{key} reset to its default" if value is None else f"{key} set to {value}")

    async def topic_partitions(request: Request) -> Response:
        name = request.path_params["name"]
        form = await read_form(request)
        try:
            total = int(str(form.get("total", "")))
            await topics.add_partitions(console.admin, name, total)
        except (KafkaError, ValueError) as exc:
            return back(f"/topics/{quote(name)}", err=f"Adding partitions failed: {exc}")
        return back(f"/topics/{quote(name)}", ok=f"{name} now has {total} partitions")

    async def topic_delete(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            await topics.delete_topic(console.admin, name)
        except KafkaError as exc:
            return back(f"/topics/{quote(name)}", err=f"Deleting topic {name} failed: {exc}")
        return back("/topics", ok=f"Topic {name} deleted")

    async def messages(request: Request) -> Response:
        name = request.path_params["name"]
        q = request.query_params

        async def work() -> Response:
            parts = await console.admin.partitions_of([name])
            all_parts = parts[name]
            chosen = q.get("partition", "all")
            start = q.get("start", "end")
            fmt = q.get("format", "text")
            needle = q.get("filter", "")
            at = q.get("at", "")
            records: list[browser.BrowsedRecord] = []
            err = ""
            limit = 20
            try:
                limit = max(1, min(int(q.get("limit") or 20), 500))
                partitions = all_parts if chosen == "all" else [int(chosen)]
                if not set(partitions) <= set(all_parts):
                    raise ValueError(f"{name} has no partition {chosen}")
                if start not in ("beginning", "end", "offset", "timestamp") or fmt not in FORMATS:
                    raise ValueError(f"unknown start {start!r} or format {fmt!r}")
                value = parse_time(at) if start == "timestamp" else int(at or 0)
                start_from = cast(browser.StartFrom, start)
                records = await browser.browse(console.admin, config.client, name, partitions, start_from, value, limit, needle)
            except (ValueError, KafkaError) as exc:
                err = str(exc)
            return page(
                request,
                "messages.html",
                topic=name,
                partitions=all_parts,
                chosen=chosen,
                start=start,
                at=at,
                fmt=fmt,
                limit=limit,
                needle=needle,
                records=records,
                formats=FORMATS,
                err=err or q.get("err", ""),
            )

        return await failing(request, f"Messages of {name}", work)

    async def produce(request: Request) -> Response:
        name = request.path_params["name"]
        form = await read_form(request)
        key = str(form.get("key", ""))
        value = str(form.get("value", ""))
        partition = str(form.get("partition", "")).strip()
        try:
            headers = parse_headers(str(form.get("headers", "")))
            p, off = await browser.produce(
                await console.producer(),
                name,
                key.encode() if key else None,
                value.encode(),
                int(partition) if partition else None,
                headers,
            )
        except (KafkaError, ValueError) as exc:
            return back(f"/topics/{quote(name)}/messages", err=f"Producing failed: {exc}")
        return back(f"/topics/{quote(name)}/messages", ok=f"Produced to partition {p} at offset {off}", partition=p, start="end", limit=20)

    async def group_list(request: Request) -> Response:
        async def work() -> Response:
            return page(request, "groups.html", rows=await groups.list_groups(console.admin))

        return await failing(request, "Consumer groups", work)

    async def group_detail(request: Request) -> Response:
        gid = request.path_params["group"]

        async def work() -> Response:
            detail = await groups.describe_group(console.admin, gid)
            console.sampler.watch(gid)
            console.sampler.record_lag(gid, {(r.topic, r.partition): r.lag for r in detail.lags})
            topic_names = sorted({r.topic for r in detail.lags} | {tp[0] for m in detail.members for tp in m.assignment})
            return page(request, "group.html", g=detail, topics=topic_names)

        return await failing(request, f"Group {gid}", work)

    async def group_reset(request: Request) -> Response:
        gid = request.path_params["group"]
        form = await read_form(request)
        strategy = str(form.get("strategy", "earliest"))
        topic = str(form.get("topic", ""))
        try:
            raw = str(form.get("value", "")).strip()
            value = parse_time(raw) if strategy == "timestamp" else int(raw or 0)
            if strategy not in ("earliest", "latest", "timestamp", "offset"):
                raise ValueError(f"unknown strategy {strategy}")
            target = await groups.reset_offsets(console.admin, gid, topic, cast(groups.ResetStrategy, strategy), value)
        except (KafkaError, ValueError) as exc:
            return back(f"/groups/{quote(gid)}", err=f"Reset failed: {exc}")
        summary = ", ".join(f"{t}-{p}: {o}" for (t, p), o in sorted(target.items()))
        return back(f"/groups/{quote(gid)}", ok=f"Offsets reset to {strategy}: {summary}")

    async def group_delete(request: Request) -> Response:
        gid = request.path_params["group"]
        try:
            await groups.delete_group(console.admin, gid)
        except KafkaError as exc:
            return back(f"/groups/{quote(gid)}", err=f"Deleting group {gid} failed: {exc}")
        return back("/groups", ok=f"Group {gid} deleted")

    async def streams_list(request: Request) -> Response:
        async def work() -> Response:
            return page(request, "streams.html", apps=await streams.list_apps(console.admin))

        return await failing(request, "Streams applications", work)

    async def streams_detail(request: Request) -> Response:
        app_id = request.path_params["app"]

        async def work() -> Response:
            return page(request, "streams_app.html", a=await streams.describe_app(console.admin, app_id))

        return await failing(request, f"Streams application {app_id}", work)

    async def security_page(request: Request) -> Response:
        async def work() -> Response:
            return page(
                request,
                "security.html",
                s=await security.describe(console.admin),
                operations=security.OPERATIONS,
                permissions=security.PERMISSIONS,
                resource_types=security.RESOURCE_TYPES,
                pattern_types=security.PATTERN_TYPES,
                mechanisms=security.MECHANISMS,
            )

        return await failing(request, "ACLs and users", work)

    def acl_row(form: dict[str, str]) -> security.AclRow:
        return security.AclRow(
            form.get("resource_type", ""),
            form.get("name", "").strip(),
            form.get("pattern_type", "LITERAL"),
            form.get("principal", "").strip(),
            form.get("host", "*").strip() or "*",
            form.get("operation", ""),
            form.get("permission", "ALLOW"),
        )

    async def acl_create(request: Request) -> Response:
        row = acl_row(await read_form(request))
        try:
            await security.create_acl(console.admin, row)
        except (KafkaError, ValueError) as exc:
            return back("/security", err=f"Adding the ACL failed: {exc}")
        return back("/security", ok=f"ACL added: {row.permission} {row.principal} {row.operation} on {row.resource_type} {row.name}")

    async def acl_delete(request: Request) -> Response:
        row = acl_row(await read_form(request))
        try:
            n = await security.delete_acl(console.admin, row)
        except (KafkaError, ValueError) as exc:
            return back("/security", err=f"Deleting the ACL failed: {exc}")
        return back("/security", ok=f"{n} ACL deleted" if n == 1 else f"{n} ACLs deleted")

    async def user_set(request: Request) -> Response:
        form = await read_form(request)
        user = form.get("user", "").strip()
        mechanism = form.get("mechanism", "SCRAM-SHA-512")
        try:
            await security.set_user(console.admin, user, mechanism, form.get("password", ""), int(form.get("iterations") or 8192))
        except (KafkaError, ValueError) as exc:
            return back("/security", err=f"Setting {mechanism} for {user} failed: {exc}")
        return back("/security", ok=f"{mechanism} credential set for {user}")

    async def user_delete(request: Request) -> Response:
        form = await read_form(request)
        user, mechanism = form.get("user", ""), form.get("mechanism", "")
        try:
            await security.delete_user(console.admin, user, mechanism)
        except (KafkaError, ValueError) as exc:
            return back("/security", err=f"Deleting {mechanism} of {user} failed: {exc}")
        return back("/security", ok=f"{mechanism} credential of {user} deleted")

    def connect_client() -> ConnectClient:
        if config.connect_url is None:
            raise ConnectError("no Connect cluster configured: start the console with --connect-url http://worker:8083")
        return ConnectClient(config.connect_url)

    async def connect_list(request: Request) -> Response:
        try:
            rows = await connect_client().connectors()
        except ConnectError as exc:
            return page(request, "error.html", 502, title="Connect", err=str(exc))
        return page(request, "connect.html", rows=rows)

    async def connector_detail(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            row = await connect_client().connector(name)
        except ConnectError as exc:
            return page(request, "error.html", 502, title=f"Connector {name}", err=str(exc))
        return page(request, "connector.html", c=row)

    async def connector_action(request: Request) -> Response:
        name, action = request.path_params["name"], request.path_params["action"]
        form = await read_form(request)
        here = f"/connect/{quote(name)}"
        done = {"pause": "paused", "resume": "resumed", "restart": "restarted", "delete": "deleted"}
        try:
            client = connect_client()
            if action == "config":
                lines = [ln.strip() for ln in form.get("config", "").splitlines() if ln.strip() and not ln.strip().startswith("#")]
                conf = dict(ln.split("=", 1) for ln in lines if "=" in ln)
                await client.set_config(name, {k.strip(): v.strip() for k, v in conf.items()})
                return back(here, ok=f"Config of {name} saved")
            if action not in done:
                return back(here, err=f"unknown action {action}")
            await getattr(client, action)(name)
        except ConnectError as exc:
            return back("/connect" if action == "delete" else here, err=f"{action} of {name} failed: {exc}")
        target = "/connect" if action == "delete" or form.get("back") == "list" else here
        return back(target, ok=f"Connector {name} {done[action]}")

    async def throughput_panel(request: Request) -> Response:
        series = {k: list(v) for k, v in console.sampler.throughput.items()}
        source = console.sampler.source
        messages = {k: v for k, v in series.items() if k.startswith("messages")} or {"messages in/s": []}
        svgs = [charts.line_chart(messages, title=f"Messages per second (from the {source})")]
        data = {k: v for k, v in series.items() if k.startswith("bytes")}
        if data:  # bytes only come with the brokers' counters
            svgs.append(charts.line_chart(data, title=f"Bytes per second (from the {source})"))
        return HTMLResponse(Markup("".join(svgs)))

    async def lag_panel(request: Request) -> Response:
        gid = request.path_params["group"]
        console.sampler.watch(gid)
        series = console.sampler.lag_chart_series(gid)
        return HTMLResponse(Markup(charts.line_chart(series, title=f"Lag of {gid} (records)")))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await console.start()
        try:
            yield
        finally:
            await console.stop()

    routes = [
        Route("/", home),
        Route("/topics", topic_list),
        Route("/topics", topic_create, methods=["POST"]),
        Route("/topics/{name}", topic_detail),
        Route("/topics/{name}/config", topic_config, methods=["POST"]),
        Route("/topics/{name}/partitions", topic_partitions, methods=["POST"]),
        Route("/topics/{name}/delete", topic_delete, methods=["POST"]),
        Route("/topics/{name}/messages", messages),
        Route("/topics/{name}/produce", produce, methods=["POST"]),
        Route("/groups", group_list),
        Route("/groups/{group}", group_detail),
        Route("/groups/{group}/reset", group_reset, methods=["POST"]),
        Route("/groups/{group}/delete", group_delete, methods=["POST"]),
        Route("/streams", streams_list),
        Route("/streams/{app}", streams_detail),
        Route("/security", security_page),
        Route("/security/acls", acl_create, methods=["POST"]),
        Route("/security/acls/delete", acl_delete, methods=["POST"]),
        Route("/security/users", user_set, methods=["POST"]),
        Route("/security/users/delete", user_delete, methods=["POST"]),
        Route("/connect", connect_list),
        Route("/connect/{name}", connector_detail),
        Route("/connect/{name}/{action}", connector_action, methods=["POST"]),
        Route("/panels/throughput", throughput_panel),
        Route("/panels/lag/{group}", lag_panel),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SameOriginPosts)])
