"""DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), KIP-554.

Credentials live in the users' entity configs (/config/users/<name>: "SCRAM-SHA-512" ->
"salt=...,stored_key=...,server_key=...,iterations=N"); the client sends a salted password, never the
password, and the broker keeps only what a SCRAM server needs. Authorization as Kafka's KafkaApis: DESCRIBE
on the cluster to describe, ALTER on the cluster to alter. Validation and messages as Kafka 2.8's
ZkAdminManager.
"""

from __future__ import annotations

from collections import Counter

from strom.broker.authorizer import authorize_cluster
from strom.broker.entity_configs import ConfigEntity
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import alter_user_scram_credentials as alter_schema
from strom.protocol.schema import describe_user_scram_credentials as describe_schema
from strom.protocol.schema.alter_user_scram_credentials import (
    AlterUserScramCredentialsRequest,
    AlterUserScramCredentialsResponse,
    AlterUserScramCredentialsResult,
)
from strom.protocol.schema.describe_user_scram_credentials import (
    CredentialInfo,
    DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsResponse,
    DescribeUserScramCredentialsResult,
)
from strom.security.acl import AclOperation
from strom.security.sasl.scram import MAX_ITERATIONS, MECHANISMS, MIN_ITERATIONS, ScramCredential, ScramMechanism


def _credential_infos(configs: dict[str, str]) -> list[CredentialInfo]:
    out = []
    for name in MECHANISMS:
        if name in configs:
            try:
                iterations = ScramCredential.from_config(configs[name]).iterations
            except ValueError:
                continue
            out.append(CredentialInfo(mechanism=int(ScramMechanism.from_name(name)), iterations=iterations))
    return out


@handles(describe_schema.API_KEY)
async def handle_describe(ctx: RequestContext, request: DescribeUserScramCredentialsRequest) -> DescribeUserScramCredentialsResponse:
    if not authorize_cluster(ctx, AclOperation.DESCRIBE):
        return DescribeUserScramCredentialsResponse(
            error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message="Cluster authorization failed.", results=[]
        )
    store = ctx.broker.entity_configs
    results = []
    if request.users is None:  # every user with a credential
        for entity in sorted(store.entities("users"), key=lambda e: e.user or ""):
            infos = _credential_infos(store.get(entity))
            if infos:
                results.append(DescribeUserScramCredentialsResult(user=entity.user or "", error_code=0, credential_infos=infos))
        return DescribeUserScramCredentialsResponse(error_code=0, results=results)
    counts = Counter(u.name for u in request.users)
    for name in dict.fromkeys(u.name for u in request.users):
        if counts[name] > 1:
            results.append(
                DescribeUserScramCredentialsResult(
                    user=name,
                    error_code=ErrorCode.DUPLICATE_RESOURCE,
                    error_message="Cannot describe SCRAM credentials for the same user twice in a single request",
                    credential_infos=[],
                )
            )
            continue
        infos = _credential_infos(store.get(ConfigEntity(user=name))) if name else []
        if not infos:
            results.append(
                DescribeUserScramCredentialsResult(
                    user=name,
                    error_code=ErrorCode.RESOURCE_NOT_FOUND,
                    error_message=f"Attempt to describe a user credential that does not exist: {name}",
                    credential_infos=[],
                )
            )
            continue
        results.append(DescribeUserScramCredentialsResult(user=name, error_code=0, credential_infos=infos))
    return DescribeUserScramCredentialsResponse(error_code=0, results=results)


def _validate(mechanism: int, iterations: int | None) -> tuple[int, str] | None:
    if mechanism not in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512):
        return ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"
    if iterations is not None and iterations < MIN_ITERATIONS:
        return ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations"
    if iterations is not None and iterations > MAX_ITERATIONS:
        return ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations"
    return None


@handles(alter_schema.API_KEY)
async def handle_alter(ctx: RequestContext, request: AlterUserScramCredentialsRequest) -> AlterUserScramCredentialsResponse:
    users = list(dict.fromkeys([d.name for d in request.deletions] + [u.name for u in request.upsertions]))
    if not authorize_cluster(ctx, AclOperation.ALTER):
        return AlterUserScramCredentialsResponse(
            results=[
                AlterUserScramCredentialsResult(user=u, error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, error_message=None)
                for u in users
            ]
        )
    errors: dict[str, tuple[int, str]] = {}
    pairs = Counter([(d.name, d.mechanism) for d in request.deletions] + [(u.name, u.mechanism) for u in request.upsertions])
    for (name, _), count in pairs.items():
        if count > 1:
            errors.setdefault(name, (ErrorCode.DUPLICATE_RESOURCE, "A user credential cannot be altered twice in the same request"))
    for name in users:
        if not name:
            errors.setdefault(name, (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"))
    store = ctx.broker.entity_configs
    for d in request.deletions:
        problem = _validate(d.mechanism, None)
        if problem is None and ScramMechanism(d.mechanism).mechanism_name not in store.get(ConfigEntity(user=d.name or "?")):
            problem = ErrorCode.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist"
        if problem is not None:
            errors.setdefault(d.name, problem)
    for u in request.upsertions:
        problem = _validate(u.mechanism, u.iterations)
        if problem is not None:
            errors.setdefault(u.name, problem)
    for name in users:
        if name in errors:
            continue
        mine = [u for u in request.upsertions if u.name == name]
        set_ = {
            ScramMechanism(u.mechanism).mechanism_name: ScramCredential.from_salted_password(
                ScramMechanism(u.mechanism), bytes(u.salted_password), bytes(u.salt), u.iterations
            ).to_config()
            for u in mine
        }
        delete = [ScramMechanism(d.mechanism).mechanism_name for d in request.deletions if d.name == name]
        await store.alter(ConfigEntity(user=name), set_, delete)
    return AlterUserScramCredentialsResponse(
        results=[
            AlterUserScramCredentialsResult(
                user=name,
                error_code=errors[name][0] if name in errors else 0,
                error_message=errors[name][1] if name in errors else None,
            )
            for name in users
        ]
    )
