"""s3:// sources (the Backbone bucket on moto) and object-store destinations."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import boto3
import pytest

from stacsync.sync import PullOptions, StateDB, Status, pull
from stacsync.sync.state import AssetState
from tests.sync.helpers import configs, make_catalog, read_item, sha256_multihash


@pytest.fixture
def backbone(stacsync_sandbox_factory):
    sb = stacsync_sandbox_factory(providers=("backbone",))
    info = sb.describe()["backbone"]
    creds = info["credentials"]
    client = boto3.client(
        "s3",
        endpoint_url=info["endpoints"]["s3"],
        aws_access_key_id=creds["s3_access_key_id"],
        aws_secret_access_key=creds["s3_secret_access_key"],
        region_name=creds["s3_region"],
    )
    return sb, client


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
