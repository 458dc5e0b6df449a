"""Fixtures of the CLC+ Backbone provider tests: sample payloads and the STAC validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacsync.validation import SchemaStore, StacValidator

DATA = Path(__file__).resolve().parents[2] / "data" / "backbone"
SWIFT = (
    "https://s3.waw2-1.cloudferro.com/swift/v1/AUTH_b9657821e4364f88862ca20a180dc485"
    "/clcplus-public/products"
)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def validator(schema_dir: Path) -> StacValidator:
    return StacValidator(SchemaStore(store=schema_dir))
