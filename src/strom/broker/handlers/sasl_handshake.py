"""SaslHandshake (17) outside an authentication: ILLEGAL_SASL_STATE, as Kafka's KafkaApis answers.

On a SASL listener the authenticator (broker/authenticator.py) takes this request before the handlers do;
what reaches this handler came on a listener without SASL.
"""

from __future__ import annotations

from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import sasl_handshake
from strom.protocol.schema.sasl_handshake import SaslHandshakeRequest, SaslHandshakeResponse


@handles(sasl_handshake.API_KEY)
async def handle_sasl_handshake(ctx: RequestContext, request: SaslHandshakeRequest) -> SaslHandshakeResponse:
    return SaslHandshakeResponse(error_code=ErrorCode.ILLEGAL_SASL_STATE, mechanisms=[])
