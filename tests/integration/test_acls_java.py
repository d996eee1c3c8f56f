"""Apache Kafka's own kafka-acls (AclCommand, 3.9) against Strom, beside Strom's kafka-acls: the same commands
give the same ACLs and the same output (entries compared as sets: Kafka prints them in hash order). The slow
variant runs the commands against Apache Kafka 3.9 with its StandardAuthorizer too, the reference."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from strom.cli import kafka_acls
from strom.testing.apache_kafka import ApacheKafka
from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.java

ACL_COMMAND = "kafka.admin.AclCommand"
COMMANDS = [
    ["--add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Write", "--topic", "t1"],
    ["--add", "--deny-principal", "User:mallory", "--deny-host", "10.0.0.9", "--operation", "All", "--group", "g1"],
    ["--add", "--producer", "--allow-principal", "User:bob", "--topic", "p-", "--resource-pattern-type", "prefixed", "--idempotent"],
    ["--add", "--consumer", "--allow-principal", "User:carol", "--topic", "t1", "--group", "g1"],
    ["--list"],
    ["--list", "--principal", "User:bob"],
    ["--list", "--topic", "t1"],
    ["--list", "--topic", "p-orders", "--resource-pattern-type", "match"],
    ["--remove", "--force", "--allow-principal", "User:alice", "--operation", "Write", "--topic", "t1"],
    ["--list", "--topic", "t1"],
    ["--remove", "--force", "--group", "g1"],
    ["--list"],
]
_HEADER = re.compile(r"^(Adding ACLs for resource|Current ACLs for resource|ACLs for principal) `([^`]*)`")


def shape(output: str) -> list[tuple[str, frozenset[str]]]:
    """The output as (header, entries) blocks in order; the entries of a block as a set."""
    blocks: list[tuple[str, set[str]]] = []
    for line in output.splitlines():
        if _HEADER.match(line):
            blocks.append((line.strip(), set()))
        elif line.strip() and blocks:
            blocks[-1][1].add(line.strip())
    return sorted((h, frozenset(e)) for h, e in blocks)


def ours(bootstrap: str, args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = kafka_acls.main(["--bootstrap-server", bootstrap, *args])
    return code, out.getvalue()


def strom_with_authorizer() -> BrokerProcess:
    return BrokerProcess(overrides={"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer", "super.users": "User:ANONYMOUS"})


@pytest.fixture(scope="module")
def two_stroms() -> Iterator[tuple[BrokerProcess, BrokerProcess]]:
    with strom_with_authorizer() as a, strom_with_authorizer() as b:
        yield a, b


def test_kafkas_kafka_acls_and_ours_agree_on_strom(two_stroms: tuple[BrokerProcess, BrokerProcess], kafka_tool: Callable[..., Any]) -> None:
    java_side, python_side = two_stroms
    for args in COMMANDS[:5]:
        theirs = kafka_tool(ACL_COMMAND, ["--bootstrap-server", java_side.bootstrap, *args])
        code, mine = ours(python_side.bootstrap, args)
        assert (code, shape(mine)) == (theirs.returncode, shape(theirs.stdout)), args


@pytest.mark.slow
def test_strom_answers_kafka_acls_as_apache_kafka_does(kafka_tool: Callable[..., Any]) -> None:
    reference = ApacheKafka(
        overrides={"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "super.users": "User:ANONYMOUS"}
    ).start()
    try:
        with strom_with_authorizer() as strom:
            for args in COMMANDS:
                theirs = kafka_tool(ACL_COMMAND, ["--bootstrap-server", reference.bootstrap, *args])
                mine = kafka_tool(ACL_COMMAND, ["--bootstrap-server", strom.bootstrap, *args])
                assert (mine.returncode, shape(mine.stdout)) == (theirs.returncode, shape(theirs.stdout)), args
    finally:
        reference.close()


BAD_COMMANDS = [
    ["--add", "--allow-principal", "User:x", "--operation", "Read", "--cluster"],
    ["--add", "--topic", "t"],
    ["--add", "--allow-principal", "User:x", "--operation", "Bogus", "--topic", "t"],
    ["--add", "--consumer", "--allow-principal", "User:x", "--topic", "t"],
    ["--add", "--producer", "--allow-principal", "User:x", "--group", "g"],
]


@pytest.mark.slow
def test_bad_commands_fail_with_kafkas_messages(two_stroms: tuple[BrokerProcess, BrokerProcess], kafka_tool: Callable[..., Any]) -> None:
    bootstrap = two_stroms[0].bootstrap
    for args in BAD_COMMANDS:
        theirs = kafka_tool(ACL_COMMAND, ["--bootstrap-server", bootstrap, *args])
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = kafka_acls.main(["--bootstrap-server", bootstrap, *args])
        assert (code, err.getvalue().splitlines()[0]) == (theirs.returncode, theirs.stderr.splitlines()[0]), args
