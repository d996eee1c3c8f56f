"""SCRAM credential administration (KIP-554): what kafka-configs.sh --entity-type users needs.

The password never leaves the client: it is salted and hashed here (PBKDF2 with the mechanism's HMAC, the
iterations asked for) and AlterUserScramCredentials carries the salt and salted password only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from strom.protocol.errors import KafkaError
from strom.protocol.schema import alter_user_scram_credentials as alter_schema
from strom.protocol.schema import describe_user_scram_credentials as describe_schema
from strom.security.sasl.scram import ScramMechanism, salted_password
from strom.transport.connection import BrokerConnection

DEFAULT_ITERATIONS = 4096  # Kafka's kafka-configs.sh default when iterations= is not given


class _Admin(Protocol):
    @property
    def cluster(self) -> _AnyConnection: ...


class _AnyConnection(Protocol):
    async def any_connection(self) -> BrokerConnection: ...


@dataclass(frozen=True, slots=True)
class ScramCredentialInfo:
    mechanism: str  # "SCRAM-SHA-512"
    iterations: int


@dataclass(frozen=True, slots=True)
class UserScramCredentialUpsertion:
    user: str
    mechanism: str
    password: str
    iterations: int = DEFAULT_ITERATIONS


@dataclass(frozen=True, slots=True)
class UserScramCredentialDeletion:
    user: str
    mechanism: str


async def describe_user_scram_credentials(
    admin: _Admin, users: list[str] | None = None
) -> dict[str, list[ScramCredentialInfo] | KafkaError]:
    """User -> their credentials' mechanisms and iterations (or the per-user error); None: every user."""
    conn = await admin.cluster.any_connection()
    request = describe_schema.DescribeUserScramCredentialsRequest(
        users=None if users is None else [describe_schema.UserName(name=u) for u in users]
    )
    resp = await conn.send(request)
    if resp.error_code:
        raise KafkaError(resp.error_code, resp.error_message)
    out: dict[str, list[ScramCredentialInfo] | KafkaError] = {}
    for r in resp.results:
        if r.error_code:
            out[r.user] = KafkaError(r.error_code, r.error_message)
        else:
            out[r.user] = [ScramCredentialInfo(ScramMechanism(c.mechanism).mechanism_name, c.iterations) for c in r.credential_infos]
    return out


async def alter_user_scram_credentials(
    admin: _Admin, upsertions: list[UserScramCredentialUpsertion], deletions: list[UserScramCredentialDeletion]
) -> dict[str, KafkaError | None]:
    """Sets and deletes credentials; user -> None on success, else the error."""
    ups = []
    for u in upsertions:
        mechanism = ScramMechanism.from_name(u.mechanism)
        salt = secrets.token_bytes(32)
        salted = salted_password(mechanism, u.password, salt, u.iterations) if mechanism is not ScramMechanism.UNKNOWN else b""
        ups.append(
            alter_schema.ScramCredentialUpsertion(
                name=u.user, mechanism=int(mechanism), iterations=u.iterations, salt=salt, salted_password=salted
            )
        )
    dels = [alter_schema.ScramCredentialDeletion(name=d.user, mechanism=int(ScramMechanism.from_name(d.mechanism))) for d in deletions]
    conn = await admin.cluster.any_connection()
    resp = await conn.send(alter_schema.AlterUserScramCredentialsRequest(deletions=dels, upsertions=ups))
    return {r.user: KafkaError(r.error_code, r.error_message) if r.error_code else None for r in resp.results}
