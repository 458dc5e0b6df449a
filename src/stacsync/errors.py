"""Every exception and warning stacsync raises.

::

    StacsyncError
    ├── ConfigError                  bad settings, options or catalogue definitions (exit 2)
    ├── CatalogError                 a static catalogue that cannot be read or written
    │   ├── InvalidIdError           an item or collection id that would escape its folder
    │   ├── CatalogLockedError       another writer holds the catalogue
    │   └── CorruptCatalogError      a catalogue file that is not the JSON it should be
    ├── SchemaUnavailableError       a STAC JSON schema that cannot be obtained
    ├── ProviderError                a provider refused or failed a request (provider, url, status)
    │   ├── AuthError                credentials refused, even after one refresh (exit 3)
    │   ├── RequestRejectedError     4xx other than 401/429: the provider's message, not retried
    │   ├── RateLimitedError         429 after every allowed attempt
    │   ├── UpstreamError            5xx, timeouts, dropped connections after every attempt
    │   ├── PayloadError             a response that is not what the provider documents
    │   └── OrderFailedError         an order or extraction task that ended without a result
    ├── TransferError                an asset that could not be fetched or stored (href, path)
    │   └── ChecksumMismatchError    bytes that do not match file:size / file:checksum
    ├── ArchiveError                 an unsafe or unreadable delivery archive (archive, entry)
    ├── ConversionError              a raster that could not be turned into a valid COG
    └── SyncError                    the aggregate of per-asset failures, raised at the end

    StacsyncWarning(UserWarning)
    └── ProviderWarning              odd but usable upstream data (provider, field)

Library code raises these (chained with ``from``); only the CLI turns them into messages and
exit codes. Messages name the thing at fault (a path, an id, a URL) and never carry secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class ProviderError(StacsyncError):
    """A provider refused or failed a request.

    Attributes:
        provider: ``clms``, ``backbone`` or ``terrascope``.
        url: The request URL without query string secrets, or ``None``.
        status: The HTTP status, or ``None`` when no response arrived.
        reason: The provider's own message, or what went wrong.
    """

    def __init__(
        self, provider: str, reason: str, *, url: str | None = None, status: int | None = None
    ) -> None:
        self.provider = provider
        self.url = url
        self.status = status
        self.reason = reason
        where = f" {url}" if url else ""
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{provider}:{where}{code}: {reason}")


class AuthError(ProviderError):
    """The provider refused the credentials, or a fresh token was refused again."""


class RequestRejectedError(ProviderError):
    """A client error (400, 403, 404, 422 ...) that retrying cannot fix."""


class RateLimitedError(ProviderError):
    """The provider kept answering 429 after every allowed attempt."""

    def __init__(
        self,
        provider: str,
        reason: str,
        *,
        url: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(provider, reason, url=url, status=status)


class UpstreamError(ProviderError):
    """Server errors, timeouts or dropped connections after every allowed attempt."""


class PayloadError(ProviderError):
    """A response body that is not what the provider documents (HTML with 200, bad JSON ...).

    Attributes:
        field: The offending field as a dotted path (``features[3].properties.Status``), or
            ``None`` when the whole body is unusable.
    """

    def __init__(
        self,
        provider: str,
        reason: str,
        *,
        url: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        self.field = field
        if field:
            reason = f"field {field!r}: {reason}"
        super().__init__(provider, reason, url=url, status=status)


class OrderFailedError(ProviderError):
    """An order or extraction task ended without a result (rejected, failed, expired).

    Attributes:
        order_id: The provider's id of the order or task.
    """

    def __init__(
        self, provider: str, order_id: str, reason: str, *, url: str | None = None
    ) -> None:
        self.order_id = order_id
        super().__init__(provider, f"order {order_id}: {reason}", url=url)


class TransferError(StacsyncError):
    """An asset that could not be fetched or stored.

    Attributes:
        href: Where the bytes come from (secrets removed).
        path: Where they were going.
    """

    def __init__(self, href: str, path: str, reason: str) -> None:
        self.href = href
        self.path = path
        self.reason = reason
        super().__init__(f"{href} -> {path}: {reason}")


class ChecksumMismatchError(TransferError):
    """Downloaded bytes that do not match the asset's ``file:size`` or ``file:checksum``."""


class ArchiveError(StacsyncError):
    """A delivery archive that is unsafe (zip-slip, links, bomb) or unreadable.

    Attributes:
        archive: The archive file.
        entry: The offending entry, or ``None`` for the archive as a whole.
    """

    def __init__(self, archive: Path, reason: str, *, entry: str | None = None) -> None:
        self.archive = archive
        self.entry = entry
        self.reason = reason
        inside = f" entry {entry!r}" if entry is not None else ""
        super().__init__(f"{archive}{inside}: {reason}")


class ConversionError(StacsyncError):
    """A raster that could not be converted into a valid Cloud-Optimized GeoTIFF."""

    def __init__(self, source: Path, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class SyncError(StacsyncError):
    """Some assets failed; raised once at the end of a run with every failure.

    Attributes:
        failures: ``(what, error)`` pairs, ``what`` naming the item and asset.
    """

    def __init__(self, failures: Sequence[tuple[str, StacsyncError]]) -> None:
        self.failures = list(failures)
        lines = [f"{len(self.failures)} failed:"]
        lines += [f"  {what}: {error}" for what, error in self.failures]
        super().__init__("\n".join(lines))


class StacsyncWarning(UserWarning):
    """Base class of every stacsync warning."""


class ProviderWarning(StacsyncWarning):
    """Upstream data that is odd but usable (a missing optional field, an unknown status)."""
