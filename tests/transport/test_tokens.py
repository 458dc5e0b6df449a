"""Token refresh for every grant, against the provider sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr

from stacsync.errors import AuthError
from stacsync.events import TokenIssued
from stacsync.transport import ProviderConfig, open_provider
from stacsync.transport.grants import PasswordGrant
from tests.transport.conftest import configs_for

JSON = {"Accept": "application/json"}
PROTECTED = {
    "clms": ("api", "/@datarequest_search"),
    "backbone": ("api", "/products/nations"),
}


def protected_url(config: ProviderConfig, href: str | None = None) -> str:
    if config.name == "terrascope":
        assert href is not None
        return href
    endpoint, path = PROTECTED[config.name]
    return config.endpoint(endpoint) + path


def terrascope_asset(config: ProviderConfig) -> str:
    async def first() -> str:
        async with open_provider(config, authenticated=False) as session:
            url = f"{config.endpoint('stac_api')}/search?collections=terrascope-s2-ndvi-v2&limit=1"
            page = await session.json("GET", url, auth=False)
            return str(page["features"][0]["assets"]["NDVI"]["href"])

    return asyncio.run(first())


async def stream(config: ProviderConfig, url: str, n: int, *, pause: float = 0.0) -> list[Any]:
    events: list[Any] = []
    statuses = []
    async with open_provider(config, on_event=events.append) as session:
        for _ in range(n):
            async with session.request("GET", url, headers=JSON) as r:
                await r.read()
                statuses.append(r.status)
            if pause:
                await asyncio.sleep(pause)
    return [statuses, events]


@pytest.mark.parametrize("provider", ["clms", "backbone", "terrascope"])
def test_every_grant_end_to_end(stacsync_sandbox_factory, provider):
    sb = stacsync_sandbox_factory(providers=(provider,), raster_size=16)
    config = configs_for(sb)[provider]
    href = terrascope_asset(config) if provider == "terrascope" else None
    statuses, events = asyncio.run(stream(config, protected_url(config, href), 3))
    assert statuses == [200, 200, 200]
    issued = [e for e in events if isinstance(e, TokenIssued)]
    assert len(issued) == 1
    assert issued[0].provider == provider


@pytest.mark.parametrize("provider", ["clms", "backbone", "terrascope"])
def test_tokens_expiring_every_two_seconds(stacsync_sandbox_factory, provider):
    sb = stacsync_sandbox_factory(
        providers=(provider,), raster_size=16, settings={f"{provider}.token_lifetime": "2"}
    )
    config = configs_for(sb)[provider]
    href = terrascope_asset(config) if provider == "terrascope" else None
    # 26 requests over about 5.2 s: the token expires twice; proactive refresh (a fifth of
    # the lifetime early) replaces it before the server refuses it.
    statuses, events = asyncio.run(stream(config, protected_url(config, href), 26, pause=0.2))
    assert statuses == [200] * 26
    issued = [e for e in events if isinstance(e, TokenIssued)]
    assert 3 <= len(issued) <= 5
    refused = [e for e in sb.log.entries() if e.status == 401]
    assert refused == []


def test_concurrent_first_requests_fetch_one_token(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("backbone",))
    config = configs_for(sb)["backbone"]
    url = protected_url(config)

    async def burst() -> list[int]:
        async with open_provider(config) as session:

            async def one() -> int:
                async with session.request("GET", url, headers=JSON) as r:
                    return r.status

            return await asyncio.gather(*(one() for _ in range(12)))

    assert asyncio.run(burst()) == [200] * 12
    assert len(sb.log.entries(path_prefix="/v1/auth/get_bearer_token")) == 1


@pytest.mark.parametrize("provider", ["clms", "backbone"])
def test_revocation_mid_run_refreshes_once_and_resends(stacsync_sandbox_factory, provider):
    sb = stacsync_sandbox_factory(providers=(provider,))
    config = configs_for(sb)[provider]
    url = protected_url(config)

    async def run() -> tuple[list[int], int]:
        statuses = []
        async with open_provider(config) as session:
            for i in range(4):
                if i == 2:
                    _revoke(sb, provider)
                async with session.request("GET", url, headers=JSON) as r:
                    statuses.append(r.status)
            grant: Any = session.authorizer
            return statuses, grant.issued

    statuses, issued = asyncio.run(run())
    assert statuses == [200] * 4
    assert issued == 2
    assert len([e for e in sb.log.entries() if e.status == 401]) == 1


def test_dead_refresh_token_falls_back_to_password(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("terrascope",), raster_size=16)
    config = configs_for(sb)["terrascope"]
    href = terrascope_asset(config)

    async def run() -> tuple[list[int], PasswordGrant]:
        statuses = []
        async with open_provider(config) as session:
            for i in range(3):
                if i == 1:
                    sb.emulator("terrascope").revoke_tokens()  # type: ignore[attr-defined]
                async with session.request("GET", href) as r:
                    statuses.append(r.status)
            grant = session.authorizer
            assert isinstance(grant, PasswordGrant)
            return statuses, grant

    statuses, grant = asyncio.run(run())
    assert statuses == [200, 200, 200]
    assert (grant.password_grants, grant.refresh_failures) == (2, 1)


def test_expired_access_token_uses_the_refresh_grant(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(
        providers=("terrascope",), raster_size=16, settings={"terrascope.token_lifetime": "1"}
    )
    config = configs_for(sb)["terrascope"]
    href = terrascope_asset(config)

    async def run() -> PasswordGrant:
        async with open_provider(config) as session:
            for _ in range(3):
                async with session.request("GET", href) as r:
                    assert r.status == 200
                await asyncio.sleep(1.0)
            grant = session.authorizer
            assert isinstance(grant, PasswordGrant)
            return grant

    grant = asyncio.run(run())
    assert grant.password_grants == 1
    assert grant.refresh_grants >= 2


@pytest.mark.parametrize("provider", ["clms", "backbone", "terrascope"])
def test_wrong_credentials_fail_fast_with_auth_error(stacsync_sandbox_factory, provider, tmp_path):
    sb = stacsync_sandbox_factory(providers=(provider,), raster_size=16)
    config = configs_for(sb)[provider]
    wrong: dict[str, Any] = {
        "backbone": {"client_secret": SecretStr("not-the-secret")},
        "terrascope": {"password": SecretStr("not-the-password")},
    }.get(provider, {})
    if provider == "clms":
        key = tmp_path / "other-key.json"
        emulator: Any = sb.emulator("clms")
        issued = emulator.issue_service_key("someone-else")
        key.write_text(emulator.service_key_path(issued).read_text())
        emulator.revoke_service_key(issued)
        wrong = {"service_key_file": key}
    config = ProviderConfig(**{**config.model_dump(), **wrong})
    url = protected_url(config, href="http://127.0.0.1:9/never-reached")
    before = len(sb.log.entries())

    async def run() -> None:
        async with open_provider(config) as session, session.request("GET", url):
            pass

    with pytest.raises(AuthError) as caught:
        asyncio.run(run())
    assert caught.value.provider == provider
    assert "token request refused" in str(caught.value)
    assert len(sb.log.entries()) - before == 1  # one token request, no retry storm


def _revoke(sb: Any, provider: str) -> None:
    if provider == "clms":
        sb.emulator("clms").revoke_tokens()
    else:
        sb.emulator("backbone").service.authority.tokens.revoke_all()
