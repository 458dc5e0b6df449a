"""Validate STAC objects against the official JSON schemas: core and every declared extension.

Validators are compiled once per schema URL and shared by every object, and ``$ref``s are
resolved through the :class:`~stacsync.validation.schemas.SchemaStore` (plus the JSON Schema
meta-schemas bundled with ``jsonschema``), so validation needs no network when the store
has what the objects declare.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import jsonschema
import jsonschema.exceptions
import jsonschema.protocols
import jsonschema.validators
import jsonschema_specifications
import referencing
import referencing.exceptions
import referencing.jsonschema

from stacsync.errors import SchemaUnavailableError
from stacsync.validation.schemas import SchemaStore, normalize

CORE_SCHEMAS: Mapping[str, str] = {
    "Feature": "item-spec/json-schema/item.json",
    "Collection": "collection-spec/json-schema/collection.json",
    "Catalog": "catalog-spec/json-schema/catalog.json",
}
MAX_PROBLEMS_PER_SCHEMA = 5
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an object is invalid."""

    location: str
    """JSON path of the offending value within the object (``$.properties.proj:shape``)."""
    message: str
    rule: str
    """The schema and keyword that failed (``<schema URL>#/path/to/keyword``)."""


def core_schema_url(obj: Mapping[str, Any]) -> str:
    """The core STAC schema of an object, from its ``type`` and ``stac_version``."""
    kind = obj.get("type")
    version = obj.get("stac_version")
    if kind not in CORE_SCHEMAS:
        raise ValueError(f"not a STAC Item, Collection or Catalog (type {kind!r})")
    if not isinstance(version, str) or not version:
        raise ValueError("no stac_version")
    return f"https://schemas.stacspec.org/v{version}/{CORE_SCHEMAS[str(kind)]}"


class StacValidator:
    """Validates STAC dicts; one compiled validator per schema, reused for every object."""

    def __init__(self, schemas: SchemaStore) -> None:
        self.schemas = schemas
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        # attrs field aliases are invisible to mypy: Registry(retrieve=...) is the documented API.
        registry: referencing.Registry[Any] = referencing.Registry(  # type: ignore[call-arg]
            retrieve=self._retrieve
        )
        self._registry = registry.combine(jsonschema_specifications.REGISTRY)

    def _retrieve(self, uri: str) -> referencing.Resource[Any]:
        try:
            return self._resource(uri)
        except SchemaUnavailableError as exc:
            raise referencing.exceptions.NoSuchResource(ref=uri) from exc  # type: ignore[call-arg]

    def _resource(self, uri: str) -> referencing.Resource[Any]:
        return referencing.Resource.from_contents(
            self.schemas.get(uri), default_specification=referencing.jsonschema.DRAFT7
        )

    def _preload(self, url: str) -> None:
        """Put ``url`` and every schema it references (transitively) into the registry.

        A registry only keeps resources added up front; ones fetched through ``retrieve``
        during validation are forgotten and fetched again on every call, which costs more
        than the validation itself.
        """
        todo, resources = [normalize(url)], {}
        while todo:
            current = todo.pop()
            if current in resources or current in self._registry:
                continue
            resource = self._resource(current)
            resources[current] = resource
            base = resource.id() or current
            for ref in _refs(resource.contents):
                target = normalize(urljoin(base, ref))
                if target and target not in resources and target not in self._registry:
                    todo.append(target)
        if resources:
            self._registry = self._registry.with_resources(resources.items()).crawl()

    def _validator(self, url: str) -> jsonschema.protocols.Validator:
        if url not in self._validators:
            self._preload(url)
            schema = self.schemas.get(url)
            cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
            self._validators[url] = cls(schema, registry=self._registry)
        return self._validators[url]

    def schema_urls(self, obj: Mapping[str, Any]) -> list[str]:
        """Every schema ``obj`` must satisfy: its core schema, then its extensions."""
        urls = [core_schema_url(obj)]
        extensions = obj.get("stac_extensions") or []
        if isinstance(extensions, list):
            urls.extend(str(u) for u in extensions if isinstance(u, str))
        return urls

    def validate(self, obj: Mapping[str, Any]) -> list[Problem]:
        """Everything wrong with ``obj``; an empty list means valid."""
        try:
            urls = self.schema_urls(obj)
        except ValueError as exc:
            return [Problem(location="$", message=str(exc), rule="STAC object")]
        problems: list[Problem] = []
        for url in urls:
            problems.extend(self._check(url, obj))
        return problems

    def _check(self, url: str, obj: Mapping[str, Any]) -> Iterator[Problem]:
        try:
            validator = self._validator(url)
            errors = list(validator.iter_errors(obj))
        except SchemaUnavailableError as exc:
            yield Problem(location="$", message=f"schema unavailable: {exc.reason}", rule=url)
            return
        except (referencing.exceptions.Unresolvable, jsonschema.exceptions.SchemaError) as exc:
            yield Problem(location="$", message=f"schema cannot be used: {exc}", rule=url)
            return
        for error in errors[:MAX_PROBLEMS_PER_SCHEMA]:
            leaf = _deepest(error)
            keyword_path = "/".join(str(p) for p in leaf.absolute_schema_path)
            message = leaf.message
            if len(message) > MAX_MESSAGE_CHARS:
                message = message[: MAX_MESSAGE_CHARS - 3] + "..."
            yield Problem(location=leaf.json_path, message=message, rule=f"{url}#/{keyword_path}")
        if len(errors) > MAX_PROBLEMS_PER_SCHEMA:
            more = len(errors) - MAX_PROBLEMS_PER_SCHEMA
            yield Problem(location="$", message=f"... and {more} more errors", rule=url)


def _deepest(error: jsonschema.exceptions.ValidationError) -> jsonschema.exceptions.ValidationError:
    """The most specific cause of an ``anyOf``/``oneOf`` failure (deepest in the instance)."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
    return error


def _refs(node: object) -> Iterator[str]:
    """Every ``$ref`` value in a schema document."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                yield ref
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
