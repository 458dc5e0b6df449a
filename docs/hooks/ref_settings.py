"""The settings and provider configuration parts of the configuration reference.

Rows come from :class:`stacsync.config.Settings` and
:class:`stacsync.transport.credentials.ProviderConfig`, with the providers' default endpoints
and rate limits.
"""

from __future__ import annotations

import json
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from ref_markdown import code, table

from stacsync.config import DEFAULT_CACHE_DIR, DEFAULT_CONFIG_FILE, Settings
from stacsync.transport.credentials import (
    DEFAULT_ENDPOINTS,
    DEFAULT_RATE_LIMITS,
    PROVIDERS,
    SECRET_FIELDS,
    ProviderConfig,
)

SETTINGS_PREFIX = "STACSYNC_"

PROVIDER_FIELD_HELP: dict[str, str] = {
    "name": "The provider (`clms`, `backbone` or `terrascope`); set by stacsync, not configurable.",
    "endpoints": "The provider's URLs by endpoint name; the defaults are the real services "
    "(see the table per provider below).",
    "rate_limits": "Request windows every host of the provider is held to, all at once, as "
    "`<requests>/<period>` (`80/10s`, `200/1min`; units `ms`, `s`, `min`, `h`); "
    "comma-separated in the environment.",
    "host_rate_limits": "Windows for one host (`host:port` or bare host name) instead of "
    "`rate_limits`, as a `[<provider>.host_rate_limits]` table of lists.",
    "rate_margin": "Fraction by which each window is widened (`0.01` turns 10 s into 10.1 s).",
    "rate_slack": "Seconds added to each window on top of `rate_margin`, for network jitter.",
    "concurrency": "Connections per host at once (the connection pool's per-host limit).",
    "token_margin": "Seconds before expiry at which a token is replaced (at most a fifth of "
    "its lifetime early).",
    "max_attempts": "Attempts in all for 5xx answers, timeouts and dropped connections.",
    "backoff_base": "First backoff between attempts, in seconds; doubles with each attempt "
    "(with jitter).",
    "backoff_cap": "Longest backoff between attempts, in seconds.",
    "timeout": "Seconds to wait for data on an open connection (socket read timeout).",
    "connect_timeout": "Seconds to wait for a connection.",
    "auth": "How to authenticate: unset for the provider's own scheme (CLMS service key, "
    "Backbone user id and client secret, Terrascope OIDC password grant); `oidc`; `basic` "
    "(Terrascope: HTTP Basic with username and password); `token` (a fixed bearer `token`, "
    "any provider); `none`.",
    "service_key_file": "CLMS: path of the service key JSON file the portal shows once.",
    "service_key": "CLMS: the service key JSON itself (instead of `service_key_file`).",
    "user_id": "Backbone: the user id of the API credentials.",
    "client_secret": "Backbone: the client secret of the API credentials.",
    "username": "Terrascope: account username.",
    "password": "Terrascope: account password.",
    "client_id": "Terrascope: OIDC client id of the password grant (default `public`).",
    "token": 'A fixed bearer token, used with `auth = "token"`.',
    "s3_access_key_id": "Backbone: access key id for the S3 mirror of AOI results.",
    "s3_secret_access_key": "Backbone: secret access key for the S3 mirror.",
    "s3_region": "Backbone: region of the S3 mirror.",
    "s3_bucket": "Backbone: bucket of the S3 mirror.",
}
"""Descriptions of :class:`ProviderConfig` fields that carry no ``description`` themselves."""

MACHINE_DEFAULTS: dict[Any, str] = {
    DEFAULT_CACHE_DIR: "the user cache folder (`~/.cache/stacsync` on Linux)",
    DEFAULT_CONFIG_FILE: "`~/.config/stacsync/config.toml` (the user config folder)",
}
"""Defaults that depend on the machine, shown by what they are rather than by value."""


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)" * (
            type(None) in args
        )
    if origin is Literal:
        return " or ".join(code(json.dumps(a)) for a in args)
    if origin in (tuple, list) and args:
        return f"list of {_type_name(args[0])}"
    if origin is dict and len(args) == 2:
        return f"table of {_type_name(args[1])}"
    name = getattr(annotation, "__name__", str(annotation))
    return {
        "str": "text",
        "float": "number",
        "int": "integer",
        "bool": "boolean",
        "Path": "path",
        "SecretStr": "secret text",
        "RateWindow": "rate window",
    }.get(name, name)


def _range(field: FieldInfo) -> str:
    bounds = []
    for constraint in field.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(constraint, attr, None)
            if value is not None:
                bounds.append(f"{symbol} {value}")
    return ", ".join(bounds)


def _default_text(value: Any) -> str:
    if value is PydanticUndefined:
        return "-"
    try:
        if value in MACHINE_DEFAULTS:
            return MACHINE_DEFAULTS[value]
    except TypeError:
        pass
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return code(str(value).lower())
    if isinstance(value, dict | list | tuple) and not value:
        return "empty"
    return code(str(value))


def settings_rows() -> list[tuple[str, str, str, str, str]]:
    """(environment variable, type, default, allowed range, description) per setting."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        rows.append(
            (
                code(f"{SETTINGS_PREFIX}{name.upper()}"),
                _type_name(field.annotation),
                _default_text(default),
                _range(field),
                field.description or "",
            )
        )
    return rows


def provider_env(field: str, provider: str = "<PROVIDER>") -> str:
    """How a provider field is set in the environment."""
    if field == "name":
        return "-"
    if field == "endpoints":
        return f"STACSYNC_{provider.upper()}_<ENDPOINT>_URL"
    if field == "host_rate_limits":
        return "config file only"
    return f"STACSYNC_{provider.upper()}_{field.upper()}"


def provider_rows() -> list[tuple[str, str, str, str, str, str]]:
    """(field, environment variable, type, default, range, description) per provider field."""
    rows = []
    for name, field in ProviderConfig.model_fields.items():
        default = "per provider" if name in ("endpoints", "rate_limits") else None
        if default is None:
            default = _default_text(field.get_default(call_default_factory=True))
        description = field.description or PROVIDER_FIELD_HELP.get(name, "")
        only = description.split(":", 1)[0].lower()
        env = provider_env(name, only if only in PROVIDERS else "<PROVIDER>")
        if name in SECRET_FIELDS:
            description += " Secret: never printed or logged."
        rows.append(
            (
                code(name),
                code(env) if env.startswith("STACSYNC") else env,
                _type_name(field.annotation),
                default,
                _range(field),
                description,
            )
        )
    return rows


def provider_defaults(provider: str) -> list[str]:
    """The default endpoints and rate limits of one provider, as Markdown."""
    lines = [f"### `{provider}`", ""]
    lines += table(
        ("endpoint", "environment variable", "default URL"),
        [
            (code(key), code(f"STACSYNC_{provider.upper()}_{key.upper()}_URL"), url)
            for key, url in DEFAULT_ENDPOINTS[provider].items()
        ],
    )
    windows = ", ".join(code(w) for w in DEFAULT_RATE_LIMITS[provider])
    lines += [
        f"Default rate limits (`STACSYNC_{provider.upper()}_RATE_LIMITS`): {windows}, per host.",
        "",
    ]
    return lines
