"""Settings, read once at the edge (the CLI) from the environment and frozen.

Library code receives these objects; it never reads environment variables itself.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from stacsync.catalog.lock import DEFAULT_LOCK_TIMEOUT

DEFAULT_CACHE_DIR = Path(platformdirs.user_cache_dir("stacsync"))
DEFAULT_CONFIG_FILE = Path(platformdirs.user_config_dir("stacsync")) / "config.toml"


class Settings(BaseSettings):
    """Every setting, with its ``STACSYNC_*`` environment variable."""

    model_config = SettingsConfigDict(env_prefix="STACSYNC_", frozen=True, extra="ignore")

    schema_dir: Path | None = Field(
        default=None,
        description="Offline STAC schema store (a folder with schema-map.json); "
        "when unset, schemas are downloaded once into the cache.",
    )
    cache_dir: Path = Field(
        default=DEFAULT_CACHE_DIR, description="Where downloaded schemas are cached."
    )
    lock_timeout: float = Field(
        default=DEFAULT_LOCK_TIMEOUT,
        ge=0,
        description="Seconds to wait for another writer to release a catalogue.",
    )
    config: Path | None = Field(
        default=None,
        description="Provider config file (TOML); default ~/.config/stacsync/config.toml.",
    )
    sandbox_port: int = Field(
        default=47810,
        ge=1024,
        le=65000,
        description="First of the fixed ports `--sandbox` runs the provider emulators on.",
    )
    durable: bool = Field(
        default=False,
        description="fsync every catalogue file and folder (survives power loss; slower).",
    )
