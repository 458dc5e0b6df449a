"""Delivery archives to analysis-ready COGs and truthful STAC Items.

``convert_delivery`` unpacks a provider's zip safely, converts its rasters to validated COGs
(GDAL's COG driver, checked with rio-cogeo), keeps vector data and useful sidecars, and
describes every output; ``rewrite_item`` turns that into the new Item. Both are synchronous
and CPU-bound: run them off the event loop (``asyncio.to_thread``) or in a bounded executor.
"""

from stacsync.cog.archive import ArchiveLimits, unpack
from stacsync.cog.convert import CogJob, CogResult, convert_many, is_acceptable_cog, to_cog
from stacsync.cog.delivery import Delivery, FileAsset, RasterAsset, convert_delivery
from stacsync.cog.describe import COG_MEDIA_TYPE, file_fields, multihash_sha256
from stacsync.cog.legend import LegendClass, classification_classes, from_stac_classes
from stacsync.cog.profile import CogProfile
from stacsync.cog.rewrite import rewrite_item
from stacsync.cog.thumbnail import write_thumbnail

__all__ = [
    "COG_MEDIA_TYPE",
    "ArchiveLimits",
    "CogJob",
    "CogProfile",
    "CogResult",
    "Delivery",
    "FileAsset",
    "LegendClass",
    "RasterAsset",
    "classification_classes",
    "convert_delivery",
    "convert_many",
    "file_fields",
    "from_stac_classes",
    "is_acceptable_cog",
    "multihash_sha256",
    "rewrite_item",
    "to_cog",
    "unpack",
    "write_thumbnail",
]
