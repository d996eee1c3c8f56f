"""Kafka Connect connectors through a Connect cluster's REST API (Strom's or Apache Kafka's workers): status,
pause / resume / restart, config. The console only needs the URL of one worker; any worker answers for the
cluster (and forwards what the leader must do).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


class ConnectError(Exception):
    """A Connect REST error: the status and the worker's message."""


@dataclass(frozen=True, slots=True)
class TaskRow:
    task: int
    state: str
    worker: str
    trace: str


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    name: str
    type: str
    state: str
    worker: str
    tasks: tuple[TaskRow, ...]
    config: dict[str, str]
    trace: str

    @property
    def failed_tasks(self) -> int:
        return sum(1 for t in self.tasks if t.state == "FAILED")


class ConnectClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        return await asyncio.to_thread(self._call, method, path, body)

    def _call(self, method: str, path: str, body: Any) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (an operator-given URL)
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise ConnectError(_message(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectError(f"Connect REST API at {self.url} unreachable: {exc}") from None
        return json.loads(raw) if raw else None

    async def connectors(self) -> list[ConnectorRow]:
        got = await self.call("GET", "/connectors?expand=status&expand=info")
        return [_row(name, item) for name, item in sorted(got.items())]

    async def connector(self, name: str) -> ConnectorRow:
        status = await self.call("GET", f"/connectors/{quote(name, safe='')}/status")
        info = await self.call("GET", f"/connectors/{quote(name, safe='')}")
        return _row(name, {"status": status, "info": info})

    async def pause(self, name: str) -> None:
        await self.call("PUT", f"/connectors/{quote(name, safe='')}/pause")

    async def resume(self, name: str) -> None:
        await self.call("PUT", f"/connectors/{quote(name, safe='')}/resume")

    async def restart(self, name: str) -> None:
        """The connector and all its tasks (KIP-745's includeTasks)."""
        await self.call("POST", f"/connectors/{quote(name, safe='')}/restart?includeTasks=true&onlyFailed=false")

    async def set_config(self, name: str, config: dict[str, str]) -> None:
        await self.call("PUT", f"/connectors/{quote(name, safe='')}/config", config)

    async def delete(self, name: str) -> None:
        await self.call("DELETE", f"/connectors/{quote(name, safe='')}")


def _row(name: str, item: dict[str, Any]) -> ConnectorRow:
    status = item.get("status") or {}
    info = item.get("info") or {}
    conn = status.get("connector") or {}
    tasks = tuple(
        TaskRow(int(t.get("id", 0)), str(t.get("state", "")), str(t.get("worker_id", "")), str(t.get("trace", "")))
        for t in sorted(status.get("tasks") or [], key=lambda t: int(t.get("id", 0)))
    )
    config = {str(k): str(v) for k, v in (info.get("config") or {}).items()}
    return ConnectorRow(
        name,
        str(status.get("type") or info.get("type") or ""),
        str(conn.get("state", "")),
        str(conn.get("worker_id", "")),
        tasks,
        config,
        str(conn.get("trace", "")),
    )


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
        return f"{exc.code}: {body.get('message', exc.reason)}"
    except ValueError:
        return f"{exc.code}: {exc.reason}"
