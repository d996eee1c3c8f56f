"""DescribeAcls (29), CreateAcls (30), DeleteAcls (31) as Kafka's AclApis answers them: SECURITY_DISABLED
with no authorizer; DESCRIBE (describe) or ALTER (create, delete) on the cluster; a binding or filter that
cannot be used is INVALID_REQUEST on its own result, the others go ahead."""

from __future__ import annotations

import logging

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import create_acls as create_acls_schema
from strom.protocol.schema import delete_acls as delete_acls_schema
from strom.protocol.schema import describe_acls as describe_acls_schema
from strom.protocol.schema.create_acls import AclCreation, AclCreationResult, CreateAclsRequest, CreateAclsResponse
from strom.protocol.schema.delete_acls import (
    DeleteAclsFilter,
    DeleteAclsFilterResult,
    DeleteAclsMatchingAcl,
    DeleteAclsRequest,
    DeleteAclsResponse,
)
from strom.protocol.schema.describe_acls import AclDescription, DescribeAclsRequest, DescribeAclsResource, DescribeAclsResponse
from strom.security.acl import (
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)

log = logging.getLogger("kafka.server.KafkaApis")
_MSG = "No Authorizer is configured on the broker"
_DENIED = "Cluster authorization failed."


def _enum(enum: type[ResourceType] | type[PatternType] | type[AclOperation] | type[AclPermissionType], value: int) -> int:
    """A wire id as its enum member, UNKNOWN (0) for an id this broker does not know."""
    return value if value in enum._value2member_map_ else 0


def _binding(c: AclCreation) -> AclBinding:
    return AclBinding(
        ResourcePattern(
            ResourceType(_enum(ResourceType, c.resource_type)), c.resource_name, PatternType(_enum(PatternType, c.resource_pattern_type))
        ),
        AccessControlEntry(
            c.principal,
            c.host,
            AclOperation(_enum(AclOperation, c.operation)),
            AclPermissionType(_enum(AclPermissionType, c.permission_type)),
        ),
    )


def _filter(f: DescribeAclsRequest | DeleteAclsFilter) -> AclBindingFilter:
    return AclBindingFilter(
        ResourceType(_enum(ResourceType, f.resource_type_filter)),
        f.resource_name_filter,
        PatternType(_enum(PatternType, f.pattern_type_filter)),
        f.principal_filter,
        f.host_filter,
        AclOperation(_enum(AclOperation, f.operation)),
        AclPermissionType(_enum(AclPermissionType, f.permission_type)),
    )


@handles(describe_acls_schema.API_KEY)
async def describe_acls(ctx: RequestContext, request: DescribeAclsRequest) -> DescribeAclsResponse:
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return DescribeAclsResponse(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG)
    if not authorize_cluster(ctx, AclOperation.DESCRIBE):
        return DescribeAclsResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=_DENIED)
    acl_filter = _filter(request)
    problem = acl_filter.validation_error()
    if problem:
        return DescribeAclsResponse(error_code=ErrorCode.INVALID_REQUEST, error_message=problem)
    by_pattern: dict[ResourcePattern, list[AccessControlEntry]] = {}
    for b in authorizer.describe(acl_filter):
        by_pattern.setdefault(b.pattern, []).append(b.entry)
    resources = [
        DescribeAclsResource(
            resource_type=p.resource_type,
            resource_name=p.name,
            pattern_type=p.pattern_type,
            acls=[
                AclDescription(principal=e.principal, host=e.host, operation=e.operation, permission_type=e.permission_type)
                for e in entries
            ],
        )
        for p, entries in by_pattern.items()
    ]
    return DescribeAclsResponse(error_code=ErrorCode.NONE, error_message=None, resources=resources)


@handles(create_acls_schema.API_KEY)
async def create_acls(ctx: RequestContext, request: CreateAclsRequest) -> CreateAclsResponse:
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return CreateAclsResponse(
            results=[AclCreationResult(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG) for _ in request.creations]
        )
    if not authorize_cluster(ctx, AclOperation.ALTER):
        return CreateAclsResponse(
            results=[AclCreationResult(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=_DENIED) for _ in request.creations]
        )
    bindings = [_binding(c) for c in request.creations]
    problems = [b.validation_error() for b in bindings]
    try:
        await authorizer.create([b for b, problem in zip(bindings, problems, strict=True) if problem is None])
    except OSError as exc:  # ZkError is one
        log.warning("CreateAcls failed to store ACLs: %s", exc)
        return CreateAclsResponse(
            results=[AclCreationResult(error_code=ErrorCode.UNKNOWN_SERVER_ERROR, error_message=str(exc)) for _ in request.creations]
        )
    return CreateAclsResponse(
        results=[
            AclCreationResult(error_code=ErrorCode.INVALID_REQUEST, error_message=problem)
            if problem
            else AclCreationResult(error_code=ErrorCode.NONE, error_message=None)
            for problem in problems
        ]
    )


@handles(delete_acls_schema.API_KEY)
async def delete_acls(ctx: RequestContext, request: DeleteAclsRequest) -> DeleteAclsResponse:
    authorizer = ctx.broker.authorizer
    if authorizer is None:
        return DeleteAclsResponse(
            filter_results=[DeleteAclsFilterResult(error_code=ErrorCode.SECURITY_DISABLED, error_message=_MSG) for _ in request.filters]
        )
    if not authorize_cluster(ctx, AclOperation.ALTER):
        return DeleteAclsResponse(
            filter_results=[
                DeleteAclsFilterResult(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=_DENIED) for _ in request.filters
            ]
        )
    filters = [_filter(f) for f in request.filters]
    problems = [f.validation_error() for f in filters]
    usable = [f for f, problem in zip(filters, problems, strict=True) if problem is None]
    try:
        deleted = iter(await authorizer.delete(usable))
    except OSError as exc:  # ZkError is one
        log.warning("DeleteAcls failed to update ACLs: %s", exc)
        return DeleteAclsResponse(
            filter_results=[
                DeleteAclsFilterResult(error_code=ErrorCode.UNKNOWN_SERVER_ERROR, error_message=str(exc)) for _ in request.filters
            ]
        )
    results = []
    for problem in problems:
        if problem:
            results.append(DeleteAclsFilterResult(error_code=ErrorCode.INVALID_REQUEST, error_message=problem))
            continue
        matching = [_matching_acl(b) for b in next(deleted)]
        results.append(DeleteAclsFilterResult(error_code=ErrorCode.NONE, error_message=None, matching_acls=matching))
    return DeleteAclsResponse(filter_results=results)


def _matching_acl(b: AclBinding) -> DeleteAclsMatchingAcl:
    p, e = b.pattern, b.entry
    return DeleteAclsMatchingAcl(
        error_code=ErrorCode.NONE,
        error_message=None,
        resource_type=p.resource_type,
        resource_name=p.name,
        pattern_type=p.pattern_type,
        principal=e.principal,
        host=e.host,
        operation=e.operation,
        permission_type=e.permission_type,
    )
