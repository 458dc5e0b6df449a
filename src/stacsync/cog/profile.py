"""COG creation profiles and the choices made from the data (resampling, predictor).

Categorical rasters (a colour table, a raster attribute table or a legend) get nearest (or
mode) overviews and no predictor; continuous rasters get averaged overviews and the
horizontal (integers) or floating-point predictor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from stacsync.errors import ConfigError

Compression = Literal["deflate", "zstd", "lzw"]
Predictor = Literal["auto", "none", "horizontal", "float"]

RESAMPLINGS = frozenset(
    {"nearest", "mode", "average", "bilinear", "cubic", "cubicspline", "lanczos", "gauss", "rms"}
)
CATEGORICAL_RESAMPLINGS = frozenset({"nearest", "mode"})
_PREDICTOR_OPTION = {"none": "NO", "horizontal": "STANDARD", "float": "FLOATING_POINT"}
_MAX_LEVEL = {"deflate": 12, "zstd": 22, "lzw": 0}


@dataclass(frozen=True, slots=True)
class CogProfile:
    """How rasters are turned into COGs.

    Attributes:
        compression: ``deflate`` (default), ``zstd`` or ``lzw``; all lossless.
        level: Compression level, or ``None`` for GDAL's default (not used by LZW).
        predictor: ``auto`` (none for categorical data, ``horizontal`` for continuous
            integers, ``float`` for floating point), or one of those explicitly.
        blocksize: Tile size in pixels (also the size below which no overview is built).
        overview_resampling: ``auto`` (from the data) or a GDAL resampling name.
        categorical_resampling: What ``auto`` picks for categorical data (nearest or mode).
        exact_stats: Compute statistics and histograms from every pixel instead of from the
            overview closest to ``stats_pixels``.
        stats_pixels: Target pixel count for approximate statistics.
        threads: Threads per conversion (``None``: all CPUs).
        cache_mb: GDAL block cache per process, in MiB.
        accept_compressions: Inputs already valid COGs with one of these codecs are kept.
    """

    compression: Compression = "deflate"
    level: int | None = None
    predictor: Predictor = "auto"
    blocksize: int = 512
    overview_resampling: str = "auto"
    categorical_resampling: str = "nearest"
    exact_stats: bool = False
    stats_pixels: int = 1024 * 1024
    threads: int | None = None
    cache_mb: int = 256
    accept_compressions: frozenset[str] = field(
        default=frozenset({"deflate", "zstd", "lzw", "lerc", "lerc_deflate", "lerc_zstd"})
    )

    def __post_init__(self) -> None:
        if self.compression not in _MAX_LEVEL:
            raise ConfigError(f"COG compression {self.compression!r}: use deflate, zstd or lzw")
        if self.level is not None and not 1 <= self.level <= _MAX_LEVEL[self.compression]:
            raise ConfigError(f"COG level {self.level} is not valid for {self.compression}")
        if self.predictor not in ("auto", *_PREDICTOR_OPTION):
            raise ConfigError(
                f"COG predictor {self.predictor!r}: use auto, none, horizontal, float"
            )
        if self.blocksize < 64 or self.blocksize % 16:
            raise ConfigError(f"COG blocksize {self.blocksize}: a multiple of 16, at least 64")
        if self.overview_resampling != "auto" and self.overview_resampling not in RESAMPLINGS:
            raise ConfigError(f"overview resampling {self.overview_resampling!r} is unknown")
        if self.categorical_resampling not in CATEGORICAL_RESAMPLINGS:
            raise ConfigError("categorical resampling must be nearest or mode")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"COG threads {self.threads}: at least 1")
        if self.cache_mb < 16 or self.stats_pixels < 4096:
            raise ConfigError("COG cache_mb must be >= 16 and stats_pixels >= 4096")

    def resampling(self, *, categorical: bool) -> str:
        """The overview resampling for data that is (or is not) categorical."""
        if self.overview_resampling != "auto":
            return self.overview_resampling
        return self.categorical_resampling if categorical else "average"

    def predictor_option(self, *, categorical: bool, dtype: str) -> str:
        """The COG driver's ``PREDICTOR`` value for this data."""
        if self.predictor != "auto":
            return _PREDICTOR_OPTION[self.predictor]
        if categorical or self.compression not in ("deflate", "zstd", "lzw"):
            return "NO"
        return "FLOATING_POINT" if dtype.startswith("float") else "STANDARD"

    def creation_options(self, *, categorical: bool, dtype: str, threads: int) -> dict[str, str]:
        """Creation options for GDAL's COG driver."""
        options = {
            "COMPRESS": self.compression.upper(),
            "BLOCKSIZE": str(self.blocksize),
            "OVERVIEWS": "IGNORE_EXISTING",
            "OVERVIEW_RESAMPLING": self.resampling(categorical=categorical).upper(),
            "PREDICTOR": self.predictor_option(categorical=categorical, dtype=dtype),
            "NUM_THREADS": str(threads),
            "BIGTIFF": "IF_SAFER",
            "SPARSE_OK": "FALSE",
        }
        if self.level is not None and self.compression != "lzw":
            options["LEVEL"] = str(self.level)
        return options


def is_categorical(
    *, dtype: str, has_colormap: bool, has_attribute_table: bool, has_legend: bool
) -> bool:
    """Whether a raster holds classes rather than measurements.

    A colour table, a raster attribute table or a legend makes integer data categorical;
    floating-point data is never categorical.
    """
    if dtype.startswith(("float", "complex")):
        return False
    return has_colormap or has_attribute_table or has_legend
