"""s3:// sources (the Backbone bucket on moto) and object-store destinations."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from stacsync.cli import app
from stacsync.cog import COG_MEDIA_TYPE, CogProfile, is_acceptable_cog
from stacsync.errors import ConfigError
from stacsync.sandbox.rasters import make_geotiff
from stacsync.sync import PullOptions, StateDB, Status, pull, status, store_options
from stacsync.sync.destinations import destination_for
from stacsync.sync.state import AssetState
from stacsync.validation import SchemaStore, StacValidator
from tests.cog.helpers import backbone_zip, continuous_spec, make_zip, write
from tests.sync.helpers import (
    TOC,
    configs,
    make_catalog,
    moto_requests,
    read_item,
    sandbox_items,
    sha256_multihash,
)


def s3_client(sb) -> Any:
    """boto3 on the sandbox's Backbone bucket host (moto), with its credentials."""
    info = sb.describe()["backbone"]
    creds = info["credentials"]
    return boto3.client(
        "s3",
        endpoint_url=info["endpoints"]["s3"],
        aws_access_key_id=creds["s3_access_key_id"],
        aws_secret_access_key=creds["s3_secret_access_key"],
        region_name=creds["s3_region"],
    )


@pytest.fixture
def backbone(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("backbone",))
    return sb, s3_client(sb)


def _item(keys: dict[str, str]) -> dict:
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": "aoi-1",
        "collection": "raster",
        "geometry": None,
        "properties": {"datetime": "2018-01-01T00:00:00Z"},
        "assets": {
            k: {"href": href, "type": "application/octet-stream", "roles": ["data"]}
            for k, href in keys.items()
        },
        "links": [],
    }


def test_s3_source_with_resume(tmp_path: Path, backbone) -> None:
    sb, client = backbone
    data = os.urandom(300_000)
    client.put_object(Bucket="dissemination", Key="Raster_1.zip", Body=data)
    client.put_object(Bucket="dissemination", Key="Raster_2.bin", Body=data[:1000])
    item = _item({"a": "s3://dissemination/Raster_1.zip", "b": "s3://dissemination/Raster_2.bin"})
    item["assets"]["a"]["file:checksum"] = sha256_multihash(data)
    root = make_catalog(tmp_path / "cat", [item])
    etag = client.head_object(Bucket="dissemination", Key="Raster_1.zip")["ETag"]
    (root / "raster" / "aoi-1").mkdir(parents=True, exist_ok=True)
    (root / "raster" / "aoi-1" / "Raster_1.zip.part").write_bytes(data[:100_000])
    with StateDB(root) as state:
        state.put(
            AssetState(
                collection="raster",
                item="aoi-1",
                asset="a",
                remote_href="s3://dissemination/Raster_1.zip",
                status=Status.PARTIAL,
                etag=etag,
                local="raster/aoi-1/Raster_1.zip",
            )
        )
    report = asyncio.run(pull(root, configs(sb), PullOptions(cog=False)))
    assert report.ok, report.failures
    assert report.resumed == 1
    assert report.bytes_transferred == 200_000 + 1000
    assert (root / "raster" / "aoi-1" / "Raster_1.zip").read_bytes() == data
    stored = read_item(root, "raster", "aoi-1")["assets"]
    assert stored["a"]["href"] == "./Raster_1.zip"
    assert stored["a"]["alternate"]["remote"]["href"] == "s3://dissemination/Raster_1.zip"
    assert stored["b"]["file:checksum"] == sha256_multihash(data[:1000])


def test_s3_destination(tmp_path: Path, backbone) -> None:
    sb, client = backbone
    info = sb.describe()["backbone"]
    data = os.urandom(6 << 20)  # over one multipart chunk
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    client.create_bucket(
        Bucket="copies",
        CreateBucketConfiguration={"LocationConstraint": info["credentials"]["s3_region"]},
    )
    item = _item({"a": source.as_uri(), "bad": source.as_uri()})
    item["assets"]["bad"]["file:size"] = 5
    root = make_catalog(tmp_path / "cat", [item])
    creds = info["credentials"]
    options = PullOptions(
        cog=False,
        dest="s3://copies/mirror",
        dest_options={
            "endpoint": info["endpoints"]["s3"],
            "access_key_id": creds["s3_access_key_id"],
            "secret_access_key": creds["s3_secret_access_key"],
            "region": creds["s3_region"],
            "virtual_hosted_style_request": False,
            "client_options": {"allow_http": True},
        },
    )
    report = asyncio.run(pull(root, configs(sb), options))
    assert [what for what, _ in report.failures] == ["raster/aoi-1:bad"]
    key = "mirror/raster/aoi-1/source.bin"
    assert client.get_object(Bucket="copies", Key=key)["Body"].read() == data
    listed = client.list_objects_v2(Bucket="copies").get("Contents", [])
    assert [o["Key"] for o in listed] == [key]  # the refused one never became an object
    assert not client.list_multipart_uploads(Bucket="copies").get("Uploads")
    stored = read_item(root, "raster", "aoi-1")["assets"]["a"]
    assert stored["href"] == f"s3://copies/{key}"
    again = asyncio.run(pull(root, configs(sb), options))
    assert again.skipped == 1


# -- COGs in an object store -----------------------------------------------------------------


@dataclass
class Store:
    """The sandbox, a boto3 client on its moto server and a fresh bucket for the copies."""

    sandbox: Any
    client: Any
    bucket: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/mirror"

    def options(self) -> PullOptions:
        info = self.sandbox.describe()["backbone"]
        creds = info["credentials"]
        store = {
            "endpoint": info["endpoints"]["s3"],
            "access_key_id": creds["s3_access_key_id"],
            "secret_access_key": creds["s3_secret_access_key"],
            "region": creds["s3_region"],
            "virtual_hosted_style_request": False,
            "client_options": {"allow_http": True},
        }
        return PullOptions(dest=self.url, dest_options=store)

    def objects(self) -> dict[str, tuple[int, str, object]]:
        listed = self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {o["Key"]: (o["Size"], o["ETag"], o["LastModified"]) for o in listed}

    def read(self, href: str) -> bytes:
        key = href.removeprefix(f"s3://{self.bucket}/")
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


@pytest.fixture
def store(stacsync_sandbox_factory) -> Iterator[Store]:
    sb = stacsync_sandbox_factory(providers=("terrascope", "backbone"))
    creds = sb.describe()["backbone"]["credentials"]
    client = s3_client(sb)
    bucket = f"cogs-{uuid.uuid4().hex[:12]}"
    region = {"LocationConstraint": creds["s3_region"]}
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration=region)
    yield Store(sb, client, bucket)
    for key in Store(sb, client, bucket).objects():
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


def _delivery_item(href: str) -> dict:
    item = _item({"data": href})
    item["assets"]["data"]["type"] = "application/zip"
    return item


def _staged(root: Path) -> list[Path]:
    return list((root / ".stacsync").glob("staging/**/*"))


def test_cogs_in_an_object_store(tmp_path: Path, store: Store, schema_dir: Path) -> None:
    sb, client = store.sandbox, store.client
    geotiff = sandbox_items(sb, 1, keys=("B04",))[0]
    archive = backbone_zip(tmp_path)
    client.put_object(Bucket="dissemination", Key=archive.name, Body=archive.read_bytes())
    delivery = _delivery_item(f"s3://dissemination/{archive.name}")
    root = make_catalog(tmp_path / "cat", [geotiff, delivery])

    report = asyncio.run(pull(root, configs(sb), store.options()))
    assert report.ok, report.failures
    assert report.fetched == 2 and report.converted == 2
    assert _staged(root) == []
    assert not client.list_multipart_uploads(Bucket=store.bucket).get("Uploads")

    validator = StacValidator(SchemaStore(store=schema_dir))
    objects = store.objects()
    cogs = []
    for item in (read_item(root, TOC, geotiff["id"]), read_item(root, "raster", "aoi-1")):
        assert validator.validate(item) == []
        for key, asset in item["assets"].items():
            assert asset["href"].startswith(f"{store.url}/"), (key, asset["href"])
            data = store.read(asset["href"])
            assert len(data) == objects[asset["href"].removeprefix(f"s3://{store.bucket}/")][0]
            if "file:size" in asset:
                assert asset["file:size"] == len(data), key
            if "file:checksum" in asset:
                assert asset["file:checksum"] == sha256_multihash(data), key
            if asset.get("type") == COG_MEDIA_TYPE:
                local = tmp_path / f"{item['id']}-{key}.tif"
                local.write_bytes(data)
                assert is_acceptable_cog(local, CogProfile()), key
                cogs.append(key)
    assert sorted(cogs) == ["B04", "data"]
    converted = read_item(root, "raster", "aoi-1")["assets"]
    folder = f"{store.url}/raster/aoi-1"
    assert converted["data"]["href"] == f"{folder}/{archive.stem}/{archive.stem}.tif"
    assert converted["archive"]["href"] == f"{folder}/{archive.name}"
    assert converted["archive"]["file:size"] == archive.stat().st_size
    assert converted["archive"]["alternate"]["remote"]["href"] == delivery["assets"]["data"]["href"]
    assert {"thumbnail", "metadata", "style"} <= set(converted)
    with StateDB(root) as state:
        rows = state.load()
    assert rows[("raster", "aoi-1", "data")].local == converted["archive"]["href"]
    assert all(row.status is Status.SYNCED for row in rows.values())
    counts = status(root).counts
    assert counts["synced"] == 2 and counts["missing"] == 0

    sb.log.clear()
    with moto_requests(tmp_path) as requests:
        again = asyncio.run(pull(root, configs(sb), store.options()))
        during_pull = requests()
        assert store.objects() == objects  # nothing uploaded; this listing is recorded too
        after = requests()
    assert again.ok and again.skipped == 2 and again.bytes_transferred == 0
    assert during_pull == []
    assert [r.split("?")[0] for r in after] == [f"GET {client.meta.endpoint_url}/{store.bucket}"]
    assert sb.log.entries(path_prefix="/download/") == []
    assert _staged(root) == []


def test_corrupt_raster_in_a_zip_is_uploaded_as_delivered(
    tmp_path: Path, store: Store, schema_dir: Path
) -> None:
    corrupt = make_geotiff(continuous_spec(200))[:300] + bytes(500)
    archive = make_zip(tmp_path / "4050.zip", {"20210101/hrl_bbox.tif": corrupt})
    root = make_catalog(tmp_path / "cat", [_delivery_item(archive.as_uri())])
    leftover = root / ".stacsync" / "staging" / "raster" / "aoi-1" / "4050.zip" / "4050.zip.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"from a killed run")

    report = asyncio.run(pull(root, configs(store.sandbox), store.options()))
    assert report.ok, report.failures
    assert report.fetched == 1 and report.converted == 0
    assert list(store.objects()) == ["mirror/raster/aoi-1/4050.zip"]
    stored = read_item(root, "raster", "aoi-1")
    assert set(stored["assets"]) == {"data"}
    asset = stored["assets"]["data"]
    assert asset["href"] == f"{store.url}/raster/aoi-1/4050.zip"
    assert store.read(asset["href"]) == archive.read_bytes()
    assert asset["type"] == "application/zip"
    assert asset["file:size"] == archive.stat().st_size
    assert asset["file:checksum"] == sha256_multihash(archive.read_bytes())
    assert StacValidator(SchemaStore(store=schema_dir)).validate(stored) == []
    assert _staged(root) == []


def test_failed_upload_leaves_nothing_staged(tmp_path: Path, store: Store) -> None:
    source = write(tmp_path / "band.tif", continuous_spec(200))
    item = _item({"data": source.as_uri()})
    item["assets"]["data"]["type"] = "image/tiff; application=geotiff"
    root = make_catalog(tmp_path / "cat", [item])
    missing = replace(store.options(), dest=f"s3://{store.bucket}-missing/mirror")

    report = asyncio.run(pull(root, configs(store.sandbox), missing))
    assert [what for what, _ in report.failures] == ["raster/aoi-1:data"]
    assert "cannot write: Object at location" in str(report.failures[0][1])
    assert "404" in str(report.failures[0][1])
    assert _staged(root) == []
    with StateDB(root) as state:
        assert state.get(("raster", "aoi-1", "data")).status is Status.FAILED
    assert read_item(root, "raster", "aoi-1")["assets"]["data"]["href"] == source.as_uri()


def test_misplaced_store_option_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot use s3://copies/mirror"):
        destination_for(
            "s3://copies/mirror", tmp_path, {"allow_http": True}, durable=False, chunk_size=1
        )


def test_cli_dest_options_reach_the_store(tmp_path: Path, backbone, monkeypatch) -> None:
    assert store_options({"endpoint": "http://h:1", "AWS_ALLOW_HTTP": "true"}) == {
        "endpoint": "http://h:1",
        "client_options": {"allow_http": "true"},
    }
    sb, client = backbone
    info = sb.describe()["backbone"]
    creds = info["credentials"]
    client.create_bucket(
        Bucket="cli-copies",
        CreateBucketConfiguration={"LocationConstraint": creds["s3_region"]},
    )
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 1000)
    root = make_catalog(tmp_path / "cat", [_item({"a": source.as_uri()})])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["s3_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["s3_secret_access_key"])
    args = ["pull", str(root), "--no-cog", "--json", "--dest", "s3://cli-copies/m"]
    for option in (
        f"endpoint={info['endpoints']['s3']}",
        f"region={creds['s3_region']}",
        "virtual_hosted_style_request=false",
        "allow_http=true",
    ):
        args += ["--dest-option", option]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    body = client.get_object(Bucket="cli-copies", Key="m/raster/aoi-1/source.bin")["Body"]
    assert body.read() == b"x" * 1000
    assert creds["s3_secret_access_key"] not in result.output

    bad = CliRunner().invoke(app, [*args[:6], "--dest-option", "no-equals-sign"])
    assert bad.exit_code == 2 and "--dest-option" in bad.output


def test_corrupt_raster_in_a_zip_stays_as_delivered_locally(
    tmp_path: Path, store: Store, schema_dir: Path
) -> None:
    corrupt = make_geotiff(continuous_spec(200))[:300] + bytes(500)
    archive = make_zip(tmp_path / "4051.zip", {"20210101/hrl_bbox.tif": corrupt})
    root = make_catalog(tmp_path / "cat", [_delivery_item(archive.as_uri())])
    report = asyncio.run(pull(root, configs(store.sandbox), PullOptions()))
    assert report.ok, report.failures
    assert report.fetched == 1 and report.converted == 0
    stored = read_item(root, "raster", "aoi-1")
    assert set(stored["assets"]) == {"data"}
    assert stored["assets"]["data"]["href"] == "./4051.zip"
    assert (root / "raster" / "aoi-1" / "4051.zip").read_bytes() == archive.read_bytes()
    assert StacValidator(SchemaStore(store=schema_dir)).validate(stored) == []
