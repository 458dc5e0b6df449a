"""Which authorizer each provider uses, built from its configuration."""

from __future__ import annotations

from stacsync.errors import ConfigError
from stacsync.events import OnEvent
from stacsync.transport.credentials import ProviderConfig, service_key
from stacsync.transport.grants import PasswordGrant, SecretGrant, ServiceKeyGrant
from stacsync.transport.session import AuthorizerFactory, ProviderSession
from stacsync.transport.tokens import Authorizer, BasicAuth, StaticToken


def authorizer_for(config: ProviderConfig, *, on_event: OnEvent | None = None) -> AuthorizerFactory:
    """A factory of the provider's authorizer; credentials are checked now, used later.

    CLMS signs JWT assertions with its service key; Backbone posts its user id and client
    secret; Terrascope uses the OIDC password grant (``auth = "basic"`` sends HTTP Basic
    instead, ``auth = "token"`` a fixed bearer token). Any provider accepts ``auth = "token"``.
    """
    mode = config.auth
    if mode == "none":
        return lambda session: None
    if mode == "token":
        config.require("token")
        assert config.token is not None
        static = StaticToken(config.name, config.token)
        return lambda session: static
    margin = config.token_margin
    if config.name == "clms":
        key = service_key(config)
        return lambda session: ServiceKeyGrant(key, session, margin=margin, on_event=on_event)
    if config.name == "backbone":
        config.require("user_id", "client_secret")
        assert config.user_id is not None and config.client_secret is not None
        user_id, secret, url = config.user_id, config.client_secret, config.endpoint("token")
        return lambda session: SecretGrant(
            url, user_id, secret, session, margin=margin, on_event=on_event
        )
    config.require("username", "password")
    assert config.username is not None and config.password is not None
    username, password = config.username, config.password
    if mode == "basic":
        basic = BasicAuth(config.name, username, password)
        return lambda session: basic
    if mode not in (None, "oidc"):
        raise ConfigError(f"{config.name}: unknown auth mode {mode!r}")
    url, client_id = config.endpoint("token"), config.client_id or "public"
    return lambda session: PasswordGrant(
        url, username, password, session, client_id=client_id, margin=margin, on_event=on_event
    )


def open_provider(
    config: ProviderConfig, *, authenticated: bool = True, on_event: OnEvent | None = None
) -> ProviderSession:
    """A session for ``config``'s provider (enter it with ``async with``)."""
    factory = authorizer_for(config, on_event=on_event) if authenticated else None
    return ProviderSession(config, factory, on_event=on_event)


def authorizer(session: ProviderSession) -> Authorizer:
    """The session's authorizer (a :class:`ConfigError` if it has none)."""
    if session.authorizer is None:
        raise ConfigError(f"{session.provider}: no credentials configured")
    return session.authorizer
