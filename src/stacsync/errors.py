"""Every exception and warning stacsync raises.

::

    StacsyncError
    ├── ConfigError                  bad settings, options or catalogue definitions (exit 2)
    ├── CatalogError                 a static catalogue that cannot be read or written
    │   ├── InvalidIdError           an item or collection id that would escape its folder
    │   ├── CatalogLockedError       another writer holds the catalogue
    │   └── CorruptCatalogError      a catalogue file that is not the JSON it should be
    └── SchemaUnavailableError       a STAC JSON schema that cannot be obtained

    StacsyncWarning(UserWarning)

Library code raises these (chained with ``from``); only the CLI turns them into messages and
exit codes. Messages name the thing at fault (a path, an id, a URL) and never carry secrets.
"""

from __future__ import annotations

from pathlib import Path


class StacsyncError(Exception):
    """Base class of every stacsync error."""


class ConfigError(StacsyncError):
    """Settings, options or a catalogue definition are invalid."""


class CatalogError(StacsyncError):
    """A static catalogue cannot be read or written."""


class InvalidIdError(CatalogError, ValueError):
    """An item or collection id that cannot be used as a folder and file name."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(f"invalid {kind} id {shown!r}: {reason}")


class CatalogLockedError(CatalogError):
    """Another process is writing to the same catalogue."""

    def __init__(self, root: Path, waited: float) -> None:
        self.root = root
        self.waited = waited
        super().__init__(
            f"catalogue {root} is locked by another stacsync process "
            f"(waited {waited:g} s); try again when it has finished"
        )


class CorruptCatalogError(CatalogError):
    """A catalogue file exists but is not a readable STAC object."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class SchemaUnavailableError(StacsyncError):
    """A JSON schema could not be read from the schema store or fetched."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"schema {url} is unavailable: {reason}")


class StacsyncWarning(UserWarning):
    """Base class of every stacsync warning."""
