"""What every tool shares: Kafka-style usage errors, bounded waits on unreachable brokers, uvloop."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from strom.cli.java_security import translate_java_security
from strom.client.config import SCHEMAS
from strom.protocol.errors import ErrorCode, KafkaError, error_name


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


def java_exception_name(code: int) -> str:
    """Kafka's exception class for an error code (UNKNOWN_TOPIC_OR_PARTITION -> UnknownTopicOrPartitionException)."""
    special = {
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: "UnknownTopicOrPartitionException",
        ErrorCode.NOT_LEADER_OR_FOLLOWER: "NotLeaderOrFollowerException",
        ErrorCode.NON_EMPTY_GROUP: "GroupNotEmptyException",
        ErrorCode.INVALID_CONFIG: "InvalidConfigurationException",
        ErrorCode.REQUEST_TIMED_OUT: "TimeoutException",
        ErrorCode.OFFSET_OUT_OF_RANGE: "OffsetOutOfRangeException",
    }
    if code in special:
        return special[ErrorCode(code)]
    name = error_name(code)
    camel = "".join(part.capitalize() for part in name.lower().split("_"))
    return camel if camel.endswith("Exception") else camel + "Exception"


def java_error(code: int, message: str | None = None) -> str:
    """How Kafka's tools print a failed result: the exception class and its message."""
    return f"org.apache.kafka.common.errors.{java_exception_name(code)}: {message or KafkaError(code).message}"


def client_config(role: str, props: dict[str, str]) -> dict[str, Any]:
    """Kafka client properties for Strom's client: a Java client's security keys are translated
    (cli/java_security.py), keys the client knows pass through (validated there); the rest are reported as
    Kafka's clients do ("supplied but isn't a known config") and dropped, e.g. Java serializer classes."""
    schema = SCHEMAS[role]
    out: dict[str, Any] = {}
    for key, value in translate_java_security(props).items():
        if key in schema and not (schema[key].kind == "callable"):
            out[key] = value
        else:
            print(f"WARN The configuration '{key}' was supplied but isn't a known config.", file=sys.stderr)
    return out


def admin_config(bootstrap_server: str, command_config: str | None, client_id: str) -> dict[str, Any]:
    """An admin client's config for a tool: its --command-config file (Java client keys), then the
    tool's --bootstrap-server and client id."""
    props = read_properties_file(command_config) if command_config else {}
    conf = client_config("admin", props)
    conf["bootstrap.servers"] = bootstrap_server
    conf.setdefault("client.id", client_id)
    return conf


def read_properties_file(path: str) -> dict[str, str]:
    """A Java .properties file: key=value or key: value, # and ! comments, a backslash at the end of a line
    continues it (how multi-line sasl.jaas.config values are written); ValueError if unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    out = {}
    logical = ""
    for raw in lines:
        line = raw.strip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        line, logical = logical + line, ""
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep < 0:
            continue
        out[line[:sep].strip()] = line[sep + 1 :].strip()
    return out
