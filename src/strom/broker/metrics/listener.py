"""The `metrics.prometheus.listener` value: `http://HOST:PORT` (empty host: every interface; port 0: any free port)."""

from __future__ import annotations

import re

_LISTENER = re.compile(r"^http://(\[[0-9a-fA-F:]*\]|[^:/\[\]]*):(\d+)/?$")


def parse_listener(value: str) -> tuple[str, int]:
    """`http://HOST:PORT` -> (host, port)."""
    m = _LISTENER.match(value.strip())
    if m is None or not 0 <= int(m.group(2)) <= 65535:
        raise ValueError(f"'{value}' is not http://HOST:PORT")
    return m.group(1).strip("[]"), int(m.group(2))
