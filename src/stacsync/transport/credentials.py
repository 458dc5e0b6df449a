"""Provider configuration and credentials, from the environment, a config file and ``~/.netrc``.

For every field the first source that sets it wins, in this order:

1. the environment: ``STACSYNC_<PROVIDER>_<FIELD>`` (``STACSYNC_TERRASCOPE_PASSWORD``,
   ``STACSYNC_BACKBONE_CLIENT_SECRET``, ``STACSYNC_CLMS_SERVICE_KEY_FILE``; endpoints as
   ``STACSYNC_<PROVIDER>_<ENDPOINT>_URL``; rate limits as ``STACSYNC_<PROVIDER>_RATE_LIMITS``,
   comma-separated);
2. the config file (``--config``, else ``~/.config/stacsync/config.toml``), one table per
   provider with the same field names in lower case, endpoints under ``[<provider>.endpoints]``;
3. ``~/.netrc``: the entry for the host of the provider's token endpoint gives the login and
   password (Terrascope: username and password; Backbone: user id and client secret);
4. the defaults below (the real services' endpoints and conservative rate limits).

Secret values are :class:`pydantic.SecretStr` and print as ``**********``. A config file that
holds secrets and that group or others can read gets a :class:`~stacsync.errors.StacsyncWarning`.
"""

from __future__ import annotations

import json
import netrc
import stat
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from stacsync.errors import ConfigError, StacsyncWarning
from stacsync.transport.ratelimit import DEFAULT_MARGIN, DEFAULT_SLACK, RateWindow

Provider = Literal["clms", "backbone", "terrascope"]
PROVIDERS: tuple[Provider, ...] = ("clms", "backbone", "terrascope")

DEFAULT_ENDPOINTS: dict[str, dict[str, str]] = {
    "clms": {
        "api": "https://land.copernicus.eu/api",
        "token": "https://land.copernicus.eu/@@oauth2-token",
    },
    "backbone": {
        "api": "https://api.clcplusbackbone.geoville.com/v1",
        "token": "https://api.clcplusbackbone.geoville.com/v1/auth/get_bearer_token",
        "order_status": "https://api.clcplusbackbone.geoville.com/v1/services/order_status",
        "s3": "https://cf2.cloudferro.com:8080",
    },
    "terrascope": {
        "token": "https://sso.terrascope.be/auth/realms/terrascope/protocol/openid-connect/token",
        "stac_api": "https://stac.terrascope.be",
        "download": "https://services.terrascope.be/download/",
    },
}
DEFAULT_RATE_LIMITS: dict[str, tuple[str, ...]] = {
    # CLMS and Backbone publish no limits: stay well below what a browser session does.
    "clms": ("10/1s", "300/60s"),
    "backbone": ("5/1s", "120/60s"),
    # Published per IP for the download service (terrascope.md).
    "terrascope": ("80/10s", "200/60s"),
}
SECRET_FIELDS = ("service_key", "client_secret", "password", "s3_secret_access_key", "token")


class ProviderConfig(BaseModel):
    """Everything stacsync needs to talk to one provider. Frozen; built once at the edge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Provider
    endpoints: dict[str, str] = Field(default_factory=dict)
    rate_limits: tuple[RateWindow, ...] = ()
    host_rate_limits: dict[str, tuple[RateWindow, ...]] = Field(default_factory=dict)
    rate_margin: float = Field(default=DEFAULT_MARGIN, ge=0, le=1)
    rate_slack: float = Field(default=DEFAULT_SLACK, ge=0, le=60)
    concurrency: int = Field(default=8, ge=1, le=256)
    token_margin: float = Field(default=30.0, ge=0)
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_cap: float = Field(default=30.0, ge=0)
    timeout: float = Field(default=300.0, gt=0)
    connect_timeout: float = Field(default=30.0, gt=0)
    # Credentials.
    auth: Literal["oidc", "basic", "token", "none"] | None = None
    service_key_file: Path | None = None
    service_key: SecretStr | None = None
    user_id: str | None = None
    client_secret: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    client_id: str | None = None
    token: SecretStr | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str | None = None
    s3_bucket: str | None = None

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> Any:
        return _parse_windows(value)

    @field_validator("host_rate_limits", mode="before")
    @classmethod
    def _host_windows(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {host: _parse_windows(v) for host, v in value.items()}
        return value

    def endpoint(self, name: str) -> str:
        """The URL of endpoint ``name``; a :class:`ConfigError` naming the setting if unset."""
        try:
            return self.endpoints[name]
        except KeyError:
            env = f"STACSYNC_{self.name.upper()}_{name.upper()}_URL"
            raise ConfigError(f"{self.name}: no {name!r} endpoint configured (set {env})") from None

    def require(self, *fields: str) -> None:
        """Raise a :class:`ConfigError` naming every missing credential field."""
        missing = [f for f in fields if getattr(self, f) in (None, "")]
        if missing:
            names = ", ".join(f"STACSYNC_{self.name.upper()}_{f.upper()}" for f in missing)
            raise ConfigError(
                f"{self.name}: missing credentials {', '.join(missing)} "
                f"(set {names}, or add them to the [{self.name}] table of the config file)"
            )


def _parse_windows(value: Any) -> Any:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return tuple(RateWindow.parse(v) if isinstance(v, str) else v for v in value)
    return value


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """A CLMS service key (the JSON file the portal shows once)."""

    client_id: str
    user_id: str
    token_uri: str
    private_key: SecretStr
    key_id: str | None = None

    @classmethod
    def from_json(cls, text: str, *, origin: str) -> ServiceKey:
        """Read a service key; errors name ``origin`` and never show the key."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError(f"{origin}: the CLMS service key is not valid JSON") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{origin}: the CLMS service key is not a JSON object")
        fields = ("client_id", "user_id", "token_uri", "private_key")
        missing = [f for f in fields if not isinstance(data.get(f), str) or not data[f]]
        if missing:
            raise ConfigError(f"{origin}: the CLMS service key lacks {', '.join(missing)}")
        key_id = data.get("key_id")
        return cls(
            client_id=data["client_id"],
            user_id=data["user_id"],
            token_uri=data["token_uri"],
            private_key=SecretStr(data["private_key"]),
            key_id=key_id if isinstance(key_id, str) else None,
        )


def service_key(config: ProviderConfig) -> ServiceKey:
    """The CLMS service key named by ``config`` (inline JSON first, then the file)."""
    if config.service_key is not None:
        return ServiceKey.from_json(
            config.service_key.get_secret_value(), origin="STACSYNC_CLMS_SERVICE_KEY"
        )
    config.require("service_key_file")
    assert config.service_key_file is not None
    path = config.service_key_file.expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the CLMS service key {path}: {exc.strerror}") from None
    return ServiceKey.from_json(text, origin=str(path))


def read_config_file(path: Path, *, explicit: bool) -> dict[str, Any]:
    """The provider tables of a TOML config file (``{}`` if a default path does not exist)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file {path} does not exist") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    unknown = sorted(set(data) - set(PROVIDERS))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown table(s) {', '.join(unknown)}; "
            f"expected {', '.join(PROVIDERS)}"
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"config file {path}: [{name}] must be a table")
    if _holds_secrets(data) and _readable_by_others(path):
        warnings.warn(
            f"config file {path} holds secrets and is readable by group or others; "
            f"run: chmod 600 {path}",
            StacsyncWarning,
            stacklevel=2,
        )
    return data


def _holds_secrets(data: Mapping[str, Any]) -> bool:
    return any(
        isinstance(table, Mapping) and any(f in table for f in SECRET_FIELDS)
        for table in data.values()
    )


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def _from_environ(provider: str, environ: Mapping[str, str]) -> dict[str, Any]:
    prefix = f"STACSYNC_{provider.upper()}_"
    values: dict[str, Any] = {}
    endpoints: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        if name.endswith("_url"):
            endpoints[name[: -len("_url")]] = value
        else:
            values[name] = value
    if endpoints:
        values["endpoints"] = endpoints
    return values


def _from_netrc(provider: str, token_url: str | None, path: Path | None) -> dict[str, Any]:
    if provider == "clms" or not token_url:
        return {}
    host = urlsplit(token_url).hostname
    if not host:
        return {}
    try:
        entry = netrc.netrc(str(path) if path else None).authenticators(host)
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return {}
    if not entry:
        return {}
    login, _, password = entry
    if provider == "terrascope":
        return {"username": login, "password": password}
    return {"user_id": login, "client_secret": password}


def load_provider_configs(
    *,
    environ: Mapping[str, str],
    config_file: Path | None = None,
    default_config_file: Path | None = None,
    netrc_file: Path | None = None,
    use_netrc: bool = True,
) -> dict[str, ProviderConfig]:
    """Build every provider's configuration from the sources, in the documented order."""
    if config_file is not None:
        tables = read_config_file(config_file, explicit=True)
    elif default_config_file is not None:
        tables = read_config_file(default_config_file, explicit=False)
    else:
        tables = {}
    configs: dict[str, ProviderConfig] = {}
    for provider in PROVIDERS:
        from_env = _from_environ(provider, environ)
        from_file = dict(tables.get(provider, {}))
        endpoints = {
            **DEFAULT_ENDPOINTS[provider],
            **from_file.pop("endpoints", {}),
            **from_env.pop("endpoints", {}),
        }
        merged: dict[str, Any] = {"rate_limits": DEFAULT_RATE_LIMITS[provider]}
        if use_netrc:
            merged.update(_from_netrc(provider, endpoints.get("token"), netrc_file))
        merged.update(from_file)
        merged.update(from_env)
        try:
            configs[provider] = ProviderConfig(name=provider, endpoints=endpoints, **merged)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise ConfigError(f"{provider} setting {where!r}: {problem['msg']}") from None
        except ConfigError as exc:
            raise ConfigError(f"{provider}: {exc}") from None
    return configs


SANDBOX_FIELDS = {
    "clms": ("service_key_file",),
    "backbone": (
        "user_id",
        "client_secret",
        "s3_access_key_id",
        "s3_secret_access_key",
        "s3_bucket",
        "s3_region",
    ),
    "terrascope": ("username", "password", "client_id"),
}


def sandbox_configs(
    info: Mapping[str, Any],
    base: Mapping[str, ProviderConfig],
    *,
    time_scale: float = 1.0,
) -> dict[str, ProviderConfig]:
    """``base`` pointed at a running provider sandbox.

    Args:
        info: What ``stacsync sandbox up --json`` prints: ``{provider: {"endpoints": ...,
            "credentials": ...}}``.
        base: The configurations to start from (their limits, retries and timeouts stay).
        time_scale: The sandbox's clock speed; rate windows shrink by the same factor.
    """
    configs = dict(base)
    for provider, described in info.items():
        if provider not in configs:
            continue
        credentials = described.get("credentials", {})
        endpoints = dict(described.get("endpoints", {}))
        if provider == "clms" and "token_uri" in credentials:
            endpoints["token"] = credentials["token_uri"]
        if "token_url" in endpoints:  # the sandbox's Terrascope name for its token endpoint
            endpoints["token"] = endpoints.pop("token_url")
        config = configs[provider]
        windows = tuple(RateWindow(w.limit, w.period / time_scale) for w in config.rate_limits)
        fields = {f: credentials[f] for f in SANDBOX_FIELDS[provider] if f in credentials}
        configs[provider] = ProviderConfig(
            **{
                **config.model_dump(),
                "endpoints": endpoints,
                "rate_limits": windows,
                "auth": None,
                **fields,
            }
        )
    return configs
