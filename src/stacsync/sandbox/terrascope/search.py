"""Item search as terra-stac-api (stac-fastapi + SFEOS 6.7.6) does it, without HTTP.

Parsing reproduces stac-fastapi's validation messages (``invalid bbox: ...``, ``Invalid RFC3339
datetime.``, pydantic-style ``RequestValidationError`` bodies); paging reproduces SFEOS: results
sorted by ``properties.datetime desc, id desc, collection desc``, the next-page token is the
URL-safe base64 of the JSON array of the last returned item's sort values.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from stacsync.sandbox.terrascope.cql2 import FilterError, evaluate
from stacsync.sandbox.terrascope.products import Product

DEFAULT_LIMIT = 10
"""SFEOS ``STAC_DEFAULT_ITEM_LIMIT``."""
MAX_LIMIT = 10_000
"""stac-fastapi crops larger limits to this."""
_RFC3339 = re.compile(
    r"^(\d\d\d\d)\-(\d\d)\-(\d\d)(T|t)(\d\d):(\d\d):(\d\d)([.]\d+)?(Z|([-+])(\d\d):(\d\d))$"
)

Interval = tuple[datetime | None, datetime | None]
BBox = tuple[float, float, float, float]


class SearchError(Exception):
    """A search request the API refuses: status and the JSON body it answers with."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = dict(body)


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    """A validated search."""

    collections: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    bbox: BBox | None = None
    interval: Interval | None = None
    limit: int = DEFAULT_LIMIT
    token: str | None = None
    filter: Any = None


def detail(message: str, status: int = 400) -> SearchError:
    """A FastAPI ``HTTPException`` body: ``{"detail": message}``."""
    return SearchError(status, {"detail": message})


def validation_error(errors: list[dict[str, Any]], body: Any = None) -> SearchError:
    """stac-fastapi's ``RequestValidationError`` answer (400)."""
    return SearchError(400, {"detail": errors, "body": body})


def _parse_datetime(text: str) -> datetime:
    if ".." in text or not text:
        raise ValueError("Invalid date format.")
    if not _RFC3339.match(text.upper()):
        raise ValueError("Invalid RFC3339 datetime.")
    return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))


def parse_interval(text: str) -> Interval:
    """A STAC ``datetime`` parameter as (start, end); raises :class:`SearchError`."""
    if not text:
        raise detail("Empty interval string is invalid.")
    values = text.split("/")
    if len(values) > 2:
        raise detail("Interval string contains more than one forward slash.")
    try:
        start = _parse_datetime(values[0]) if values[0] not in ("..", "") else None
        if len(values) == 1:
            return start, start
        end = _parse_datetime(values[1]) if values[1] not in ("..", "") else None
    except ValueError as exc:
        raise detail(str(exc)) from exc
    if start is None and end is None:
        raise detail("Double open-ended intervals are not allowed.")
    if start is not None and end is not None and start > end:
        raise detail("Start datetime cannot be before end datetime.")
    return start, end


def parse_bbox(text: str) -> BBox:
    """A GET ``bbox`` parameter; 3D boxes are reduced to 2D."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise detail(f"invalid bbox: {text}") from exc
    if len(values) not in (4, 6):
        raise detail(f"BBox '{text}' must have 4 or 6 values.")
    return _flat(values)


def _flat(values: Sequence[float]) -> BBox:
    if len(values) == 6:
        return (values[0], values[1], values[3], values[4])
    return (values[0], values[1], values[2], values[3])


def _limit(raw: Any, loc: list[Any], body: Any = None) -> int:
    entry: dict[str, Any] = {"loc": loc, "input": raw}
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        entry.update(type="int_type", msg="Input should be a valid integer")
        raise validation_error([entry], body)
    try:
        value = int(raw)
    except ValueError as exc:
        entry.update(
            type="int_parsing",
            msg="Input should be a valid integer, unable to parse string as an integer",
        )
        raise validation_error([entry], body) from exc
    if value <= 0:
        entry.update(type="greater_than", msg="Input should be greater than 0", ctx={"gt": 0})
        raise validation_error([entry], body)
    return min(value, MAX_LIMIT)


def _geometry_bbox(geometry: Any) -> BBox:
    points: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if (
            isinstance(node, list)
            and len(node) >= 2
            and all(isinstance(v, int | float) for v in node[:2])
        ):
            points.append((float(node[0]), float(node[1])))
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(geometry.get("coordinates") if isinstance(geometry, Mapping) else None)
    if not points:
        raise ValueError("geometry without coordinates")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def parse_get(query: Mapping[str, str], *, collection: str | None = None) -> SearchRequest:
    """A GET ``/search`` (or ``/collections/{id}/items``) query string."""
    collections = tuple(query["collections"].split(",")) if query.get("collections") else None
    if collection is not None:
        collections = (collection,)
    ids = tuple(query["ids"].split(",")) if query.get("ids") else None
    bbox = parse_bbox(query["bbox"]) if query.get("bbox") else None
    if query.get("intersects"):
        try:
            bbox = _geometry_bbox(orjson.loads(query["intersects"]))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise detail(f"Invalid parameters provided: {exc}") from exc
    interval = parse_interval(query["datetime"]) if "datetime" in query else None
    limit = _limit(query["limit"], ["query", "limit"]) if query.get("limit") else DEFAULT_LIMIT
    expression = None
    if query.get("filter"):
        if query.get("filter-lang", "cql2-text") != "cql2-json":
            raise detail("Error with cql2 filter: only cql2-json is supported by the sandbox")
        try:
            expression = orjson.loads(query["filter"])
        except orjson.JSONDecodeError as exc:
            raise detail(f"Error with cql2 filter: {exc}") from exc
    return SearchRequest(
        collections=collections,
        ids=ids,
        bbox=bbox,
        interval=interval,
        limit=limit,
        token=query.get("token") or None,
        filter=expression,
    )


def _strings(body: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_error(
            [{"type": "list_type", "loc": ["body", name], "msg": "Input should be a valid list",
              "input": value}],
            body,
        )  # fmt: skip
    return tuple(value) or None


def parse_post(body: Any) -> SearchRequest:
    """A POST ``/search`` JSON body (already decoded)."""
    if not isinstance(body, dict):
        raise validation_error(
            [{"type": "model_attributes_type", "loc": ["body"],
              "msg": "Input should be a valid dictionary or object to extract fields from",
              "input": body}],
            body,
        )  # fmt: skip
    bbox = None
    raw_bbox = body.get("bbox")
    if raw_bbox is not None:
        if (
            not isinstance(raw_bbox, list)
            or len(raw_bbox) not in (4, 6)
            or not all(isinstance(v, int | float) for v in raw_bbox)
        ):
            raise validation_error(
                [{"type": "value_error", "loc": ["body", "bbox"],
                  "msg": "Value error, BBox must have 4 or 6 numeric values", "input": raw_bbox}],
                body,
            )  # fmt: skip
        bbox = _flat([float(v) for v in raw_bbox])
    if body.get("intersects") is not None:
        try:
            bbox = _geometry_bbox(body["intersects"])
        except ValueError as exc:
            raise validation_error(
                [{"type": "value_error", "loc": ["body", "intersects"],
                  "msg": f"Value error, {exc}", "input": body["intersects"]}],
                body,
            ) from exc  # fmt: skip
    interval = None
    if body.get("datetime") is not None:
        raw = body["datetime"]
        try:
            interval = parse_interval(str(raw))
        except SearchError as exc:
            raise validation_error(
                [{"type": "value_error", "loc": ["body", "datetime"],
                  "msg": f"Value error, {exc.body['detail']}", "input": raw}],
                body,
            ) from exc  # fmt: skip
    limit = _limit(body["limit"], ["body", "limit"], body) if "limit" in body else DEFAULT_LIMIT
    token = body.get("token")
    return SearchRequest(
        collections=_strings(body, "collections"),
        ids=_strings(body, "ids"),
        bbox=bbox,
        interval=interval,
        limit=limit,
        token=str(token) if token else None,
        filter=body.get("filter"),
    )


def _intersects(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _in_interval(product: Product, interval: Interval) -> bool:
    props = product.properties
    start = datetime.fromisoformat(str(props.get("start_datetime", props["datetime"])))
    end = datetime.fromisoformat(str(props.get("end_datetime", props["datetime"])))
    low, high = interval
    return (high is None or start <= high) and (low is None or end >= low)


def matches(product: Product, request: SearchRequest) -> bool:
    """Whether ``product`` satisfies every criterion of ``request``."""
    if request.collections is not None and product.collection not in request.collections:
        return False
    if request.ids is not None and product.id not in request.ids:
        return False
    if request.bbox is not None and not _intersects(product.bbox, request.bbox):
        return False
    if request.interval is not None and not _in_interval(product, request.interval):
        return False
    if request.filter is not None:
        try:
            return evaluate(request.filter, product)
        except (FilterError, IndexError, TypeError, ValueError) as exc:
            raise detail(f"Error with cql2 filter: {exc}") from exc
    return True


def encode_token(sort_key: Sequence[Any]) -> str:
    """The next-page token of an item with the given sort values."""
    return base64.urlsafe_b64encode(orjson.dumps(list(sort_key))).decode()


def _decode_token(token: str) -> tuple[Any, ...]:
    """The sort values in a token; errors surface as stac-fastapi's generic 500 body."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(token))
        if not isinstance(values, list):
            raise TypeError(f"search_after must be an array, got {type(values).__name__}")
    except Exception as exc:  # anything SFEOS would let escape becomes a 500
        raise SearchError(500, {"code": type(exc).__name__, "description": str(exc)}) from exc
    return tuple(values)


class Hit(Protocol):
    """A search result: a :class:`Product`, or a generated item rendered on its own."""

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """The search sort values (datetime in epoch ms, id, collection)."""
        ...


class Matches(Protocol):
    """The results of one search in one source, in the API's order (sort keys descending)."""

    def __len__(self) -> int: ...

    def position(self, after: tuple[Any, ...]) -> int:
        """The first position whose sort key is below ``after``."""
        ...

    def window(self, start: int) -> Iterator[Hit]:
        """The results from position ``start`` on."""
        ...


class Source(Protocol):
    """Products searched without being held in a list (a generated archive)."""

    def matches(self, request: SearchRequest) -> Matches:
        """What ``request`` matches (the paging token aside)."""
        ...


class ProductList:
    """:class:`Matches` over products held in memory."""

    def __init__(self, products: Iterable[Product], request: SearchRequest) -> None:
        self.products = sorted(
            (p for p in products if matches(p, request)), key=lambda p: p.sort_key, reverse=True
        )

    def __len__(self) -> int:
        return len(self.products)

    def position(self, after: tuple[Any, ...]) -> int:
        """The first position whose sort key is below ``after``."""
        return next((i for i, p in enumerate(self.products) if p.sort_key < after), len(self))

    def window(self, start: int) -> Iterator[Hit]:
        """The results from position ``start`` on."""
        return iter(self.products[start:])


def execute(
    products: Iterable[Product], request: SearchRequest, sources: Sequence[Source] = ()
) -> tuple[list[Hit], int, str | None]:
    """(page, numberMatched, next token) of ``request`` over ``products`` and ``sources``."""
    results: list[Matches] = [ProductList(products, request)]
    results += [source.matches(request) for source in sources]
    starts = [0] * len(results)
    if request.token:
        after = _decode_token(request.token)
        try:
            starts = [result.position(after) for result in results]
        except TypeError as exc:
            raise SearchError(500, {"code": "TypeError", "description": str(exc)}) from exc
    merged = heapq.merge(
        *(result.window(start) for result, start in zip(results, starts, strict=True)),
        key=lambda p: p.sort_key,
        reverse=True,
    )
    taken = list(itertools.islice(merged, request.limit + 1))
    page = taken[: request.limit]
    token = encode_token(page[-1].sort_key) if len(taken) > request.limit else None
    return page, sum(len(result) for result in results), token
