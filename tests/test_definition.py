from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from stacsync.definition import (
    BackboneSource,
    ClmsSource,
    DatetimeInterval,
    TerrascopeSource,
    definition_from_source,
    definition_schema,
    load_definition,
    parse_bbox,
    parse_datetime_interval,
    parse_wkt_polygons,
    source_from_flags,
    wkt_bounds,
)
from stacsync.errors import ConfigError
from stacsync.sandbox.terrascope.collections import COLLECTION_IDS

REPO = Path(__file__).resolve().parents[1]
CATALOGS = REPO / "catalogs"
AOI = (6.488023408101995, 46.31431816468718, 6.798387177633245, 46.416664011458344)
HRL_2018 = {
    "0acef4675a4c4a548896cca00281f434",  # Water and Wetness
    "4354f5ba912d4071b3b5f9300104765b",  # Imperviousness Density
    "38eabc726bcc4c14a00752220df5f101",  # Forest Type
    "bf4f7689ca1b4f3fa4a5d376e104fb49",  # Grassland
    "b2227bbb31e140bdabd2fcf86a5dc3d2",  # Tree Cover Density
    "b857f275e17a41a5a202348fde73c0b2",  # Dominant Leaf Type
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write(tmp_path: Path, text: str, name: str = "catalog.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = 'id = "t"\npath = "out"\n'
TERRASCOPE = '[[sources]]\nname = "s"\nprovider = "terrascope"\ncollections = ["c"]\n'


def fails(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


# --- the shipped definitions ---------------------------------------------------------------


def sandbox_datasets() -> dict[str, Any]:
    text = resources.files("stacsync.sandbox.clms").joinpath("datasets.json").read_text("utf-8")
    return {d["UID"]: d for d in json.loads(text)["datasets"]}


def test_living_earth_loads() -> None:
    definition = load_definition(CATALOGS / "living-earth.toml")
    assert definition.id == "living-earth"
    assert definition.path == CATALOGS / "living-earth"
    assert definition.file == CATALOGS / "living-earth.toml"
    assert [s.name for s in definition.sources] == [
        "hrl-2018-frk28",
        "hrl-2018-france-files",
        "clc-backbone-2018-aoi",
        "worldcover",
        "s2-ndvi-2024",
    ]
    nuts = definition.source("hrl-2018-frk28")
    assert isinstance(nuts, ClmsSource) and nuts.extract is not None
    assert set(nuts.datasets) == HRL_2018
    assert (nuts.extract.nuts, nuts.extract.resolution, nuts.prepackaged) == ("FRK28", "10m", False)
    files = definition.source("hrl-2018-france-files")
    assert isinstance(files, ClmsSource)
    assert set(files.datasets) == HRL_2018 and files.prepackaged == ("France",)
    assert files.extract is None
    backbone = definition.source("clc-backbone-2018-aoi")
    assert isinstance(backbone, BackboneSource) and backbone.aoi is not None
    assert (backbone.kind, backbone.product) == ("aoi", "Raster")
    assert wkt_bounds(backbone.aoi) == AOI
    ndvi = definition.source("s2-ndvi-2024")
    assert isinstance(ndvi, TerrascopeSource)
    assert ndvi.collections == ("terrascope-s2-ndvi-v2",)
    assert ndvi.bbox == AOI
    assert ndvi.datetime == DatetimeInterval(utc(2024, 5, 1), utc(2024, 10, 31, 23, 59, 59))
    worldcover = definition.source("worldcover")
    assert isinstance(worldcover, TerrascopeSource) and worldcover.datetime is None


def test_living_earth_matches_the_provider_catalogues() -> None:
    """Every id the file names exists in the (real-mirroring) sandbox catalogues."""
    definition = load_definition(CATALOGS / "living-earth.toml")
    datasets = sandbox_datasets()
    for uid in HRL_2018:
        infos = datasets[uid]["dataset_download_information"]["items"]
        assert [i["collection"] for i in infos].count("10m") == 1
        areas = [f["area"] for f in datasets[uid]["downloadable_files"]["items"]]
        assert "France" in areas
    for source in definition.sources:
        if isinstance(source, TerrascopeSource):
            assert set(source.collections) <= set(COLLECTION_IDS)


def test_demo_loads() -> None:
    definition = load_definition(CATALOGS / "demo.toml")
    assert definition.id == "demo"
    assert definition.path == REPO / "build" / "demo-catalog"
    kinds = [(s.provider, type(s).__name__) for s in definition.sources]
    assert [p for p, _ in kinds] == ["clms", "clms", "backbone", "terrascope"]
    extraction, files, backbone, search = definition.sources
    assert isinstance(extraction, ClmsSource) and extraction.extract is not None
    assert extraction.extract.bbox == (6.49, 46.31, 6.80, 46.42)
    assert isinstance(files, ClmsSource) and files.prepackaged == ("Switzerland",)
    datasets = sandbox_datasets()
    for source in (extraction, files):
        assert all(uid in datasets for uid in source.datasets)
    assert isinstance(backbone, BackboneSource) and backbone.kind == "aoi"
    assert isinstance(search, TerrascopeSource)
    assert search.filter == {"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 50]}
    assert search.max_items == 10
    assert search.datetime is not None
    assert search.datetime.to_stac() == "2024-06-01T00:00:00Z/2024-08-31T23:59:59Z"


def test_schema_is_valid_and_documented() -> None:
    schema = definition_schema()
    jsonschema.Draft202012Validator.check_schema(schema)

    def walk(node: Any, where: str) -> None:
        if where == "if":  # provider dispatch conditions, not properties
            return
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and where != "filter":
                assert node.get("additionalProperties") is False or where.endswith("source"), where
            for key, value in node.get("properties", {}).items():
                assert "description" in value or "$ref" in value, f"{where}.{key}"
            for key, value in node.items():
                walk(value, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(schema, "")
    assert schema["additionalProperties"] is False


# --- bad files -----------------------------------------------------------------------------


def test_unknown_keys(tmp_path: Path) -> None:
    message = fails(tmp_path, HEAD + 'colour = "red"\n' + TERRASCOPE)
    assert "colour: unknown key" in message
    message = fails(tmp_path, HEAD + TERRASCOPE + "cloud_cover = 10\n")
    assert "sources[0].cloud_cover: unknown key (allowed here: bbox, collections," in message
    clms = '[[sources]]\nname = "c"\nprovider = "clms"\ndatasets = ["x"]\n'
    message = fails(tmp_path, HEAD + clms + '[sources.extract]\nnuts = "FRK28"\narea = "x"\n')
    assert "sources[0].extract.area: unknown key" in message


def test_wrong_types(tmp_path: Path) -> None:
    message = fails(tmp_path, HEAD + TERRASCOPE + 'max_items = "ten"\n')
    assert "sources[0].max_items: expected an integer, got a string" in message
    message = fails(tmp_path, HEAD + '[sources]\nname = "s"\n')
    assert "sources: expected an array, got a table" in message
    message = fails(tmp_path, 'id = "t"\npath = 3\n' + TERRASCOPE)
    assert "path: expected a string, got an integer" in message
    message = fails(tmp_path, HEAD + 'sources = ["terrascope"]\n')
    assert message.endswith("sources[0]: expected a table, got a string")  # reported once


@pytest.mark.parametrize(
    ("bbox", "problem"),
    [
        ("[6.4, 46.3, 6.8]", "expected 4 numbers [west, south, east, north], got 3"),
        ('[6.4, 46.3, 6.8, "46.5"]', "sources[0].bbox[3]: expected a number, got a string"),
        ("[6.4, 46.5, 6.8, 46.3]", "south (46.5) is north of north (46.3)"),
        ("[6.8, 46.3, 6.4, 46.5]", "west (6.8) is east of east (6.4)"),
        ("[46.3, 6.4, 246.5, 6.8]", "longitudes must be within [-180, 180]"),
    ],
)
def test_bad_bbox(tmp_path: Path, bbox: str, problem: str) -> None:
    message = fails(tmp_path, HEAD + TERRASCOPE + f"bbox = {bbox}\n")
    assert "sources[0].bbox" in message and problem in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"2024-13-01/2024-10-31"', "'2024-13-01' is not a valid date"),
        ('"2024-10-31/2024-05-01"', "the start of '2024-10-31/2024-05-01' is after its end"),
        ('"2024-05-01T00:00:00/.."', "needs a date, a time and a time zone"),
        ('"last summer"', "is not an RFC 3339 date-time"),
        ('"../.."', "an interval needs at least one end"),
        ('"2024-05-01/2024-06-01/2024-07-01"', "expected 'start/end'"),
        ("2024-05-01T00:00:00", "needs a date, a time and a time zone"),  # TOML local datetime
        ("42", "expected a string, got an integer"),
    ],
)
def test_bad_datetime(tmp_path: Path, value: str, problem: str) -> None:
    message = fails(tmp_path, HEAD + TERRASCOPE + f"datetime = {value}\n")
    assert "sources[0].datetime: " in message and problem in message


def test_toml_dates_are_accepted(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, HEAD + TERRASCOPE + "datetime = 2024-05-01\n"))
    source = definition.sources[0]
    assert isinstance(source, TerrascopeSource)
    assert source.datetime == DatetimeInterval(utc(2024, 5, 1), utc(2024, 5, 1, 23, 59, 59))


def test_duplicate_names(tmp_path: Path) -> None:
    message = fails(tmp_path, HEAD + TERRASCOPE + TERRASCOPE)
    assert "sources[1].name: duplicate source name 's' (also sources[0])" in message


def test_unknown_provider(tmp_path: Path) -> None:
    text = HEAD + '[[sources]]\nname = "s"\nprovider = "sentinel-hub"\n'
    message = fails(tmp_path, text)
    assert (
        "sources[0].provider: 'sentinel-hub' is not one of: 'clms', 'backbone', 'terrascope'"
        in (message)
    )


def test_missing_required_keys(tmp_path: Path) -> None:
    message = fails(tmp_path, 'id = "t"\n' + TERRASCOPE)
    assert f"{tmp_path / 'catalog.toml'}: path: missing required key" in message
    message = fails(
        tmp_path, HEAD + '[[sources]]\nname = "c"\nprovider = "clms"\nprepackaged = true\n'
    )
    assert "sources[0].datasets: missing required key" in message
    message = fails(tmp_path, HEAD + '[[sources]]\nprovider = "terrascope"\ncollections = ["c"]\n')
    assert "sources[0].name: missing required key" in message


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    message = fails(tmp_path, 'id = "t"\npath = "out"\n[[sources]\nname = "s"\n')
    assert "not valid TOML" in message and "line 3" in message


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=f"{missing}: cannot read"):
        load_definition(missing)


def test_problems_are_listed_in_document_order(tmp_path: Path) -> None:
    text = HEAD + TERRASCOPE + "max_items = 0\nbbox = [1, 2]\n" + TERRASCOPE.replace('"s"', '"t"')
    text += "colour = 1\n"
    message = fails(tmp_path, text)
    lines = message.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "sources[0].max_items",
        "sources[0].bbox",
        "sources[1].colour",
    ]


CLMS = (
    '[[sources]]\nname = "c"\nprovider = "clms"\ndatasets = ["b2227bbb31e140bdabd2fcf86a5dc3d2"]\n'
)


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        ("", "sources[0].extract: a clms source needs an extract table, prepackaged files"),
        ("prepackaged = false\n", "a clms source needs an extract table"),
        ('[sources.extract]\nresolution = "10m"\n', "extract: give exactly one of nuts or bbox"),
        (
            '[sources.extract]\nnuts = "FRK28"\nbbox = [6, 46, 7, 47]\n',
            "give exactly one of nuts or bbox",
        ),
        ('[sources.extract]\nnuts = "FR-K28"\n', "sources[0].extract.nuts: 'FR-K28' is not valid"),
        (
            '[sources.extract]\nnuts = "FRK28"\ndatetime = "2024-05-01/.."\n',
            "extract.datetime: a date range needs both ends",
        ),
        ('[sources.extract]\nnuts = "FRK28"\nformat = "tiff"\n', "'tiff' is not one of: 'Shape"),
        ('[sources.extract]\nnuts = "FRK28"\ncrs = "4326"\n', "extract.crs: '4326' is not valid"),
        ('prepackaged = "France"\n', "sources[0].prepackaged: 'France' is not valid: Pre-pack"),
    ],
)
def test_clms_rules(tmp_path: Path, tail: str, problem: str) -> None:
    assert problem in fails(tmp_path, HEAD + CLMS + tail)


BACKBONE = '[[sources]]\nname = "b"\nprovider = "backbone"\n'
SQUARE = "POLYGON ((6 46, 7 46, 7 47, 6 47, 6 46))"


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        ('kind = "aoi"\n', "sources[0].aoi: required when kind is 'aoi'"),
        ('kind = "national"\n', "sources[0].nation: required when kind is 'national'"),
        (f'kind = "national"\nnation = "France"\naoi = "{SQUARE}"\n', "aoi: not used when kind"),
        ('kind = "europe"\nproduct = "Vector"\n', "product: the Europe product exists only as"),
        ('kind = "country"\n', "sources[0].kind: 'country' is not one of: 'aoi', 'national'"),
        ('kind = "aoi"\naoi = "POINT (6 46)"\n', "aoi: expected a WKT POLYGON or MULTIPOLYGON"),
        ('kind = "aoi"\naoi = "POLYGON ((6 46, 7 46, 6 46))"\n', "closed and have at least"),
        ('kind = "aoi"\naoi = "POLYGON ((6 46, 7 46, 7 47, 6 47))"\n', "closed and have at least"),
        ('kind = "aoi"\naoi = "POLYGON ((46 6, 47 6, 47 97, 46 6))"\n', "must be lon/lat in deg"),
        ('kind = "aoi"\naoi = "POLYGON ((6 46 1, 7 46 1, 7 47 1, 6 46 1))"\n', "malformed WKT"),
        ('kind = "aoi"\naoi = "MULTIPOLYGON ((6 46, 7 46, 7 47, 6 46))"\n', "malformed WKT"),
    ],
)
def test_backbone_rules(tmp_path: Path, tail: str, problem: str) -> None:
    assert problem in fails(tmp_path, HEAD + BACKBONE + tail)


def test_backbone_kinds(tmp_path: Path) -> None:
    text = HEAD + BACKBONE + 'kind = "europe"\n'
    text += BACKBONE.replace('"b"', '"n"') + 'kind = "national"\nnation = "France"\n'
    europe, national = load_definition(write(tmp_path, text)).sources
    assert europe == BackboneSource(name="b", kind="europe")
    assert national == BackboneSource(name="n", kind="national", nation="France")


# --- paths ---------------------------------------------------------------------------------


def test_path_is_relative_to_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    path = write(folder, 'id = "t"\npath = "../out/cat"\n' + TERRASCOPE)
    monkeypatch.chdir(tmp_path / "defs")
    assert load_definition(Path("catalog.toml")).path == tmp_path / "out" / "cat"
    monkeypatch.chdir(tmp_path)
    assert load_definition(path).path == tmp_path / "out" / "cat"
    absolute = tmp_path / "elsewhere"
    path = write(folder, f'id = "t"\npath = "{absolute.as_posix()}"\n' + TERRASCOPE)
    definition = load_definition(path)
    assert definition.path == absolute
    assert (definition.title, definition.description) == ("t", "t")


# --- helpers and ad-hoc sources ------------------------------------------------------------


def test_parse_bbox() -> None:
    assert parse_bbox("6.4, 46.3,6.8,46.5") == (6.4, 46.3, 6.8, 46.5)
    assert parse_bbox([6, 46, 7, 47]) == (6.0, 46.0, 7.0, 47.0)
    assert parse_bbox([6, 46, 6, 46]) == (6.0, 46.0, 6.0, 46.0)
    for bad in ("6.4,46.3,6.8", "a,b,c,d", [1, 2, 3, float("nan")], [True, 2, 3, 4]):
        with pytest.raises(ConfigError, match=r"^--bbox: "):
            parse_bbox(bad, what="--bbox")  # type: ignore[arg-type]


def test_parse_datetime_interval() -> None:
    assert parse_datetime_interval("2024-05-01T10:00:00+02:00").to_stac() == "2024-05-01T08:00:00Z"
    assert parse_datetime_interval("../2024-05-01").to_stac() == ("../2024-05-01T23:59:59Z")
    assert parse_datetime_interval("2024-05-01T00:00:00.5Z/").to_stac() == (
        "2024-05-01T00:00:00.500000Z/.."
    )
    assert str(parse_datetime_interval("2024-02-29")) == "2024-02-29T00:00:00Z/2024-02-29T23:59:59Z"
    with pytest.raises(ConfigError, match=r"^--datetime: '2023-02-29' is not a valid date"):
        parse_datetime_interval("2023-02-29", what="--datetime")


def test_wkt() -> None:
    multi = (
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), "
        "((2 2, 3 2, 3 3, 2 2), (2.1 2.1, 2.2 2.1, 2.2 2.2, 2.1 2.1)))"
    )
    polygons = parse_wkt_polygons(multi)
    assert [len(p) for p in polygons] == [1, 2]
    assert wkt_bounds(multi) == (0.0, 0.0, 3.0, 3.0)
    assert wkt_bounds("polygon((-1.5e0 -2,1 -2,1 2,-1.5 -2))") == (-1.5, -2.0, 1.0, 2.0)


def test_terrascope_from_flags() -> None:
    source = source_from_flags(
        "terrascope",
        collection="terrascope-s2-ndvi-v2,terrascope-s2-toc-v2",
        bbox="6.488,46.314,6.798,46.417",
        datetime="2024-05-01/2024-10-31",
        ids=None,
        filter='{"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 20]}',
        max_items=5,
    )
    assert source == TerrascopeSource(
        name="terrascope",
        collections=("terrascope-s2-ndvi-v2", "terrascope-s2-toc-v2"),
        bbox=(6.488, 46.314, 6.798, 46.417),
        datetime=DatetimeInterval(utc(2024, 5, 1), utc(2024, 10, 31, 23, 59, 59)),
        filter={"op": "<=", "args": [{"property": "properties.eo:cloud_cover"}, 20]},
        max_items=5,
    )


def test_clms_and_backbone_from_flags() -> None:
    clms = source_from_flags(
        "clms",
        name="tcd",
        dataset="b2227bbb31e140bdabd2fcf86a5dc3d2",
        nuts="frk28",
        crs="EPSG:3035",
    )
    assert isinstance(clms, ClmsSource) and clms.extract is not None
    assert (clms.name, clms.extract.nuts, clms.extract.output_crs) == ("tcd", "FRK28", "EPSG:3035")
    assert clms.extract.output_format == "Geotiff"
    files = source_from_flags(
        "clms", datasets=["b2227bbb31e140bdabd2fcf86a5dc3d2"], prepackaged=True
    )
    assert isinstance(files, ClmsSource) and files.prepackaged is True and files.extract is None
    backbone = source_from_flags("backbone", kind="aoi", aoi=SQUARE)
    assert backbone == BackboneSource(name="backbone", kind="aoi", aoi=SQUARE)


@pytest.mark.parametrize(
    ("provider", "options", "problem"),
    [
        ("terrascope", {"collections": "c", "bbox": "1,2,3"}, "--bbox: expected 4 numbers"),
        ("terrascope", {"collections": "c", "datetime": "soon"}, "--datetime: 'soon' is not"),
        ("terrascope", {"collections": "c", "filter": "{op"}, "--filter: not CQL2-JSON"),
        ("terrascope", {"collections": "c", "max_items": 0}, "--max-items: must be at least 1"),
        ("terrascope", {"collections": "c", "nuts": "FRK28"}, "--nuts: not an option of the"),
        ("terrascope", {}, "--collections: missing required key"),
        ("clms", {"datasets": "x"}, "--nuts/--bbox/--prepackaged: a clms source needs"),
        ("clms", {"datasets": "x", "nuts": "FRK28", "bbox": "6,46,7,47"}, "exactly one of"),
        ("backbone", {"kind": "aoi"}, "--aoi: required when kind is 'aoi'"),
        ("backbone", {"kind": "national", "nation": "France", "name": "Bad Name"}, "--name: 'Bad"),
        ("sentinel-hub", {}, "unknown provider 'sentinel-hub'"),
    ],
)
def test_bad_flags(provider: str, options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        source_from_flags(provider, **options)
    assert problem in str(caught.value)


def test_definition_from_source(tmp_path: Path) -> None:
    source = source_from_flags("terrascope", collections="c")
    definition = definition_from_source(source, tmp_path / "My Catalog")
    assert definition.id == "My-Catalog"
    assert definition.path == tmp_path / "My Catalog"
    assert definition.sources == (source,)
    assert definition.source("terrascope") is source
    with pytest.raises(KeyError):
        definition.source("other")
