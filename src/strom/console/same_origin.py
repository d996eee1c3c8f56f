"""Refuses form posts that another web site makes the browser send (cross-site request forgery).

The console changes the cluster on POST (deletes topics, resets offsets) and has no login, so a page from any
other origin open in the same browser could otherwise post to it. Browsers name the page that sent a form in
Origin (or at least Referer); a POST whose origin is not the console's own host is answered 403.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


class SameOriginPosts:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS") and not _same_origin(scope):
            body = b"Forbidden: a form of another site posted to the console"
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _same_origin(scope: Scope) -> bool:
    headers: dict[str, str] = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host", "")
    sender = headers.get("origin") or headers.get("referer")
    if not sender or sender == "null":
        # no browser page named: a script or curl (which could post anyway); a sandboxed page sends "null"
        return sender != "null"
    return bool(urlsplit(sender).netloc == host)
