import json
import urllib.request

from stacsync.sandbox import Sandbox


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_session_sandbox_serves_every_provider(stacsync_sandbox: Sandbox) -> None:
    assert set(stacsync_sandbox.endpoints()) == {"clms", "backbone", "terrascope"}
    status, landing = _get(stacsync_sandbox.endpoints()["terrascope"]["stac_api"])
    assert status == 200
    assert landing["type"] == "Catalog"


def test_factory_applies_settings_and_tears_down(stacsync_sandbox_factory) -> None:
    sandbox = stacsync_sandbox_factory(
        providers=("terrascope",),
        time_scale=5.0,
        settings={"terrascope.token_lifetime": "42"},
    )
    assert set(sandbox.endpoints()) == {"terrascope"}
    assert sandbox.options.time_scale == 5.0
    assert sandbox.options.terrascope.token_lifetime == 42.0
    _get(sandbox.endpoints()["terrascope"]["stac_api"] + "/collections")
    assert len(sandbox.log.entries(server="terrascope.stac")) == 1
