"""What the broker advertises in ApiVersions is exactly what it answers: every advertised API has a handler, its
range is at least Kafka 3.9's full range (narrow ranges break newer clients), and a request at the highest advertised
version of every API gets a well-formed response rather than a closed connection."""

from __future__ import annotations

import socket

import pytest

from strom.broker.handlers import HANDLERS
from strom.protocol import compiler
from strom.protocol.framing import ClientConnection
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES
from strom.protocol.schema.api_versions import ApiVersionsRequest, ApiVersionsResponse

from ..unit.protocol.test_kafka_specs import _specs

pytestmark = pytest.mark.timeout(60)


class RawConnection:
    """A blocking socket driven by the sans-IO ClientConnection, one request at a time, so a closed
    connection shows as an error."""

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.conn = ClientConnection("strom-protocol-test")

    def request(self, msg, version: int):
        _, raw = self.conn.send(msg, version)
        self.sock.sendall(raw)
        while True:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            responses = self.conn.receive(chunk)  # checks the correlation id and that nothing is left over
            if responses:
                return responses[0].message

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(strom_broker):
    c = RawConnection(strom_broker.bootstrap)
    yield c
    c.close()


def _advertised(conn: RawConnection) -> dict[int, tuple[int, int]]:
    response: ApiVersionsResponse = conn.request(ApiVersionsRequest(client_software_name="strom-test"), 3)
    assert response.error_code == 0
    return {a.api_key: (a.min_version, a.max_version) for a in response.api_keys}


def test_advertises_exactly_the_handled_apis_with_kafka_ranges(conn):
    advertised = _advertised(conn)
    assert set(advertised) == set(HANDLERS)
    specs = _specs("3.9.1")
    for api_key, (low, high) in advertised.items():
        cls = REQUEST_TYPES[api_key]
        assert (low, high) == (cls.MIN_VERSION, cls.MAX_VERSION)
        valid = compiler.Versions.parse(specs[cls.__name__]["validVersions"])
        assert low == valid.low and high >= valid.high, f"{cls.__name__}: {low}-{high} is narrower than Kafka 3.9's"


# Requests whose defaults would make the broker wait or stay silent (acks=0 produce, long polls, joins).
_OVERRIDES = {
    0: {"acks": 1},
    1: {"max_wait_ms": 0},
    11: {"session_timeout_ms": 10_000, "rebalance_timeout_ms": 0},
}


def test_every_advertised_api_answers_at_its_highest_version(conn):
    for api_key, (_, high) in sorted(_advertised(conn).items()):
        request = REQUEST_TYPES[api_key](**_OVERRIDES.get(api_key, {}))
        response = conn.request(request, high)
        assert type(response) is RESPONSE_TYPES[api_key]
