"""Request header v0/v1/v2 and response header v0/v1, chosen per API and version as Kafka does."""

from __future__ import annotations

from dataclasses import dataclass

from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage
from strom.protocol.messages import REQUEST_TYPES, is_flexible
from strom.protocol.schema.api_versions import API_KEY as API_VERSIONS_KEY
from strom.protocol.schema.controlled_shutdown import API_KEY as CONTROLLED_SHUTDOWN_KEY


@dataclass(frozen=True, slots=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None = None


def request_header_version(api_key: int, api_version: int) -> int:
    if api_key == CONTROLLED_SHUTDOWN_KEY and api_version == 0:
        return 0
    return 2 if is_flexible(api_key, api_version) else 1


def response_header_version(api_key: int, api_version: int) -> int:
    # ApiVersions responses always use header v0 so a client can parse them before it knows our versions.
    if api_key == API_VERSIONS_KEY:
        return 0
    return 1 if is_flexible(api_key, api_version) else 0


def decode_request_header(buf: p.Buffer, pos: int = 0) -> tuple[RequestHeader, int]:
    """Decodes a request header; unknown keys/versions decode as v1 so the broker can still answer them."""
    if len(buf) - pos < 8:
        raise CorruptMessage(f"request header needs 8 bytes, frame has {len(buf) - pos}")
    api_key, api_version, correlation_id = p.read_struct(_HEAD, buf, pos, "request header")[0]
    pos += 8
    assert isinstance(api_key, int) and isinstance(api_version, int) and isinstance(correlation_id, int)
    version = request_header_version(api_key, api_version) if api_key in REQUEST_TYPES else 1
    client_id: str | None = None
    if version >= 1:
        client_id, pos = p.read_nullable_string(buf, pos)
    if version >= 2:
        _, pos = p.skip_tagged_fields(buf, pos)
    return RequestHeader(api_key, api_version, correlation_id, client_id), pos


def encode_request_header(out: bytearray, header: RequestHeader) -> None:
    version = request_header_version(header.api_key, header.api_version)
    out += _HEAD.pack(header.api_key, header.api_version, header.correlation_id)
    if version >= 1:
        p.write_nullable_string(out, header.client_id)
    if version >= 2:
        out.append(0)


def encode_response_header(out: bytearray, correlation_id: int, api_key: int, api_version: int) -> None:
    out += p.INT32.pack(correlation_id)
    if response_header_version(api_key, api_version) >= 1:
        out.append(0)


def decode_response_header(buf: p.Buffer, api_key: int, api_version: int, pos: int = 0) -> tuple[int, int]:
    """Returns (correlation id, position after the header)."""
    correlation_id, pos = p.read_int32(buf, pos)
    if response_header_version(api_key, api_version) >= 1:
        _, pos = p.skip_tagged_fields(buf, pos)
    return correlation_id, pos


import struct as _struct  # noqa: E402

_HEAD = _struct.Struct(">hhi")
