"""Issued-token bookkeeping shared by the emulators' auth endpoints."""

from __future__ import annotations

import enum
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from stacsync.sandbox.clock import SandboxClock


class TokenState(enum.Enum):
    """What a presented token turned out to be."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token the sandbox handed out."""

    value: str
    kind: str
    """``access`` or ``refresh`` (or a provider's own word)."""
    subject: str
    issued_at: float
    expires_at: float


def opaque_token(length: int) -> str:
    """A random URL-safe token of exactly ``length`` characters."""
    return secrets.token_urlsafe(length)[:length]


class TokenStore:
    """Tokens issued by one provider, with expiry on the sandbox clock and revocation."""

    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock
        self._tokens: dict[str, IssuedToken] = {}
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    def issue(
        self,
        *,
        kind: str,
        subject: str,
        lifetime: float,
        make: Callable[[], str] = lambda: opaque_token(42),
    ) -> IssuedToken:
        """Create and remember a token valid for ``lifetime`` sandbox seconds."""
        now = self._clock.now()
        token = IssuedToken(
            value=make(), kind=kind, subject=subject, issued_at=now, expires_at=now + lifetime
        )
        with self._lock:
            self._tokens[token.value] = token
        return token

    def check(self, value: str, *, kind: str = "access") -> tuple[TokenState, IssuedToken | None]:
        """The state of a presented token of the given kind."""
        with self._lock:
            token = self._tokens.get(value)
            revoked = value in self._revoked
        if token is None or token.kind != kind:
            return TokenState.UNKNOWN, None
        if revoked:
            return TokenState.REVOKED, token
        if self._clock.now() >= token.expires_at:
            return TokenState.EXPIRED, token
        return TokenState.VALID, token

    def revoke(self, value: str) -> None:
        """Revoke one token."""
        with self._lock:
            self._revoked.add(value)

    def revoke_all(self, *, kind: str | None = None) -> int:
        """Revoke every token (of ``kind``); returns how many were revoked."""
        with self._lock:
            values = [v for v, t in self._tokens.items() if kind is None or t.kind == kind]
            self._revoked.update(values)
        return len(values)

    def issued(self, *, kind: str | None = None) -> list[IssuedToken]:
        """Every token issued so far (of ``kind``)."""
        with self._lock:
            return [t for t in self._tokens.values() if kind is None or t.kind == kind]
