"""The catalogue-definition part of the configuration reference.

Every key of ``schemas/catalog-definition.schema.json`` with its dotted path (``sources[]`` for
the array of ``[[sources]]`` tables), type, whether it is required, and its description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ref_markdown import code, table

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITION_SCHEMA = REPO_ROOT / "schemas" / "catalog-definition.schema.json"


@dataclass(frozen=True, slots=True)
class SchemaKey:
    """One key of a catalogue definition."""

    path: str
    type: str
    required: bool
    description: str


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with a local ``$ref`` merged in (the node's own keys win)."""
    resolved = dict(node)
    while "$ref" in resolved:
        ref = resolved.pop("$ref")
        target: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        resolved = {**target, **resolved}
    return resolved


def _schema_type(node: Mapping[str, Any]) -> str:
    if "const" in node:
        return code(json.dumps(node["const"]))
    if "enum" in node:
        return "one of " + ", ".join(code(json.dumps(v)) for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(_schema_type(branch) for branch in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        items = node.get("items", {})
        return f"array of {_schema_type(items)}" if items else "array"
    if kind == "object" and "properties" not in node:
        return "table"
    return {"object": "table", "number": "number", "integer": "integer"}.get(str(kind), str(kind))


def schema_keys(
    schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str = ""
) -> list[SchemaKey]:
    """Every key under ``node`` (depth first), with its dotted path, type and description."""
    node = _resolve(schema, node)
    required = set(node.get("required", ()))
    keys: list[SchemaKey] = []
    for name, raw in node.get("properties", {}).items():
        child = _resolve(schema, raw)
        path = f"{prefix}{name}"
        if child.get("type") == "array" and _resolve(schema, child.get("items", {})).get(
            "properties"
        ):
            keys.append(
                SchemaKey(path, "array of tables", name in required, child.get("description", ""))
            )
            continue
        keys.append(
            SchemaKey(path, _schema_type(child), name in required, child.get("description", ""))
        )
        if child.get("type") == "object" and child.get("properties") and name != "filter":
            keys += schema_keys(schema, child, f"{path}.")
    return keys


def source_variants(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The schema of each provider's source, by provider name."""
    source = _resolve(schema, schema["$defs"]["source"])
    variants: dict[str, dict[str, Any]] = {}
    for rule in source.get("allOf", ()):
        provider = rule["if"]["properties"]["provider"]["const"]
        variants[provider] = _resolve(schema, rule["then"])
    return variants


def definition_sections(schema: Mapping[str, Any]) -> list[tuple[str, str, list[SchemaKey]]]:
    """(title, introduction, keys) sections of the catalogue-definition reference."""
    top = schema_keys(schema, schema)
    variants = source_variants(schema)
    per_provider = {p: schema_keys(schema, v, "sources[].") for p, v in variants.items()}
    common_names = set.intersection(*({k.path for k in keys} for keys in per_provider.values()))
    common = [
        k
        for k in per_provider[next(iter(per_provider))]
        if k.path in common_names and not k.type.startswith("`")
    ]
    source = _resolve(schema, schema["$defs"]["source"])
    provider_key = _resolve(schema, source["properties"]["provider"])
    common.append(
        SchemaKey(
            "sources[].provider", _schema_type(provider_key), True, provider_key["description"]
        )
    )
    sections = [
        ("Top level", schema.get("description", ""), top),
        ("Every source", source.get("description", ""), common),
    ]
    for provider, keys in per_provider.items():
        intro = variants[provider].get("description", "")
        rest = [k for k in keys if k.path not in common_names]
        sections.append((f'Sources with `provider = "{provider}"`', intro, rest))
    return sections


def definition_reference(schema_path: Path = DEFINITION_SCHEMA) -> list[str]:
    """The catalogue-definition keys section (Markdown lines)."""
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    lines: list[str] = []
    for title, intro, keys in definition_sections(schema):
        lines += [f"### {title}", ""]
        if intro:
            lines += [intro, ""]
        lines += table(
            ("key", "type", "required", "description"),
            [(code(k.path), k.type, "yes" if k.required else "no", k.description) for k in keys],
        )
    return lines
