"""Configuration and credentials: sources in order, secrets typed, bad values named."""

from __future__ import annotations

import json
import os

import pytest

from stacsync.errors import ConfigError, StacsyncWarning
from stacsync.transport import RateWindow, load_provider_configs
from stacsync.transport.credentials import ServiceKey, service_key


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_defaults_are_the_real_services():
    configs = load_provider_configs(environ={}, use_netrc=False)
    assert configs["terrascope"].endpoint("download") == "https://services.terrascope.be/download/"
    assert configs["terrascope"].rate_limits == (RateWindow(80, 10.0), RateWindow(200, 60.0))
    assert configs["clms"].endpoint("api") == "https://land.copernicus.eu/api"


def test_environment_beats_config_file_beats_netrc(tmp_path):
    netrc = write(
        tmp_path / "netrc",
        "machine sso.terrascope.be login from-netrc password netrc-pass\n"
        "machine api.clcplusbackbone.geoville.com login bb-user password bb-secret\n",
    )
    config = write(
        tmp_path / "config.toml",
        '[terrascope]\nusername = "from-file"\nrate_limits = ["8/1s"]\n'
        '[terrascope.endpoints]\ndownload = "http://127.0.0.1:1/download/"\n',
    )
    configs = load_provider_configs(
        environ={"STACSYNC_TERRASCOPE_USERNAME": "from-env", "STACSYNC_CLMS_API_URL": "http://x"},
        config_file=config,
        netrc_file=netrc,
    )
    terrascope = configs["terrascope"]
    assert terrascope.username == "from-env"
    assert terrascope.password is not None
    assert terrascope.password.get_secret_value() == "netrc-pass"
    assert terrascope.rate_limits == (RateWindow(8, 1.0),)
    assert terrascope.endpoint("download") == "http://127.0.0.1:1/download/"
    assert configs["clms"].endpoint("api") == "http://x"
    assert configs["backbone"].user_id == "bb-user"


def test_secrets_never_print(tmp_path):
    configs = load_provider_configs(
        environ={"STACSYNC_TERRASCOPE_PASSWORD": "hunter2-secret"}, use_netrc=False
    )
    shown = f"{configs['terrascope']!r} {configs['terrascope']}"
    assert "hunter2-secret" not in shown


def test_readable_config_file_with_secrets_warns(tmp_path):
    config = write(tmp_path / "config.toml", '[backbone]\nclient_secret = "s3cr3t"\n', 0o644)
    with pytest.warns(StacsyncWarning, match="chmod 600"):
        load_provider_configs(environ={}, config_file=config, use_netrc=False)
    os.chmod(config, 0o600)
    load_provider_configs(environ={}, config_file=config, use_netrc=False)  # no warning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nope]\n", "unknown table"),
        ("[terrascope]\nconcurrency = 0\n", "'concurrency'"),
        ("[terrascope]\nrate_limits = ['fast']\n", "rate window 'fast'"),
        ("[terrascope]\nsurprise = 1\n", "'surprise'"),
        ("[terrascope\n", "config.toml"),
    ],
)
def test_bad_config_files_name_the_key(tmp_path, text, message):
    config = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_provider_configs(environ={}, config_file=config, use_netrc=False)


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_provider_configs(environ={}, config_file=tmp_path / "nope.toml", use_netrc=False)


def test_missing_credentials_name_the_variables():
    configs = load_provider_configs(environ={}, use_netrc=False)
    with pytest.raises(ConfigError, match="STACSYNC_TERRASCOPE_PASSWORD"):
        configs["terrascope"].require("username", "password")


def test_service_key_errors_never_show_the_key(tmp_path):
    good = {"client_id": "c", "user_id": "u", "token_uri": "http://t", "private_key": "PRIVATE"}
    key = ServiceKey.from_json(json.dumps(good), origin="key.json")
    assert "PRIVATE" not in repr(key)
    broken = tmp_path / "key.json"
    broken.write_text(json.dumps({**good, "user_id": ""}))
    configs = load_provider_configs(
        environ={"STACSYNC_CLMS_SERVICE_KEY_FILE": str(broken)}, use_netrc=False
    )
    with pytest.raises(ConfigError, match="lacks user_id") as caught:
        service_key(configs["clms"])
    assert "PRIVATE" not in str(caught.value)
    broken.write_text("{not json PRIVATE")
    with pytest.raises(ConfigError, match="not valid JSON") as caught:
        service_key(configs["clms"])
    assert "PRIVATE" not in str(caught.value)
