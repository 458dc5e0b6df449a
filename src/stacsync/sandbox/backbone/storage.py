"""Where results live: the public Swift container (``files`` host) and the S3 bucket.

The ``files`` host mimics the public Swift URL
``/swift/v1/AUTH_<project>/clcplus-public/products/<name>``; the S3 server is a real moto
server with the bucket ``dissemination`` holding the same AOI results under the bare key
``<Product>_<order_id>.zip`` (the manual's boto3 example).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from moto.server import ThreadedMotoServer

from stacsync.sandbox.blobs import Blob

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "dissemination"
REGION: Final = "eu-central-1"


class ResultStore:
    """The files the ``files`` host serves, keyed by their path below ``products/``."""

    def __init__(self) -> None:
        self._blobs: dict[str, Blob] = {}
        self._lock = threading.Lock()

    def put(self, key: str, blob: Blob) -> None:
        """Publish ``blob`` under ``key``."""
        with self._lock:
            self._blobs[key] = blob

    def get(self, key: str) -> Blob | None:
        """The blob under ``key``, if published."""
        with self._lock:
            return self._blobs.get(key)

    def keys(self) -> list[str]:
        """Every published key."""
        with self._lock:
            return sorted(self._blobs)


@dataclass
class S3Mirror:
    """A moto S3 server holding the bucket ``dissemination``."""

    host: str
    port: int
    access_key_id: str
    secret_access_key: str
    _server: ThreadedMotoServer | None = None
    _client: S3Client | None = None

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Start the server and create the bucket (blocking)."""
        werkzeug = logging.getLogger("werkzeug")  # moto's server logs every request at INFO
        if werkzeug.level == logging.NOTSET:
            werkzeug.setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if BUCKET not in existing:
            client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
            )

    def client(self) -> S3Client:
        """A boto3 S3 client on the server (cached)."""
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
            )
        return self._client

    def put(self, key: str, data: bytes) -> None:
        """Upload one object (blocking)."""
        self.client().put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="application/zip")

    def stop(self) -> None:
        """Empty the bucket and stop the server (blocking)."""
        if self._server is None:
            return
        try:
            client = self.client()
            listing = client.list_objects_v2(Bucket=BUCKET)
            for item in listing.get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=item["Key"])
            client.delete_bucket(Bucket=BUCKET)
        except (BotoCoreError, ClientError):
            pass  # the server is going away anyway
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None
            self._server.stop()
            self._server = None
