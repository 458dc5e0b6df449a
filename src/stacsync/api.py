"""The functions behind each CLI command: parse nothing, print nothing, return results."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacsync.config import Settings
from stacsync.events import ObjectValidated, OnEvent
from stacsync.sandbox import Sandbox, SandboxOptions
from stacsync.validation import Problem, SchemaStore, StacValidator, Visit, walk


@dataclass(frozen=True, slots=True)
class InvalidObject:
    """A file that failed validation, and why."""

    path: Path
    id: str | None
    type: str | None
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path),
            "id": self.id,
            "type": self.type,
            "problems": [
                {"location": p.location, "message": p.message, "rule": p.rule}
                for p in self.problems
            ],
        }


@dataclass(kw_only=True)
class ValidationReport:
    """The outcome of validating a catalogue or a single object."""

    checked: int = 0
    invalid: list[InvalidObject] = field(default_factory=list)
    schema_source: str = ""

    @property
    def ok(self) -> bool:
        """Whether every object is valid."""
        return not self.invalid

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "valid": self.ok,
            "checked": self.checked,
            "invalid": [obj.as_dict() for obj in self.invalid],
            "schemas": self.schema_source,
        }


def schema_store(settings: Settings, schema_dir: Path | None = None) -> SchemaStore:
    """The schema store the settings (or an explicit folder) point at."""
    folder = schema_dir or settings.schema_dir
    if folder is not None:
        return SchemaStore(store=folder)
    return SchemaStore(cache=settings.cache_dir / "schemas")


def validate(
    path: Path, *, schemas: SchemaStore, on_event: OnEvent | None = None
) -> ValidationReport:
    """Validate the STAC object at ``path`` and everything it links to as child or item."""
    validator = StacValidator(schemas)
    report = ValidationReport(schema_source=schemas.describe())
    for visit in walk(path):
        report.checked += 1
        invalid = _check(validator, visit)
        if invalid is not None:
            report.invalid.append(invalid)
        if on_event is not None:
            on_event(ObjectValidated(visit.path, valid=invalid is None))
    return report


def _check(validator: StacValidator, visit: Visit) -> InvalidObject | None:
    obj = visit.obj
    if obj is None:
        where = f" (linked from {visit.linked_from})" if visit.linked_from else ""
        problem = Problem(location="$", message=f"{visit.error}{where}", rule="readable JSON")
        return InvalidObject(visit.path, None, None, (problem,))
    problems = validator.validate(obj)
    if not problems:
        return None
    kind, oid = obj.get("type"), obj.get("id")
    return InvalidObject(
        visit.path,
        oid if isinstance(oid, str) else None,
        kind if isinstance(kind, str) else None,
        tuple(problems),
    )


async def serve_sandbox(
    options: SandboxOptions,
    *,
    on_ready: Callable[[Sandbox], None],
    stop: asyncio.Event,
) -> None:
    """Run the provider sandbox until ``stop`` is set; call ``on_ready`` once it listens."""
    async with Sandbox(options) as sandbox:
        on_ready(sandbox)
        await stop.wait()
