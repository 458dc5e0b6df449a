"""Catalogue definitions ("catalogue as code"): the TOML files in ``catalogs/``.

A definition names the catalogue, where it is written, and its sources: one provider query
each (a CLMS extraction or pre-packaged order, a CLC+ Backbone order, a Terrascope search).
:func:`load_definition` reads a file, validates it against
``schemas/catalog-definition.schema.json`` and then checks what a schema cannot (bbox order,
datetime intervals, WKT polygons, unique source names). Every problem is a
:class:`~stacsync.errors.ConfigError` naming the file, the key (``sources[2].bbox``) and
what is wrong. :func:`source_from_flags` builds the same source objects from the ad-hoc
options of ``stacsync harvest <provider> ...``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, time
from datetime import datetime as Datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import jsonschema
import jsonschema.exceptions

from stacsync.errors import ConfigError

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees, EPSG:4326."""
SCHEMA_FILE = "catalog-definition.schema.json"
DEFAULT_CLMS_FORMAT = "Geotiff"
DEFAULT_CLMS_CRS = "EPSG:4326"
DEFAULT_BACKBONE_PRODUCT: Literal["Raster"] = "Raster"
MAX_REPORTED_PROBLEMS = 5
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPEN = ("", "..")


@dataclass(frozen=True)
class DatetimeInterval:
    """A closed or half-open UTC interval; ``start == end`` for an instant."""

    start: Datetime | None
    end: Datetime | None

    def to_stac(self) -> str:
        """The STAC API ``datetime`` parameter (``start/end``, ``..`` for an open end)."""
        if self.start is not None and self.start == self.end:
            return _rfc3339(self.start)
        return "/".join(".." if t is None else _rfc3339(t) for t in (self.start, self.end))

    def __str__(self) -> str:
        return self.to_stac()


@dataclass(frozen=True, kw_only=True)
class ClmsExtraction:
    """An extraction task: each dataset clipped to ``nuts`` or ``bbox`` and converted."""

    nuts: str | None = None
    bbox: BBox | None = None
    output_format: str = DEFAULT_CLMS_FORMAT
    output_crs: str = DEFAULT_CLMS_CRS
    layer: str | None = None
    """``Layer`` of the request; ``None`` for all bands."""
    datetime: DatetimeInterval | None = None
    """``TemporalFilter`` of a time-series dataset."""
    resolution: str | None = None
    """Chooses the download information by its ``collection`` field (``10m``)."""
    full_source: str | None = None
    """Chooses the download information by its ``full_source`` field (``EEA``)."""
    download_information_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClmsSource:
    """CLMS datasets ordered as extractions and/or pre-packaged files."""

    provider: ClassVar[str] = "clms"
    name: str
    datasets: tuple[str, ...]
    """UIDs or short names (``tree-cover-density-2018``)."""
    extract: ClmsExtraction | None = None
    prepackaged: bool | tuple[str, ...] = False
    """``True``: every file; a tuple: FileIDs or area names (``France``) to match."""


@dataclass(frozen=True, kw_only=True)
class BackboneSource:
    """A CLC+ Backbone order: an AOI clip, a national product or the Europe raster."""

    provider: ClassVar[str] = "backbone"
    name: str
    kind: Literal["aoi", "national", "europe"]
    product: Literal["Raster", "Vector"] = DEFAULT_BACKBONE_PRODUCT
    aoi: str | None = None
    """The WKT sent as ``aoi`` (kind ``aoi``), checked to be a lon/lat (multi)polygon."""
    nation: str | None = None
    """The English country name sent as ``nation`` (kind ``national``)."""


@dataclass(frozen=True, kw_only=True)
class TerrascopeSource:
    """A Terrascope STAC API item search."""

    provider: ClassVar[str] = "terrascope"
    name: str
    collections: tuple[str, ...]
    bbox: BBox | None = None
    datetime: DatetimeInterval | None = None
    ids: tuple[str, ...] = ()
    filter: Mapping[str, Any] | None = field(default=None, hash=False)
    """A CQL2-JSON expression (sent with ``filter-lang=cql2-json``)."""
    max_items: int | None = None


Source = ClmsSource | BackboneSource | TerrascopeSource
PROVIDERS = ("clms", "backbone", "terrascope")


@dataclass(frozen=True, kw_only=True)
class CatalogDefinition:
    """A catalogue: its root metadata, where it is written, and its sources in order."""

    id: str
    title: str
    description: str
    path: Path
    """Absolute folder of the catalogue (relative paths are resolved against the TOML file)."""
    sources: tuple[Source, ...]
    file: Path | None = None
    """The TOML file it was read from (``None`` for ad-hoc definitions)."""

    def source(self, name: str) -> Source:
        """The source called ``name``."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


# --- value helpers (shared with the CLI's ad-hoc flags) ------------------------------------


def parse_bbox(value: str | Sequence[Any], *, what: str = "bbox") -> BBox:
    """A bbox from ``"w,s,e,n"`` or 4 numbers; raises :class:`ConfigError` naming ``what``."""
    if isinstance(value, str):
        parts: Sequence[Any] = [p.strip() for p in value.split(",")]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ConfigError(f"{what}: expected 'west,south,east,north', got {value!r}") from None
    else:
        parts = list(value)
        if not all(isinstance(p, int | float) and not isinstance(p, bool) for p in parts):
            raise ConfigError(f"{what}: expected 4 numbers, got {value!r}")
        numbers = [float(p) for p in parts]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ConfigError(f"{what}: expected 4 numbers [west, south, east, north], got {value!r}")
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ConfigError(f"{what}: longitudes must be within [-180, 180], got {value!r}")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ConfigError(f"{what}: latitudes must be within [-90, 90], got {value!r}")
    if south > north:
        raise ConfigError(
            f"{what}: south ({south:g}) is north of north ({north:g}); "
            "the order is [west, south, east, north]"
        )
    if west > east:
        raise ConfigError(
            f"{what}: west ({west:g}) is east of east ({east:g}); the order is "
            "[west, south, east, north] and boxes across the antimeridian are not supported"
        )
    return (west, south, east, north)


def _rfc3339(value: Datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(text: str, *, end: bool, what: str) -> Datetime:
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{what}: {text!r} is not a valid date") from None
        return Datetime.combine(day, time(23, 59, 59) if end else time(0, 0), UTC)
    try:
        parsed = Datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{what}: {text!r} is not an RFC 3339 date-time (2024-05-01T00:00:00Z) or date"
        ) from None
    if "T" not in text.upper() or parsed.tzinfo is None:
        raise ConfigError(f"{what}: {text!r} needs a date, a time and a time zone (Z or +hh:mm)")
    return parsed.astimezone(UTC)


def parse_datetime_interval(text: str, *, what: str = "datetime") -> DatetimeInterval:
    """A STAC-style ``datetime``: an instant, a date (its whole day) or ``start/end``.

    Open ends are ``..`` or empty; a date as start means 00:00:00Z, as end 23:59:59Z.
    Raises :class:`ConfigError` naming ``what``.
    """
    parts = text.strip().split("/")
    if len(parts) == 1 and parts[0] not in _OPEN and not _DATE.match(parts[0]):
        moment = _instant(parts[0], end=False, what=what)
        return DatetimeInterval(moment, moment)
    if len(parts) == 1:
        parts *= 2  # a date: its whole day
    if len(parts) != 2:
        raise ConfigError(f"{what}: expected 'start/end', got {text!r}")
    start = None if parts[0] in _OPEN else _instant(parts[0], end=False, what=what)
    end = None if parts[1] in _OPEN else _instant(parts[1], end=True, what=what)
    if start is None and end is None:
        raise ConfigError(f"{what}: an interval needs at least one end, got {text!r}")
    if start is not None and end is not None and start > end:
        raise ConfigError(f"{what}: the start of {text!r} is after its end")
    return DatetimeInterval(start, end)


Ring = tuple[tuple[float, float], ...]


def parse_wkt_polygons(text: str, *, what: str = "aoi") -> tuple[tuple[Ring, ...], ...]:
    """The polygons of a ``POLYGON`` or ``MULTIPOLYGON`` WKT in lon/lat (rings of points).

    Checks: 2D coordinates, closed rings of at least 4 points, lon/lat ranges.
    """
    match = re.fullmatch(r"\s*(MULTIPOLYGON|POLYGON)\s*(\(.*\))\s*", text, re.IGNORECASE | re.S)
    if match is None:
        raise ConfigError(f"{what}: expected a WKT POLYGON or MULTIPOLYGON, got {text[:60]!r}")
    number = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
    body = re.sub(rf"({number})\s+({number})(?=\s*[,)])", r"[\1,\2]", match[2])
    try:
        nested = json.loads(body.replace("(", "[").replace(")", "]"))
    except json.JSONDecodeError:
        raise ConfigError(f"{what}: malformed WKT coordinates (expected 'lon lat' pairs)") from None
    polygons = nested if match[1].upper() == "MULTIPOLYGON" else [nested]
    try:
        return tuple(tuple(_ring(ring, what) for ring in polygon) for polygon in polygons)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: malformed WKT nesting for {match[1].upper()}") from None


def _ring(ring: list[Any], what: str) -> Ring:
    points = tuple((float(lon), float(lat)) for lon, lat in ring)
    if len(points) < 4 or points[0] != points[-1]:
        raise ConfigError(f"{what}: every ring must be closed and have at least 4 points")
    if not all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in points):
        raise ConfigError(f"{what}: coordinates must be lon/lat in degrees (EPSG:4326)")
    return points


def wkt_bounds(text: str) -> BBox:
    """(west, south, east, north) of a WKT polygon or multipolygon."""
    points = [p for polygon in parse_wkt_polygons(text) for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (min(lons), min(lats), max(lons), max(lats))


# --- schema validation ---------------------------------------------------------------------

_TOML_TYPES = {
    str: "a string", bool: "a boolean", int: "an integer", float: "a float", list: "an array",
    dict: "a table",
}  # fmt: skip
_SCHEMA_TYPES = {
    "string": "a string", "boolean": "a boolean", "integer": "an integer", "number": "a number",
    "array": "an array", "object": "a table",
}  # fmt: skip


@cache
def _validator() -> jsonschema.Draft202012Validator:
    here = Path(__file__).resolve().parent
    # stacsync/schemas/ in an installed wheel, <repo>/schemas/ in a source checkout
    for candidate in (here / "schemas" / SCHEMA_FILE, here.parents[1] / "schemas" / SCHEMA_FILE):
        if candidate.is_file():
            schema = json.loads(candidate.read_text(encoding="utf-8"))
            return jsonschema.Draft202012Validator(schema)
    raise ConfigError(f"the catalogue definition schema {SCHEMA_FILE} is missing from stacsync")


def definition_schema() -> dict[str, Any]:
    """The JSON Schema catalogue definitions are validated against."""
    schema: dict[str, Any] = json.loads(json.dumps(_validator().schema))
    return schema


def _type_of(value: object) -> str:
    for kind, name in _TOML_TYPES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def _key_path(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _problem(error: jsonschema.exceptions.ValidationError) -> tuple[list[Any], str]:
    """(key path, what is wrong) of one schema error, in the words of a TOML author."""
    path: list[Any] = list(error.absolute_path)
    value: Any = error.instance
    kind: Any = error.validator
    expected: Any = error.validator_value
    schema: Any = error.schema
    if kind == "required":
        missing = [key for key in expected if key not in value]
        return [*path, missing[0]], "missing required key"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(key for key in value if key not in allowed)
        return [*path, extra[0]], f"unknown key (allowed here: {', '.join(allowed)})"
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_SCHEMA_TYPES.get(n, n) for n in names)
        return path, f"expected {wanted}, got {_type_of(value)}"
    if kind in ("enum", "const"):
        options = expected if kind == "enum" else [expected]
        return path, f"{value!r} is not one of: {', '.join(repr(o) for o in options)}"
    if kind in ("minItems", "maxItems") and path and path[-1] == "bbox":
        return path, f"expected 4 numbers [west, south, east, north], got {len(value)}"
    if kind == "minItems":
        return path, f"needs at least {expected} entr{'y' if expected == 1 else 'ies'}"
    if kind == "uniqueItems":
        return path, "has duplicate entries"
    if kind == "minLength":
        return path, "must not be empty"
    if kind in ("pattern", "oneOf"):
        return path, f"{value!r} is not valid: {schema.get('description', error.message)}"
    if kind == "minimum":
        return path, f"must be at least {expected}, got {value!r}"
    return path, error.message


def _order(document: Any, path: Sequence[Any]) -> list[int]:
    """Document order of a key path (array index, or position of the key in its table)."""
    order, node = [], document
    for part in path:
        if isinstance(part, int):
            order.append(part)
            node = node[part] if isinstance(node, list) and part < len(node) else None
        elif isinstance(node, dict):
            keys = list(node)
            order.append(keys.index(part) if part in keys else len(keys))
            node = node.get(part)
        else:
            order.append(0)
    return order


def _schema_errors(document: Mapping[str, Any], where: Callable[[str], str]) -> None:
    problems = [_problem(e) for e in _validator().iter_errors(document)]
    if not problems:
        return
    problems.sort(key=lambda p: (_order(document, p[0]), p[1]))
    lines = list(dict.fromkeys(f"{where(_key_path(p))}: {text}" for p, text in problems))
    shown = lines[:MAX_REPORTED_PROBLEMS]
    if len(lines) > len(shown):
        shown.append(f"... and {len(lines) - len(shown)} more problems")
    raise ConfigError("\n".join(shown))


# --- building the records ------------------------------------------------------------------

At = Callable[[str], str]
"""Turns a key relative to a source (``extract.bbox``) into the prefix of an error message."""


def _plain(value: Any) -> Any:
    """TOML dates and times as the strings JSON Schema and the parsers expect."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Datetime | date | time):
        return value.isoformat()
    return value


def _clms(raw: Mapping[str, Any], at: At) -> ClmsSource:
    extract = None
    if "extract" in raw:
        table = raw["extract"]
        if ("nuts" in table) == ("bbox" in table):
            raise ConfigError(f"{at('extract')}: give exactly one of nuts or bbox")
        interval = None
        if "datetime" in table:
            interval = parse_datetime_interval(table["datetime"], what=at("extract.datetime"))
            if interval.start is None or interval.end is None:
                raise ConfigError(f"{at('extract.datetime')}: a date range needs both ends")
        extract = ClmsExtraction(
            nuts=table["nuts"].upper() if "nuts" in table else None,
            bbox=parse_bbox(table["bbox"], what=at("extract.bbox")) if "bbox" in table else None,
            output_format=table.get("format", DEFAULT_CLMS_FORMAT),
            output_crs=table.get("crs", DEFAULT_CLMS_CRS),
            layer=table.get("layer"),
            datetime=interval,
            resolution=table.get("resolution"),
            full_source=table.get("full_source"),
            download_information_id=table.get("download_information_id"),
        )
    prepackaged = raw.get("prepackaged", False)
    if isinstance(prepackaged, list):
        prepackaged = tuple(prepackaged)
    if extract is None and not prepackaged:
        raise ConfigError(
            f"{at('extract')}: a clms source needs an extract table, prepackaged files, or both"
        )
    return ClmsSource(
        name=raw["name"], datasets=tuple(raw["datasets"]), extract=extract, prepackaged=prepackaged
    )


def _backbone(raw: Mapping[str, Any], at: At) -> BackboneSource:
    kind, product = raw["kind"], raw.get("product", DEFAULT_BACKBONE_PRODUCT)
    needed = {"aoi": "aoi", "national": "nation", "europe": None}[kind]
    for key in ("aoi", "nation"):
        if key == needed and key not in raw:
            raise ConfigError(f"{at(key)}: required when kind is {kind!r}")
        if key != needed and key in raw:
            raise ConfigError(f"{at(key)}: not used when kind is {kind!r}")
    if kind == "europe" and product != "Raster":
        raise ConfigError(f"{at('product')}: the Europe product exists only as 'Raster'")
    if "aoi" in raw:
        parse_wkt_polygons(raw["aoi"], what=at("aoi"))
    return BackboneSource(
        name=raw["name"], kind=kind, product=product, aoi=raw.get("aoi"), nation=raw.get("nation")
    )


def _terrascope(raw: Mapping[str, Any], at: At) -> TerrascopeSource:
    return TerrascopeSource(
        name=raw["name"],
        collections=tuple(raw["collections"]),
        bbox=parse_bbox(raw["bbox"], what=at("bbox")) if "bbox" in raw else None,
        datetime=(
            parse_datetime_interval(raw["datetime"], what=at("datetime"))
            if "datetime" in raw
            else None
        ),
        ids=tuple(raw.get("ids", ())),
        filter=json.loads(json.dumps(raw["filter"])) if "filter" in raw else None,
        max_items=raw.get("max_items"),
    )


_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], At], Source]] = {
    "clms": _clms,
    "backbone": _backbone,
    "terrascope": _terrascope,
}


def _under(prefix: str) -> At:
    return lambda key: f"{prefix}.{key}"


def load_definition(path: Path) -> CatalogDefinition:
    """Read, validate and check a catalogue definition TOML file.

    Raises:
        ConfigError: The file cannot be read, is not TOML, breaks the schema or a cross-field
            rule; the message names the file, the key path and the problem.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the catalogue definition: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    try:
        document = _plain(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    _schema_errors(document, lambda key: f"{path}: {key}" if key else str(path))
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(document["sources"]):
        prefix = f"{path}: sources[{index}]"
        if raw["name"] in seen:
            raise ConfigError(
                f"{prefix}.name: duplicate source name {raw['name']!r} "
                f"(also sources[{seen[raw['name']]}])"
            )
        seen[raw["name"]] = index
        sources.append(_BUILDERS[raw["provider"]](raw, _under(prefix)))
    title = document.get("title", document["id"])
    return CatalogDefinition(
        id=document["id"],
        title=title,
        description=document.get("description", title),
        path=(path.parent / Path(document["path"]).expanduser()).resolve(),
        sources=tuple(sources),
        file=path,
    )


# --- ad-hoc sources from command-line options ----------------------------------------------

_CLMS_EXTRACT_KEYS = frozenset(
    {"nuts", "bbox", "format", "crs", "layer", "datetime", "resolution", "full_source",
     "download_information_id"}
)  # fmt: skip
_ALIASES = {"collection": "collections", "dataset": "datasets", "id": "ids"}
_LISTS = frozenset({"collections", "datasets", "ids"})


def _flag(key: str) -> str:
    if key == "extract":
        return "--nuts/--bbox/--prepackaged"
    return "--" + key.rsplit(".", 1)[-1].replace("_", "-")


def _options(provider: str) -> frozenset[str]:
    """The option names ``source_from_flags`` takes for ``provider`` (TOML keys + aliases)."""
    definitions = definition_schema()["$defs"]
    keys = set(definitions[f"{provider}Source"]["properties"]) - {"provider", "extract"}
    if provider == "clms":
        keys |= _CLMS_EXTRACT_KEYS
    return frozenset(keys | {alias for alias, key in _ALIASES.items() if key in keys})


def _as_list(value: str | Iterable[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def source_from_flags(provider: str, *, name: str | None = None, **options: Any) -> Source:
    """A source from the ad-hoc options of ``stacsync harvest <provider>``.

    Options use the TOML keys (``collections``, ``bbox``, ``datetime``, ``nuts``,
    ``prepackaged``, ``kind``, ``aoi``...; ``collection``/``dataset``/``id`` are accepted for
    their plurals); ``None`` means "not given". Strings are accepted where the CLI has them:
    ``bbox="w,s,e,n"``, comma-separated lists, ``filter`` as CQL2-JSON text.

    Raises:
        ConfigError: naming the flag (``--bbox: ...``).
    """
    if provider not in _BUILDERS:
        raise ConfigError(f"unknown provider {provider!r} (one of {', '.join(PROVIDERS)})")
    unknown = sorted(
        key for key, value in options.items() if value is not None and key not in _options(provider)
    )
    if unknown:
        raise ConfigError(f"{_flag(unknown[0])}: not an option of the {provider} provider")
    raw: dict[str, Any] = {"name": name or provider, "provider": provider}
    extract: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        key = _ALIASES.get(key, key)
        if key in _LISTS:
            value = _as_list(value)
        elif key == "bbox" and isinstance(value, str):
            value = list(parse_bbox(value, what="--bbox"))
        elif key == "filter" and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"--filter: not CQL2-JSON text ({exc.msg})") from exc
        elif key == "prepackaged" and isinstance(value, str):
            value = _as_list(value)
        elif isinstance(value, tuple):
            value = list(value)
        if provider == "clms" and key in _CLMS_EXTRACT_KEYS:
            extract[key] = value
        else:
            raw[key] = value
    if extract:
        raw["extract"] = extract
    document = {"id": "adhoc", "path": ".", "sources": [_plain(raw)]}
    _schema_errors(document, lambda key: _flag(key) if key.startswith("sources[0].") else key)
    return _BUILDERS[provider](document["sources"][0], _flag)


def definition_from_source(
    source: Source, path: Path, *, id: str | None = None
) -> CatalogDefinition:
    """An ad-hoc one-source definition writing to ``path`` (``--catalog DIR``)."""
    folder = Path(path).expanduser().resolve()
    catalog_id = id or re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-.") or "catalog"
    return CatalogDefinition(
        id=catalog_id,
        title=catalog_id,
        description=f"Harvested by stacsync from {source.provider} ({source.name}).",
        path=folder,
        sources=(source,),
    )
