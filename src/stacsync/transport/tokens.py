"""Tokens and the authentication middleware: proactive refresh before expiry, one retry on 401.

Every way of authenticating is an :class:`Authorizer`: it hands out a :class:`Credential`
(the ``Authorization`` header value) and is told when the server refused one. Grants that
issue expiring bearer tokens derive from :class:`CachedTokens`, which is shared by every task
of a provider: a lock makes concurrent first requests fetch one token, and a token is
replaced ``margin`` seconds before it expires (never more than a fifth of its lifetime early).
"""

from __future__ import annotations

import asyncio
import base64
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from pydantic import SecretStr

from stacsync.errors import AuthError
from stacsync.events import OnEvent, TokenIssued
from stacsync.transport.redact import redact_url
from stacsync.transport.status import provider_message

DEFAULT_MARGIN = 30.0
"""Seconds before expiry at which a token is replaced."""


@dataclass(frozen=True, slots=True)
class Credential:
    """One ``Authorization`` header value, and when it stops being usable."""

    header: SecretStr
    expires_at: float = float("inf")
    """``time.monotonic()`` seconds; infinity for credentials that do not expire."""
    lifetime: float = float("inf")


class Authorizer(Protocol):
    """Anything that authenticates the requests of one provider."""

    provider: str

    async def credential(self) -> Credential:
        """A usable credential, fetched or refreshed as needed."""
        ...

    def invalidate(self, credential: Credential) -> None:
        """The server refused ``credential``: do not hand it out again."""
        ...


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a token endpoint answered: the token and its lifetimes in seconds."""

    access_token: SecretStr
    expires_in: float
    refresh_token: SecretStr | None = None
    refresh_expires_in: float | None = None


class CachedTokens(ABC):
    """Base of every bearer-token grant: caching, single-flight refresh, expiry margin.

    Args:
        provider: The provider's name, for errors and events.
        margin: Seconds before expiry at which the token is replaced.
        monotonic: The clock.
        on_event: Receives :class:`~stacsync.events.TokenIssued`.
    """

    grant_name = "token"

    def __init__(
        self,
        provider: str,
        *,
        margin: float = DEFAULT_MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        on_event: OnEvent | None = None,
    ) -> None:
        self.provider = provider
        self.margin = margin
        self._monotonic = monotonic
        self._on_event = on_event
        self._current: Credential | None = None
        self._lock = asyncio.Lock()
        self.issued = 0

    def _usable(self, credential: Credential | None) -> bool:
        if credential is None:
            return False
        early = min(self.margin, credential.lifetime / 5)
        return self._monotonic() < credential.expires_at - early

    async def credential(self) -> Credential:
        """The current token, or a new one when it is missing or about to expire."""
        current = self._current
        if self._usable(current):
            assert current is not None
            return current
        async with self._lock:
            if self._usable(self._current):
                assert self._current is not None
                return self._current
            started = self._monotonic()
            grant = await self._fetch()
            lifetime = max(0.0, grant.expires_in)
            self._current = Credential(
                SecretStr(f"Bearer {grant.access_token.get_secret_value()}"),
                expires_at=started + lifetime,
                lifetime=lifetime,
            )
            self.issued += 1
            if self._on_event is not None:
                self._on_event(TokenIssued(self.provider, self.grant_name, lifetime))
            return self._current

    def invalidate(self, credential: Credential) -> None:
        """Forget ``credential`` if it is still the current one."""
        if self._current is credential:
            self._current = None

    @abstractmethod
    async def _fetch(self) -> TokenGrant:
        """Obtain a new token from the provider (raise :class:`AuthError` when refused)."""


class StaticToken:
    """A bearer token given by the user; a 401 cannot be fixed by refreshing it."""

    def __init__(self, provider: str, token: SecretStr) -> None:
        self.provider = provider
        self._credential = Credential(SecretStr(f"Bearer {token.get_secret_value()}"))

    async def credential(self) -> Credential:
        """The token."""
        return self._credential

    def invalidate(self, credential: Credential) -> None:
        """Nothing to refresh."""


class BasicAuth:
    """HTTP Basic authentication (Terrascope's download service accepts it)."""

    def __init__(self, provider: str, username: str, password: SecretStr) -> None:
        self.provider = provider
        raw = f"{username}:{password.get_secret_value()}".encode()
        self._credential = Credential(SecretStr(f"Basic {base64.b64encode(raw).decode()}"))

    async def credential(self) -> Credential:
        """The Basic header."""
        return self._credential

    def invalidate(self, credential: Credential) -> None:
        """Nothing to refresh."""


def auth_middleware(authorizer: Authorizer) -> aiohttp.ClientMiddlewareType:
    """Set ``Authorization`` on every request; on 401 refresh once and resend.

    A second 401 with a fresh credential raises :class:`~stacsync.errors.AuthError` with the
    provider's own message; nothing loops.
    """

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        credential = await authorizer.credential()
        request.headers[aiohttp.hdrs.AUTHORIZATION] = credential.header.get_secret_value()
        response = await handler(request)
        if response.status != 401:
            return response
        response.release()
        authorizer.invalidate(credential)
        fresh = await authorizer.credential()
        request.headers[aiohttp.hdrs.AUTHORIZATION] = fresh.header.get_secret_value()
        response = await handler(request)
        if response.status != 401:
            return response
        message = await provider_message(response)
        response.release()
        authorizer.invalidate(fresh)
        raise AuthError(
            authorizer.provider,
            f"credentials refused even after a fresh login: {message}",
            url=redact_url(str(request.url)),
            status=401,
        )

    return middleware
