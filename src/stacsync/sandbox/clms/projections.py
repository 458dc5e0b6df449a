"""``@projections``, ``@format_conversion_table`` and ``@get-time-series-metadata`` payloads."""

from __future__ import annotations

from typing import Any

from stacsync.sandbox.clms.catalogue import Catalogue, Dataset
from stacsync.sandbox.clms.constants import FORMAT_CONVERSION_TABLE, GCS, OTHER_AVAILABLE_GCS


def available_gcs(dataset: Dataset) -> list[str]:
    """``get_available_gcs_values``: the common GCS plus the dataset's extra UTM/other codes."""
    codes = list(GCS)
    extra = dataset.projections
    if len(extra) > 1:
        codes.extend(c for c in extra if c in OTHER_AVAILABLE_GCS and c not in codes)
    return codes


def projections(catalogue: Catalogue, uid: str | None) -> list[str]:
    """``@projections[?uid=]``: the GCS list; ``[]`` for an unknown uid."""
    if uid is None:
        return list(GCS)
    dataset = catalogue.by_uid(uid)
    return available_gcs(dataset) if dataset is not None else []


def conversion_table() -> dict[str, dict[str, bool]]:
    """``@format_conversion_table``: the constant table, keys sorted as the JSON renderer does."""
    return {
        source: dict(sorted(targets.items()))
        for source, targets in sorted(FORMAT_CONVERSION_TABLE.items())
    }


def time_series_metadata(catalogue: Catalogue, uid: str | None) -> tuple[int, dict[str, Any]]:
    """``@get-time-series-metadata?dataset=``: (status, body)."""
    if not uid:
        return 400, {"status": "error", "msg": "dataset is required"}
    dataset = catalogue.by_uid(uid)
    if dataset is None:
        return 400, {"status": "error", "msg": "The requested dataset is not valid"}
    series = dataset.extras.get("time_series")
    if not series:
        return 200, {}
    return 200, {"end": series["end"], "period": series["period"], "start": series["start"]}
