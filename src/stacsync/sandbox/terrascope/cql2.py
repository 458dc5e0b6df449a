"""A small CQL2-JSON evaluator for the emulated ``filter`` search parameter.

Covers what Terrascope clients send (``{"op": "<=", "args": [{"property":
"properties.eo:cloud_cover"}, 10]}``): logical ``and``/``or``/``not``, comparisons,
``between``, ``in``, ``isNull`` and ``like``. Properties may carry the ``properties.`` prefix
(as in VITO's notebook) or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stacsync.sandbox.terrascope.products import Product

_COMPARE = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class FilterError(ValueError):
    """The filter expression is not valid CQL2 JSON (or uses unsupported operators)."""


def _value(node: Any, product: Product) -> Any:
    if isinstance(node, Mapping):
        if "property" in node:
            name = str(node["property"])
            if name == "id":
                return product.id
            if name == "collection":
                return product.collection
            name = name.removeprefix("properties.")
            return product.properties.get(name)
        if "timestamp" in node:
            return str(node["timestamp"])
        if "date" in node:
            return str(node["date"])
        raise FilterError(f"unsupported expression: {dict(node)}")
    return node


def _like(value: Any, pattern: Any) -> bool:
    regex = "^" + re.escape(str(pattern)).replace("%", ".*").replace("_", ".") + "$"
    return value is not None and re.match(regex, str(value)) is not None


def evaluate(expression: Any, product: Product) -> bool:
    """Whether ``product`` matches the CQL2-JSON ``expression``."""
    if not isinstance(expression, Mapping) or "op" not in expression:
        raise FilterError(f"not a CQL2 expression: {expression!r}")
    op = str(expression["op"]).lower()
    args = expression.get("args", [])
    if not isinstance(args, list):
        raise FilterError("'args' must be an array")
    if op == "and":
        return all(evaluate(arg, product) for arg in args)
    if op == "or":
        return any(evaluate(arg, product) for arg in args)
    if op == "not":
        return not evaluate(args[0], product)
    values = [_value(arg, product) for arg in args]
    if op == "isnull":
        return values[0] is None
    if op == "in":
        return values[0] in values[1]
    if op == "like":
        return _like(values[0], values[1])
    if op == "between":
        low, high = values[1:3] if len(values) == 3 else values[1]
        return values[0] is not None and low <= values[0] <= high
    if op in _COMPARE:
        if values[0] is None or values[1] is None:
            return False
        try:
            return bool(_COMPARE[op](values[0], values[1]))
        except TypeError as exc:
            raise FilterError(str(exc)) from exc
    raise FilterError(f"unsupported operator: {op}")
