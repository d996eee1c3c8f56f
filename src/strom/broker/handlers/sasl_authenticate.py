"""SaslAuthenticate (36) outside an authentication: ILLEGAL_SASL_STATE, as Kafka's KafkaApis answers.

On a SASL listener the authenticator (broker/authenticator.py) takes this request before the handlers do;
what reaches this handler came on a listener without SASL.
"""

from __future__ import annotations

from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import sasl_authenticate
from strom.protocol.schema.sasl_authenticate import SaslAuthenticateRequest, SaslAuthenticateResponse


@handles(sasl_authenticate.API_KEY)
async def handle_sasl_authenticate(ctx: RequestContext, request: SaslAuthenticateRequest) -> SaslAuthenticateResponse:
    return SaslAuthenticateResponse(
        error_code=ErrorCode.ILLEGAL_SASL_STATE,
        error_message=f"SaslAuthenticate request received on listener {ctx.listener_name}, which does not use SASL",
        auth_bytes=b"",
    )
