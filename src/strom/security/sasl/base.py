"""What every SASL mechanism shares: the two halves' shapes and the two ways an exchange fails."""

from __future__ import annotations

from typing import Protocol


class SaslError(Exception):
    """The exchange failed; the client is told only that authentication failed (Kafka's SaslException:
    the broker answers "Authentication failed during authentication due to invalid credentials with SASL
    mechanism X", so a bad SCRAM proof does not say whether the user exists)."""


class SaslAuthenticationError(SaslError):
    """The exchange failed with a message meant for the client (Kafka's SaslAuthenticationException:
    "Authentication failed: Invalid username or password" reaches the client as it is)."""


class SaslServer(Protocol):
    """The broker's half of one exchange."""

    mechanism: str

    @property
    def complete(self) -> bool: ...

    @property
    def authorization_id(self) -> str:
        """The authenticated name (the principal is "User:<it>"); only once complete."""
        ...

    def evaluate_response(self, response: bytes) -> bytes:
        """The client's next token in, the server's next challenge out; raises SaslError."""
        ...

    def session_lifetime_ms(self) -> int | None:
        """How long the credential itself stays valid from now (an OAuth token's exp), None if it does not expire."""
        ...


class SaslClient(Protocol):
    """The client's half of one exchange."""

    mechanism: str

    @property
    def complete(self) -> bool: ...

    def initial_response(self) -> bytes: ...

    def evaluate_challenge(self, challenge: bytes) -> bytes | None:
        """The server's challenge in, the next token out (None: nothing more to send); raises SaslError."""
        ...
