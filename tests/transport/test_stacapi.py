"""pystac-client through the provider limiter, against the sandbox's Terrascope STAC API."""

from __future__ import annotations

import asyncio

import pytest

from stacsync.errors import AuthError, RequestRejectedError
from stacsync.transport import ProviderConfig, RateWindow, open_provider
from stacsync.transport.stacapi import open_stac_api
from tests.transport.conftest import configs_for


async def search(config: ProviderConfig, **query) -> tuple[list[str], int]:
    loop = asyncio.get_running_loop()
    async with open_provider(config, authenticated=False) as session:

        def run() -> list[str]:
            client = open_stac_api(config.endpoint("stac_api"), session, loop)
            return [item.id for item in client.search(**query).items()]

        ids = await asyncio.to_thread(run)
        stac_host = session.limiters.for_url(config.endpoint("stac_api"))
        return ids, stac_host.admitted


def test_every_page_goes_through_the_limiter(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("terrascope",), raster_size=16)
    config = configs_for(sb)["terrascope"]
    config = ProviderConfig(
        **{**config.model_dump(), "rate_limits": (RateWindow(5, 0.5), RateWindow(50, 60))}
    )
    ids, admitted = asyncio.run(
        search(config, collections=["terrascope-s2-ndvi-v2"], limit=2, max_items=10)
    )
    assert len(ids) == 10 and len(set(ids)) == 10
    api_requests = [e for e in sb.log.entries() if e.server == "terrascope.stac"]
    assert admitted == len(api_requests) >= 6  # landing page, conformance? and 5 pages
    assert sb.log.max_in_window(0.5, server="terrascope.stac") <= 5


def test_api_errors_are_typed(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("terrascope",), raster_size=16)
    config = configs_for(sb)["terrascope"]
    with pytest.raises(RequestRejectedError) as caught:
        asyncio.run(
            search(
                config,
                collections=["terrascope-s2-ndvi-v2"],
                filter="cloud < 5",
                filter_lang="cql2-text",
            )
        )
    assert caught.value.provider == "terrascope"
    assert caught.value.status == 400
    # terra-stac-api answers 401 for collections the caller may not see.
    with pytest.raises(AuthError):
        asyncio.run(search(config, collections=["no-such-collection"], max_items=1))
