"""What every tool shares: Kafka-style usage errors, bounded waits on unreachable brokers, uvloop."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from strom.protocol.errors import KafkaError


class KafkaArgumentParser(argparse.ArgumentParser):
    """A wrong or missing flag prints the usage and exits 1, as Kafka's tools do (joptsimple)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)


def run(coro: Coroutine[Any, Any, int], timeout_s: float | None = None) -> int:
    """Runs a tool's coroutine; a broker problem is one clear line and exit 1, never a stack trace."""

    async def bounded() -> int:
        if timeout_s is None:
            return await coro
        return await asyncio.wait_for(coro, timeout_s)

    try:
        return asyncio.run(bounded())
    except KafkaError as exc:
        print(f"Error while executing command: {exc}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"Error: timed out after {timeout_s:.0f} s waiting for the broker", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def parse_properties(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"Error: invalid {flag} '{item}': expected key=value", file=sys.stderr)
            sys.exit(1)
        out[key.strip()] = value
    return out
