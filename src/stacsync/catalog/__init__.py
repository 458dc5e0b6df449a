"""Static STAC catalogues on disk: layout, atomic incremental writes, locking."""

from stacsync.catalog.store import CatalogInfo, CatalogStore, UpsertReport

__all__ = ["CatalogInfo", "CatalogStore", "UpsertReport"]
