from __future__ import annotations

from pathlib import Path

import pytest

from stacsync.validation import SchemaStore, StacValidator


@pytest.fixture(scope="session")
def validator(schema_dir: Path) -> StacValidator:
    return StacValidator(SchemaStore(store=schema_dir))
