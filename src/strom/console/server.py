"""Serves the console app with uvicorn on one listening socket (port 0 picks a free port, which tests use)."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

from strom.console.app import ConsoleConfig, create_app


def serve(config: ConsoleConfig, host: str, port: int) -> int:
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections wait in the backlog from the moment the address is printed
    except OSError as exc:
        print(f"ERROR cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    bound = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_config=None, access_log=False, lifespan="on"))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, server.handle_exit, sig, None)
            except (NotImplementedError, RuntimeError):  # Windows: uvicorn's own handlers apply
                pass
        shown = "localhost" if host in ("", "0.0.0.0", "::") else host
        print(f"Strom console at http://{shown}:{bound}/ (cluster {config.client.get('bootstrap.servers')})", flush=True)
        await server.serve(sockets=[sock])

    asyncio.run(main())
    return 0
