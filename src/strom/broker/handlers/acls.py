"""DescribeAcls (29), CreateAcls (30), DeleteAcls (31): SECURITY_DISABLED until an authorizer exists,
as Kafka answers when no authorizer is configured."""

from __future__ import annotations

from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import create_acls as create_acls_schema
from strom.protocol.schema import delete_acls as delete_acls_schema
from strom.protocol.schema import describe_acls as describe_acls_schema
from strom.protocol.schema.create_acls import AclCreationResult, CreateAclsRequest, CreateAclsResponse
from strom.protocol.schema.delete_acls import DeleteAclsFilterResult, DeleteAclsRequest, DeleteAclsResponse
from strom.protocol.schema.describe_acls import DescribeAclsRequest, DescribeAclsResponse

_MSG = "No Authorizer is configured on the broker"


@handles(describe_acls_schema.API_KEY)
async def describe_acls(ctx: RequestContext, request: DescribeAclsRequest) -> DescribeAclsResponse:
    return DescribeAclsResponse(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG)


@handles(create_acls_schema.API_KEY)
async def create_acls(ctx: RequestContext, request: CreateAclsRequest) -> CreateAclsResponse:
    return CreateAclsResponse(
        results=[AclCreationResult(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG) for _ in request.creations]
    )


@handles(delete_acls_schema.API_KEY)
async def delete_acls(ctx: RequestContext, request: DeleteAclsRequest) -> DeleteAclsResponse:
    return DeleteAclsResponse(
        filter_results=[DeleteAclsFilterResult(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG) for _ in request.filters]
    )
