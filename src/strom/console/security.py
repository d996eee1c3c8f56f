"""ACLs and SCRAM users: what kafka-acls.sh and kafka-configs.sh --entity-type users show and change.

A cluster without an authorizer answers the ACL requests with SECURITY_DISABLED; the page says so instead of
failing. Passwords are salted and hashed in the client (KIP-554): the console never sends one in clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from strom.client.admin import AsyncAdmin
from strom.client.admin_types import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)
from strom.client.scram_admin import (
    ScramCredentialInfo,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
    alter_user_scram_credentials,
    describe_user_scram_credentials,
)
from strom.protocol.errors import ErrorCode, KafkaError

RESOURCE_TYPES = ("TOPIC", "GROUP", "BROKER", "TRANSACTIONAL_ID")  # BROKER is Kafka's CLUSTER resource
PATTERN_TYPES = ("LITERAL", "PREFIXED")
OPERATIONS = tuple(o.name for o in AclOperation if o not in (AclOperation.UNKNOWN, AclOperation.ANY))
PERMISSIONS = ("ALLOW", "DENY")
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True, slots=True)
class AclRow:
    resource_type: str
    name: str
    pattern_type: str
    principal: str
    host: str
    operation: str
    permission: str


@dataclass(frozen=True, slots=True)
class Security:
    acls: tuple[AclRow, ...]
    acls_error: str  # why ACLs cannot be shown (no authorizer), "" when they are
    users: tuple[tuple[str, tuple[ScramCredentialInfo, ...]], ...]
    users_error: str


def _row(b: AclBinding) -> AclRow:
    return AclRow(
        b.restype.name,
        b.name or "",
        b.resource_pattern_type.name,
        b.principal or "",
        b.host or "",
        b.operation.name,
        b.permission_type.name,
    )


def binding(row: AclRow) -> AclBinding:
    return AclBinding(row.resource_type, row.name, row.pattern_type, row.principal, row.host, row.operation, row.permission)


async def describe(admin: AsyncAdmin) -> Security:
    acls: tuple[AclRow, ...] = ()
    acls_error = users_error = ""
    try:
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY)
        acls = tuple(sorted((_row(b) for b in await admin.describe_acls(everything)), key=lambda r: (r.resource_type, r.name, r.principal)))
    except KafkaError as exc:
        acls_error = _why(exc, "authorizer.class.name")
    users: list[tuple[str, tuple[ScramCredentialInfo, ...]]] = []
    try:
        for user, creds in sorted((await describe_user_scram_credentials(admin)).items()):
            if not isinstance(creds, KafkaError):
                users.append((user, tuple(creds)))
    except KafkaError as exc:
        users_error = _why(exc, "SCRAM")
    return Security(acls, acls_error, tuple(users), users_error)


def _why(exc: KafkaError, what: str) -> str:
    if exc.code() == ErrorCode.SECURITY_DISABLED:
        return f"The cluster has no authorizer ({what} is not set): there are no ACLs to show."
    return str(exc)


async def create_acl(admin: AsyncAdmin, row: AclRow) -> None:
    err = (await admin.create_acls([binding(row)]))[binding(row)]
    if err is not None:
        raise err


async def delete_acl(admin: AsyncAdmin, row: AclRow) -> int:
    """Deletes exactly this ACL; returns how many matched."""
    f = AclBindingFilter(row.resource_type, row.name, row.pattern_type, row.principal, row.host, row.operation, row.permission)
    got = (await admin.delete_acls([f]))[f]
    if isinstance(got, KafkaError):
        raise got
    return len(got)


async def set_user(admin: AsyncAdmin, user: str, mechanism: str, password: str, iterations: int) -> None:
    if not user or not password:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "a user name and a password are needed")
    err = (await alter_user_scram_credentials(admin, [UserScramCredentialUpsertion(user, mechanism, password, iterations)], []))[user]
    if err is not None:
        raise err


async def delete_user(admin: AsyncAdmin, user: str, mechanism: str) -> None:
    err = (await alter_user_scram_credentials(admin, [], [UserScramCredentialDeletion(user, mechanism)]))[user]
    if err is not None:
        raise err
