"""The three providers' ways of getting a bearer token.

* :class:`ServiceKeyGrant`: CLMS. An RS256 JWT assertion signed with the service key's private
  key, exchanged with the ``urn:ietf:params:oauth:grant-type:jwt-bearer`` grant. There is no
  refresh token: a new assertion is signed for every token.
* :class:`SecretGrant`: CLC+ Backbone. ``POST /auth/get_bearer_token`` with the user id and
  client secret as JSON; ``expires_in`` comes as a string.
* :class:`PasswordGrant`: Terrascope's Keycloak (OIDC). The password grant, then the
  ``refresh_token`` grant while the refresh token lives, falling back to the password grant
  when the refresh token is refused.

Token requests go through the provider's session (rate limit and retries, no authentication).
Signing runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import jwt
from pydantic import SecretStr

from stacsync.errors import AuthError, PayloadError
from stacsync.transport.credentials import ServiceKey
from stacsync.transport.status import error_for_status
from stacsync.transport.tokens import CachedTokens, TokenGrant

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
"""Seconds an assertion is valid (CLMS accepts at most an hour)."""


class TokenPoster(Protocol):
    """Sends a token request without authentication; see ``ProviderSession.post_for_token``."""

    async def post_for_token(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any, str]:
        """POST and return ``(status, decoded JSON or None, the provider's message)``."""
        ...


def read_grant(provider: str, url: str, body: Any) -> TokenGrant:
    """The token and lifetimes in a token endpoint's JSON answer."""
    if not isinstance(body, Mapping):
        raise PayloadError(provider, "token response is not a JSON object", url=url)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise PayloadError(provider, "missing or empty", url=url, field="access_token")
    refresh = body.get("refresh_token")
    return TokenGrant(
        access_token=SecretStr(token),
        expires_in=_seconds(provider, url, body, "expires_in", default=300.0),
        refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
        refresh_expires_in=(
            _seconds(provider, url, body, "refresh_expires_in", default=0.0)
            if "refresh_expires_in" in body
            else None
        ),
    )


def _seconds(provider: str, url: str, body: Mapping[str, Any], key: str, default: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool):
        raise PayloadError(provider, "not a number of seconds", url=url, field=key)
    try:
        return float(value)  # Backbone sends "8640000" as a string
    except (TypeError, ValueError):
        raise PayloadError(
            provider, f"not a number of seconds: {value!r}", url=url, field=key
        ) from None


async def _request_token(
    poster: TokenPoster,
    provider: str,
    url: str,
    *,
    form: Mapping[str, str] | None = None,
    json: Mapping[str, Any] | None = None,
) -> TokenGrant:
    status, body, message = await poster.post_for_token(url, form=form, json=json)
    if status >= 500 or status == 429:
        raise error_for_status(provider, url, status, message)
    if status >= 400:
        raise AuthError(provider, f"token request refused: {message}", url=url, status=status)
    return read_grant(provider, url, body)


class ServiceKeyGrant(CachedTokens):
    """CLMS: the JWT-bearer grant with an RS256 assertion signed by the service key."""

    grant_name = "jwt-bearer"

    def __init__(self, key: ServiceKey, poster: TokenPoster, **kwargs: Any) -> None:
        super().__init__("clms", **kwargs)
        self.key = key
        self._poster = poster

    def assertion(self, now: float | None = None) -> str:
        """A freshly signed assertion (wall-clock ``iat``, as the server checks it)."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.key.client_id,
            "sub": self.key.user_id,
            "aud": self.key.token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key.private_key.get_secret_value(), algorithm="RS256")

    async def _fetch(self) -> TokenGrant:
        try:
            assertion = await asyncio.to_thread(self.assertion)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthError(
                "clms", f"cannot sign with the service key's private key: {type(exc).__name__}"
            ) from None
        return await _request_token(
            self._poster,
            "clms",
            self.key.token_uri,
            form={"grant_type": JWT_BEARER, "assertion": assertion},
        )


class SecretGrant(CachedTokens):
    """CLC+ Backbone: ``{"user_id", "client_secret"}`` posted as JSON to the token URL."""

    grant_name = "client-secret"

    def __init__(
        self,
        token_url: str,
        user_id: str,
        client_secret: SecretStr,
        poster: TokenPoster,
        **kwargs: Any,
    ) -> None:
        super().__init__("backbone", **kwargs)
        self.token_url = token_url
        self.user_id = user_id
        self._secret = client_secret
        self._poster = poster

    async def _fetch(self) -> TokenGrant:
        return await _request_token(
            self._poster,
            "backbone",
            self.token_url,
            json={"user_id": self.user_id, "client_secret": self._secret.get_secret_value()},
        )


class PasswordGrant(CachedTokens):
    """Terrascope (Keycloak): password grant, refresh-token grant, password again when dead."""

    grant_name = "password"

    def __init__(
        self,
        token_url: str,
        username: str,
        password: SecretStr,
        poster: TokenPoster,
        *,
        client_id: str = "public",
        provider: str = "terrascope",
        **kwargs: Any,
    ) -> None:
        super().__init__(provider, **kwargs)
        self.token_url = token_url
        self.username = username
        self.client_id = client_id
        self._password = password
        self._poster = poster
        self._refresh: SecretStr | None = None
        self._refresh_until = 0.0
        self.password_grants = 0
        self.refresh_grants = 0
        self.refresh_failures = 0

    async def _fetch(self) -> TokenGrant:
        started = self._monotonic()
        grant: TokenGrant | None = None
        if self._refresh is not None and started < self._refresh_until:
            try:
                grant = await _request_token(
                    self._poster,
                    self.provider,
                    self.token_url,
                    form={
                        "grant_type": "refresh_token",
                        "client_id": self.client_id,
                        "refresh_token": self._refresh.get_secret_value(),
                    },
                )
                self.refresh_grants += 1
            except AuthError:
                self.refresh_failures += 1  # dead refresh token: log in again
        if grant is None:
            self._refresh = None
            grant = await _request_token(
                self._poster,
                self.provider,
                self.token_url,
                form={
                    "grant_type": "password",
                    "client_id": self.client_id,
                    "username": self.username,
                    "password": self._password.get_secret_value(),
                },
            )
            self.password_grants += 1
        self._refresh = grant.refresh_token
        lifetime = grant.refresh_expires_in
        self._refresh_until = started + (lifetime if lifetime else float("inf"))
        return grant
