"""Gen-1 authentication: client credentials, opaque bearer tokens and the resource protector.

``POST /auth/get_bearer_token`` takes ``{"user_id", "client_secret"}`` (24 and 48 characters in
production) and returns 42-character opaque ``[A-Za-z0-9]`` access tokens with a 48-character
refresh token, scope ``user`` and ``expires_in`` as a *string* (``"8640000"``, 100 days).
Protected resources answer 401/403 in the error envelope with authlib's error texts.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field

from aiohttp import web

from stacsync.sandbox.backbone.envelope import error_response
from stacsync.sandbox.clock import SandboxClock
from stacsync.sandbox.tokens import TokenState, TokenStore

DEFAULT_TOKEN_LIFETIME = 8_640_000.0
"""``BEARER_TOKEN_EXPIRATION_TIME`` as the manual's screenshot shows it (100 days)."""

PRODUCT_SCOPES = frozenset({"admin", "user", "get_product"})
STATUS_SCOPES = frozenset({"admin", "user"})

_ALPHABET = string.ascii_letters + string.digits


def gen_salt(length: int) -> str:
    """A random ``[A-Za-z0-9]`` string, like werkzeug's ``gen_salt`` and authlib's tokens."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class Authority:
    """The customers the API knows and the tokens it has issued."""

    clock: SandboxClock
    lifetime: float
    user_id: str = field(default_factory=lambda: gen_salt(24))
    client_secret: str = field(default_factory=lambda: gen_salt(48))
    tokens: TokenStore = field(init=False)
    _scopes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.clock)

    def customer_exists(self, user_id: object) -> bool:
        """Whether ``user_id`` is in the customer table."""
        return isinstance(user_id, str) and secrets.compare_digest(user_id, self.user_id)

    def issue(self, *, scope: str = "user") -> dict[str, str]:
        """A new token response body (key order as in the manual's screenshot)."""
        access = self.tokens.issue(
            kind="access", subject=self.user_id, lifetime=self.lifetime, make=lambda: gen_salt(42)
        )
        refresh = self.tokens.issue(
            kind="refresh", subject=self.user_id, lifetime=self.lifetime, make=lambda: gen_salt(48)
        )
        with self._lock:
            self._scopes[access.value] = scope
        return {
            "access_token": access.value,
            "expires_in": str(int(self.lifetime)),
            "refresh_token": refresh.value,
            "scope": scope,
            "token_type": "Bearer",
        }

    def login(self, user_id: object, client_secret: object) -> tuple[int, str] | None:
        """Check a credential pair: None if valid, else (status, message) as the API does."""
        if not self.customer_exists(user_id):
            return 404, "User ID does not exist"
        if not isinstance(client_secret, str) or not secrets.compare_digest(
            client_secret, self.client_secret
        ):
            return 404, "Client secret does not exist"
        return None

    def protect(self, request: web.BaseRequest, scopes: frozenset[str]) -> web.Response | None:
        """None if the request carries a valid token with one of ``scopes``, else the error."""
        header = request.headers.get("Authorization")
        if not header:
            return _auth_error(401, 'missing_authorization: Missing "Authorization" in headers.')
        parts = header.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            kind = parts[0] if parts else ""
            return _auth_error(401, f"unsupported_token_type: Unsupported token_type: {kind!r}")
        state, _ = self.tokens.check(parts[1].strip())
        if state is not TokenState.VALID:
            return _auth_error(
                401,
                "invalid_token: The access token provided is expired, revoked, malformed, or"
                " invalid for other reasons.",
            )
        with self._lock:
            scope = self._scopes.get(parts[1].strip(), "")
        if not set(scope.split()) & scopes:
            return _auth_error(
                403,
                "insufficient_scope: The request requires higher privileges than provided by"
                " the access token.",
            )
        return None


def _auth_error(status: int, message: str) -> web.Response:
    return error_response(status, message)
