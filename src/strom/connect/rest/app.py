"""Kafka Connect's REST API as a Starlette (ASGI) app over a Herder (Java's ConnectRestServer and resources).

Paths, bodies and status codes are Kafka's: 201 + Location for a created connector, 204 for a delete or a
plain restart, 202 for pause/resume/stop and for restarts with includeTasks/onlyFailed, errors as
`{"error_code": N, "message": "..."}`. A write the herder cannot do here (NotLeaderException: a distributed
worker that is not the leader) is forwarded once to the leader with `?forward=`, as Kafka's workers do.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from strom.connect.rest.basic_auth import BASIC_AUTH_EXTENSION, JaasBasicAuthFilter, jaas_config_path, rest_extensions
from strom.connect.rest.entities import ConnectorOffset, ConnectorTaskId, TargetState
from strom.connect.rest.errors import BadRequestException, ConflictException, ConnectRestException, NotLeaderException
from strom.connect.runtime.herder import Herder
from strom.version import __version__

log = logging.getLogger("org.apache.kafka.connect.runtime.rest.ConnectRestServer")
request_log = logging.getLogger("org.apache.kafka.connect.runtime.rest.RestServer")

# Kafka waits up to 90 s for a herder request (ConnectResource.DEFAULT_REST_REQUEST_TIMEOUT_MS).
REQUEST_TIMEOUT_S = 90.0

Handler = Callable[[Request], Awaitable[Response]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _herder(request: Request) -> Herder:
    herder: Herder = request.app.state.herder
    return herder


def _flag(request: Request, name: str) -> bool:
    """JAX-RS Boolean query params: "true" (any case) is true, anything else false."""
    return request.query_params.get(name, "false").lower() == "true"


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequestException(f"Cannot deserialize JSON request body: {exc}") from None


def _string_map(body: Any, what: str) -> dict[str, str]:
    """Kafka's bodies are Map<String, String>: JSON numbers and booleans are accepted as their text."""
    if not isinstance(body, dict):
        raise BadRequestException(f"{what} must be a JSON object")
    out: dict[str, str] = {}
    for key, value in body.items():
        if value is None:
            out[str(key)] = None  # type: ignore[assignment]  # Java keeps nulls; the herder's validation reports them
        elif isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[str(key)] = str(value)
        else:
            raise BadRequestException(f"{what}: the value of {key!r} must be a string")
    return out


def _check_and_put_name(name: str, config: dict[str, str]) -> None:
    """The name in the URL (or body) and the config's `name` must agree; a config without one gets it."""
    included = config.get("name")
    if included is not None:
        if included != name:
            raise BadRequestException(f"Connector name configuration ({included}) doesn't match connector name in the URL ({name})")
    else:
        config["name"] = name


def endpoint(handler: Handler, forwardable: bool = False) -> Handler:
    """Runs a resource method: herder errors become Kafka's error bodies (anything unexpected a 500), and a
    forwardable write the herder says only the leader can do is forwarded there (once, as Kafka's workers do)."""

    async def run(request: Request) -> Response:
        try:
            try:
                return await handler(request)
            except NotLeaderException as exc:
                forward = request.query_params.get("forward")
                if not forwardable or (forward is not None and forward.lower() != "true") or exc.leader_url is None:
                    raise ConflictException("Cannot complete request because of a conflicting operation (e.g. worker rebalance)") from None
                return await _forward(request, exc.leader_url, recursive=forward is None)
        except ConnectRestException as exc:
            return _json(exc.to_json(), exc.status)
        except Exception as exc:
            log.error("Uncaught exception in REST call to %s", request.url.path, exc_info=exc)
            return _json({"error_code": 500, "message": str(exc) or type(exc).__name__}, 500)

    return run


async def _forward(request: Request, leader_url: str, recursive: bool) -> Response:
    import httpx  # only distributed workers forward

    from strom.connect.rest.client import rest_client

    params: list[tuple[str, str | int | float | bool | None]] = [(k, v) for k, v in request.query_params.multi_items() if k != "forward"]
    params.append(("forward", "true" if recursive else "false"))
    url = leader_url.rstrip("/") + request.url.path
    log.debug("Forwarding request %s %s", request.method, url)
    async with rest_client(request.app.state.rest_props, REQUEST_TIMEOUT_S, url) as client:
        try:
            resp = await client.request(
                request.method, url, params=params, content=await request.body(), headers=_forwarded_headers(request)
            )
        except httpx.HTTPError as exc:
            raise ConnectRestException(500, f"IO Error trying to forward REST request: {exc}") from None
    headers = {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "location")}
    return Response(resp.content, status_code=resp.status_code, headers=headers)


def _forwarded_headers(request: Request) -> dict[str, str]:
    """JSON, the caller's credentials (Authorization, which the leader checks again) and an internal request's
    signature (X-Connect-Authorization, KIP-507), as Kafka's RestClient forwards them."""
    headers = {"Content-Type": "application/json"}
    headers.update({k: v for k, v in request.headers.items() if k.lower().startswith("x-connect-") or k.lower() == "authorization"})
    return headers


# -- resources -------------------------------------------------------------------------------------------


async def root(request: Request) -> Response:
    herder = _herder(request)
    return _json({"version": __version__, "commit": "strom", "kafka_cluster_id": await herder.kafka_cluster_id()})


async def list_connectors(request: Request) -> Response:
    herder = _herder(request)
    names = await herder.connectors()
    expand = request.query_params.getlist("expand")
    if not expand:
        return _json(names)
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        entry: dict[str, Any] = {}
        try:
            if "status" in expand:
                entry["status"] = (await herder.connector_status(name)).to_json()
            if "info" in expand:
                entry["info"] = (await herder.connector_info(name)).to_json()
        except ConnectRestException:
            continue  # deleted while we listed, as Kafka skips it
        out[name] = entry
    return _json(out)


async def create_connector(request: Request) -> Response:
    body = await _read_json(request)
    if not isinstance(body, dict):
        raise BadRequestException("Request body must be a JSON object with 'name' and 'config'")
    name = "" if body.get("name") is None else str(body["name"]).strip()
    if body.get("config") is None:
        raise BadRequestException("Connector config must not be null")  # Kafka's CreateConnectorRequest needs one
    config = _string_map(body["config"], "config")
    _check_and_put_name(name, config)
    initial_state = _initial_state(body.get("initial_state"))
    _, info = await _herder(request).put_connector_config(name, config, allow_replace=False, initial_state=initial_state)
    return _json(info.to_json(), 201, {"Location": _location(request, name)})


def _location(request: Request, name: str) -> str:
    """The absolute URL of the new connector, as JAX-RS makes Kafka's Location header."""
    from urllib.parse import quote

    return str(request.base_url).rstrip("/") + "/connectors/" + quote(name, safe="")


def _initial_state(value: Any) -> TargetState | None:
    if value is None:
        return None
    text = str(value).upper()
    if text == "RUNNING":
        return TargetState.STARTED
    if text in ("PAUSED", "STOPPED"):
        return TargetState(text)
    raise BadRequestException(f"Invalid initial state {value}; must be one of RUNNING, PAUSED, STOPPED")


async def get_connector(request: Request) -> Response:
    return _json((await _herder(request).connector_info(request.path_params["connector"])).to_json())


async def get_connector_config(request: Request) -> Response:
    return _json(await _herder(request).connector_config(request.path_params["connector"]))


async def put_connector_config(request: Request) -> Response:
    name = request.path_params["connector"]
    config = _string_map(await _read_json(request), "Connector config")
    _check_and_put_name(name, config)
    created, info = await _herder(request).put_connector_config(name, config, allow_replace=True)
    if created:
        return _json(info.to_json(), 201, {"Location": _location(request, name)})
    return _json(info.to_json())


async def get_connector_status(request: Request) -> Response:
    return _json((await _herder(request).connector_status(request.path_params["connector"])).to_json())


async def get_task_configs(request: Request) -> Response:
    return _json([t.to_json() for t in await _herder(request).task_configs(request.path_params["connector"])])


async def put_task_configs(request: Request) -> Response:
    """Internal: task configs from the worker running the connector to the leader (Kafka's InternalClusterResource)."""
    body = await request.body()
    try:
        configs = json.loads(body)
    except ValueError as exc:
        raise BadRequestException(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(configs, list) or not all(isinstance(c, dict) for c in configs):
        raise BadRequestException("Request body must be a list of task configs")
    await _herder(request).put_task_configs(
        request.path_params["connector"],
        [{str(k): str(v) for k, v in c.items() if v is not None} for c in configs],
        body,
        request.headers.get("X-Connect-Authorization"),
        request.headers.get("X-Connect-Request-Signature-Algorithm"),
    )
    return Response(status_code=204)


async def fence_zombies(request: Request) -> Response:
    """Internal (KIP-618): a round of zombie fencing for the connector, done by the leader."""
    body = await request.body()
    await _herder(request).fence_zombie_source_tasks(
        request.path_params["connector"],
        body,
        request.headers.get("X-Connect-Authorization"),
        request.headers.get("X-Connect-Request-Signature-Algorithm"),
    )
    return Response(status_code=204)


async def get_tasks_config(request: Request) -> Response:
    """Kafka 3.x's deprecated GET /connectors/{name}/tasks-config (removed in 4.0): configs by "name-N"."""
    return _json({str(t.id): t.config for t in await _herder(request).task_configs(request.path_params["connector"])})


async def get_task_status(request: Request) -> Response:
    task_id = ConnectorTaskId(request.path_params["connector"], request.path_params["task"])
    return _json((await _herder(request).task_status(task_id)).to_json())


async def restart_connector(request: Request) -> Response:
    name = request.path_params["connector"]
    include_tasks, only_failed = _flag(request, "includeTasks"), _flag(request, "onlyFailed")
    state = await _herder(request).restart_connector(name, include_tasks, only_failed)
    if not include_tasks and not only_failed:
        return Response(status_code=204)  # Kafka's pre-KIP-745 answer for a plain restart
    return _json(state.to_json(), 202)


async def restart_task(request: Request) -> Response:
    await _herder(request).restart_task(ConnectorTaskId(request.path_params["connector"], request.path_params["task"]))
    return Response(status_code=204)


async def pause_connector(request: Request) -> Response:
    await _herder(request).pause_connector(request.path_params["connector"])
    return Response(status_code=202)


async def resume_connector(request: Request) -> Response:
    await _herder(request).resume_connector(request.path_params["connector"])
    return Response(status_code=202)


async def stop_connector(request: Request) -> Response:
    await _herder(request).stop_connector(request.path_params["connector"])
    return Response(status_code=204)  # Kafka answers 204 here (202 for pause and resume)


async def delete_connector(request: Request) -> Response:
    await _herder(request).delete_connector(request.path_params["connector"])
    return Response(status_code=204)


async def get_offsets(request: Request) -> Response:
    return _json((await _herder(request).connector_offsets(request.path_params["connector"])).to_json())


async def alter_offsets(request: Request) -> Response:
    body = await _read_json(request)
    raw = body.get("offsets") if isinstance(body, dict) else None
    if not raw:
        raise BadRequestException("Partitions / offsets need to be provided for an alter offsets request")
    offsets: list[ConnectorOffset] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("partition"), dict):
            raise BadRequestException("Partitions / offsets need to be provided for an alter offsets request")
        offset = entry.get("offset")
        if offset is not None and not isinstance(offset, dict):
            raise BadRequestException("Offsets must be JSON objects (or null to remove a partition's offset)")
        offsets.append(ConnectorOffset(entry["partition"], offset))
    message = await _herder(request).alter_connector_offsets(request.path_params["connector"], offsets)
    return _json({"message": message})


async def reset_offsets(request: Request) -> Response:
    return _json({"message": await _herder(request).reset_connector_offsets(request.path_params["connector"])})


async def get_topics(request: Request) -> Response:
    name = request.path_params["connector"]
    return _json({name: {"topics": await _herder(request).connector_active_topics(name)}})


async def reset_topics(request: Request) -> Response:
    await _herder(request).reset_connector_active_topics(request.path_params["connector"])
    return Response(status_code=202)


async def list_plugins(request: Request) -> Response:
    connectors_only = request.query_params.get("connectorsOnly", "true").lower() != "false"
    return _json([p.to_json() for p in _herder(request).plugins(connectors_only)])


async def plugin_config(request: Request) -> Response:
    return _json(_herder(request).plugin_config(request.path_params["plugin"]))


async def validate_config(request: Request) -> Response:
    plugin = request.path_params["plugin"]
    config = _string_map(await _read_json(request), "Connector config")
    included = config.get("connector.class")
    if included is not None and not _normalized(included).endswith(_normalized(plugin)):
        raise BadRequestException(f"Included connector type {included} does not match request type {plugin}")
    if included is None:
        config["connector.class"] = plugin
    return _json((await _herder(request).validate_config(config, plugin)).to_json())


def _normalized(plugin: str) -> str:
    """Kafka compares a URL's plugin name and a config's class without a trailing "Connector"."""
    return plugin[: -len("Connector")] if plugin.endswith("Connector") else plugin


# -- loggers (Kafka's /admin/loggers) --------------------------------------------------------------------

_logger_changes: dict[str, int] = {}


async def list_loggers(request: Request) -> Response:
    root_logger = logging.getLogger()
    out: dict[str, dict[str, Any]] = {"root": {"level": logging.getLevelName(root_logger.getEffectiveLevel())}}
    for name in sorted(logging.Logger.manager.loggerDict):
        logger = logging.getLogger(name)
        if logger.level != logging.NOTSET:
            out[name] = {"level": logging.getLevelName(logger.level), "last_modified": _logger_changes.get(name)}
    return _json(out)


async def get_logger(request: Request) -> Response:
    name = request.path_params["logger"]
    logger = logging.getLogger() if name == "root" else logging.getLogger(name)
    return _json({"level": logging.getLevelName(logger.getEffectiveLevel()), "last_modified": _logger_changes.get(name)})


_LEVELS = {
    "TRACE": 5,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "OFF": 100,
}


async def set_logger(request: Request) -> Response:
    name = request.path_params["logger"]
    body = await _read_json(request)
    level = body.get("level") if isinstance(body, dict) else None
    if not isinstance(level, str):
        raise BadRequestException("Desired 'level' parameter was not specified in request.")
    if level.upper() not in _LEVELS:
        raise ConnectRestException(404, f"invalid log level '{level}'.")
    scope = request.query_params.get("scope", "worker")
    logger = logging.getLogger() if name == "root" else logging.getLogger(name)
    logger.setLevel(_LEVELS[level.upper()])
    _logger_changes[name] = int(time.time() * 1000)
    changed = [name] + sorted(n for n in logging.Logger.manager.loggerDict if n.startswith(name + ".") and name != "root")
    if scope.lower() == "cluster":
        return Response(status_code=204)
    return _json(changed)


# -- errors ----------------------------------------------------------------------------------------------


_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable", 415: "Unsupported Media Type"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Jersey's own errors (no such path, wrong method) in Kafka's body: "HTTP 404 Not Found"."""
    assert isinstance(exc, HTTPException)
    reason = _REASONS.get(exc.status_code, exc.detail)
    return _json({"error_code": exc.status_code, "message": f"HTTP {exc.status_code} {reason}"}, exc.status_code, dict(exc.headers or {}))


def _routes() -> list[Route]:
    c = "/connectors/{connector}"
    table: list[tuple[str, Handler, list[str], bool]] = [
        ("/", root, ["GET"], False),
        ("/connectors", list_connectors, ["GET"], False),
        ("/connectors", create_connector, ["POST"], True),
        (c, get_connector, ["GET"], False),
        (c, delete_connector, ["DELETE"], True),
        (c + "/config", get_connector_config, ["GET"], False),
        (c + "/config", put_connector_config, ["PUT"], True),
        (c + "/status", get_connector_status, ["GET"], False),
        (c + "/restart", restart_connector, ["POST"], True),
        (c + "/pause", pause_connector, ["PUT"], True),
        (c + "/resume", resume_connector, ["PUT"], True),
        (c + "/stop", stop_connector, ["PUT"], True),
        (c + "/tasks", get_task_configs, ["GET"], False),
        (c + "/tasks-config", get_tasks_config, ["GET"], False),
        (c + "/tasks", put_task_configs, ["POST"], True),
        (c + "/fence", fence_zombies, ["PUT"], True),
        (c + "/tasks/{task:int}/status", get_task_status, ["GET"], False),
        (c + "/tasks/{task:int}/restart", restart_task, ["POST"], True),
        (c + "/offsets", get_offsets, ["GET"], False),
        (c + "/offsets", alter_offsets, ["PATCH"], True),
        (c + "/offsets", reset_offsets, ["DELETE"], True),
        (c + "/topics", get_topics, ["GET"], False),
        (c + "/topics/reset", reset_topics, ["PUT"], False),
        ("/connector-plugins", list_plugins, ["GET"], False),
        ("/connector-plugins/{plugin}/config", plugin_config, ["GET"], False),
        ("/connector-plugins/{plugin}/config/validate", validate_config, ["PUT"], False),
        ("/admin/loggers", list_loggers, ["GET"], False),
        ("/admin/loggers/{logger}", get_logger, ["GET"], False),
        ("/admin/loggers/{logger}", set_logger, ["PUT"], False),
    ]
    routes = [Route(path, endpoint(handler, fwd), methods=methods) for path, handler, methods, fwd in table]
    # JAX-RS also matches a trailing slash ("/connectors/"); answer it directly rather than redirect
    routes += [Route(path + "/", endpoint(handler, fwd), methods=methods) for path, handler, methods, fwd in table if path != "/"]
    return routes


class RequestLog:
    """One INFO line per request in the NCSA form Kafka's RestServer logs (client, time, request line, status,
    bytes, referer, user agent, milliseconds)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.time()
        status, size = 500, 0

        async def sending(message: Any) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if request_log.isEnabledFor(logging.INFO):
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
                client = (scope.get("client") or ("-",))[0]
                query = scope.get("query_string", b"").decode("latin-1")
                target = scope["path"] + ("?" + query if query else "")
                when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(start))
                request_log.info(
                    '%s - - [%s] "%s %s HTTP/%s" %d %d "%s" "%s" %d',
                    client,
                    when,
                    scope["method"],
                    target,
                    scope.get("http_version", "1.1"),
                    status,
                    size,
                    headers.get("referer", "-"),
                    headers.get("user-agent", "-"),
                    int((time.time() - start) * 1000),
                )


def create_app(herder: Herder, props: Mapping[str, str] | None = None) -> Starlette:
    """The REST app over `herder`; `props` (the worker's config) name the TLS settings of requests forwarded to
    other workers and the REST extensions (rest.extension.classes: basic authentication)."""
    app = Starlette(
        routes=_routes(),
        exception_handlers={HTTPException: _http_error},
    )
    rest_props = dict(props or {})
    if BASIC_AUTH_EXTENSION in rest_extensions(rest_props):
        app.add_middleware(JaasBasicAuthFilter, jaas_path=jaas_config_path())
    app.add_middleware(RequestLog)
    app.router.redirect_slashes = False
    app.state.herder = herder
    app.state.rest_props = rest_props
    return app
