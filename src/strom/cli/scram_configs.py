"""kafka-configs.sh --entity-type users: the SCRAM credential part (KIP-554), Kafka 2.8's lines.

    --alter --add-config 'SCRAM-SHA-512=[iterations=8192,password=alice-secret]' --entity-type users --entity-name alice
    --alter --delete-config SCRAM-SHA-512 --entity-type users --entity-name alice
    --describe --entity-type users [--entity-name alice]

Keys other than SCRAM-SHA-256 / SCRAM-SHA-512 (user quotas) are returned to the caller untouched.
"""

from __future__ import annotations

from strom.client.admin import AsyncAdmin
from strom.client.scram_admin import (
    DEFAULT_ITERATIONS,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
    alter_user_scram_credentials,
    describe_user_scram_credentials,
)
from strom.protocol.errors import KafkaError

SCRAM_KEYS = ("SCRAM-SHA-256", "SCRAM-SHA-512")


def scram_upsertions(user: str, to_add: dict[str, str]) -> list[UserScramCredentialUpsertion]:
    """The SCRAM keys of --add-config ("iterations=8192,password=secret", brackets already removed)."""
    out = []
    for mechanism in SCRAM_KEYS:
        if mechanism not in to_add:
            continue
        fields = {}
        for item in to_add[mechanism].split(","):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"Invalid credential config {mechanism}={to_add[mechanism]}: expected [iterations=N,password=P]")
            fields[key.strip()] = value.strip()
        unknown = set(fields) - {"iterations", "password"}
        if unknown or not fields.get("password"):
            raise ValueError(f"Invalid credential config {mechanism}: it needs password=<password> and may give iterations=<n>")
        try:
            iterations = int(fields.get("iterations", DEFAULT_ITERATIONS))
        except ValueError:
            raise ValueError(f"Invalid credential config {mechanism}: iterations must be an integer") from None
        out.append(UserScramCredentialUpsertion(user, mechanism, fields["password"], iterations))
    return out


async def alter_user_credentials(admin: AsyncAdmin, user: str, to_add: dict[str, str], to_delete: list[str]) -> None:
    """Applies the SCRAM part of an --alter; raises the user's KafkaError if the broker refused it."""
    upsertions = scram_upsertions(user, to_add)
    deletions = [UserScramCredentialDeletion(user, m) for m in to_delete if m in SCRAM_KEYS]
    if not upsertions and not deletions:
        return
    error = (await alter_user_scram_credentials(admin, upsertions, deletions)).get(user)
    if error is not None:
        raise error


async def describe_user_credentials(admin: AsyncAdmin, user: str | None) -> None:
    """Prints Kafka's line per user with SCRAM credentials."""
    results = await describe_user_scram_credentials(admin, None if user is None else [user])
    for name, infos in results.items():
        if isinstance(infos, KafkaError):
            continue  # a named user without credentials: Kafka prints nothing for them
        text = ", ".join(f"{i.mechanism}=iterations={i.iterations}" for i in infos)
        print(f"SCRAM credential configs for user-principal '{name}' are {text}")
