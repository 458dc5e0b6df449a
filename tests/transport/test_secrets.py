"""No token, password, private key or Basic header reaches logs, errors or events."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from pydantic import SecretStr

from stacsync.errors import StacsyncError
from stacsync.transport import ProviderConfig, open_provider
from stacsync.transport.redact import redact_url
from tests.transport.conftest import configs_for
from tests.transport.test_tokens import protected_url, terrascope_asset


def secrets_of(sb: Any) -> list[str]:
    described = sb.describe()
    values = [
        described["backbone"]["credentials"]["client_secret"],
        described["backbone"]["credentials"]["s3_secret_access_key"],
        described["terrascope"]["credentials"]["password"],
    ]
    with open(described["clms"]["credentials"]["service_key_file"]) as f:
        private = json.load(f)["private_key"]
    values += [line for line in private.splitlines() if len(line) > 20]
    return values


def test_secrets_stay_out_of_logs_errors_and_events(stacsync_sandbox_factory, caplog):
    caplog.set_level(logging.DEBUG)
    sb = stacsync_sandbox_factory(raster_size=16, settings={"terrascope.token_lifetime": "1"})
    configs = configs_for(sb)
    href = terrascope_asset(configs["terrascope"])
    basic = ProviderConfig(**{**configs["terrascope"].model_dump(), "auth": "basic"})
    wrong = ProviderConfig(
        **{**configs["backbone"].model_dump(), "client_secret": SecretStr("wrong-" * 4)}
    )
    seen: list[str] = []
    headers: list[str] = []

    async def exercise(config: ProviderConfig, url: str) -> None:
        async with open_provider(config, on_event=lambda e: seen.append(repr(e))) as session:
            for _ in range(2):
                try:
                    async with session.request("GET", url, headers={"Accept": "*/*"}) as r:
                        await r.read()
                except StacsyncError as exc:
                    seen.append(str(exc))
                    seen.append(repr(exc))
                if session.authorizer is not None:
                    credential = await session.authorizer.credential()
                    headers.append(credential.header.get_secret_value().split(" ", 1)[1])
                    seen.append(repr(credential))
                await asyncio.sleep(0.6)

    async def run() -> None:
        for name in ("clms", "backbone"):
            await exercise(configs[name], protected_url(configs[name]))
        await exercise(configs["terrascope"], href)
        await exercise(basic, href)
        try:
            await exercise(wrong, protected_url(wrong))
        except StacsyncError as exc:
            seen.append(str(exc))

    asyncio.run(run())
    text = "\n".join([*seen, caplog.text, *(repr(r.args) for r in caplog.records)])
    assert "127.0.0.1" in caplog.text  # requests really were logged
    secrets = secrets_of(sb) + headers + ["wrong-" * 4]
    assert len(headers) >= 6
    leaked = [s for s in secrets if s in text]
    assert leaked == []


@pytest.mark.parametrize(
    "url", ["http://u:p4ss@h/x?token=abc&x=1", "https://h/x?X-Amz-Signature=zz"]
)
def test_urls_in_errors_are_redacted(url):
    shown = redact_url(url)
    assert "p4ss" not in shown and "abc" not in shown and "zz" not in shown
