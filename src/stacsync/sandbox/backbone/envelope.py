"""The gen-1 error bodies: the GeoVille error envelope and Flask's own answers.

Every gen-1 error (except the "AOI too big" string) is
``{"message": {"error_description": {code, status, description}, "error_definition":
{payload, message, traceback}}}``, where ``code``/``description`` are werkzeug's and ``status``
is the upper-case name of the error class.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from aiohttp import web

_WERKZEUG: dict[int, tuple[str, str]] = {
    400: (
        "BAD_REQUEST",
        "The browser (or proxy) sent a request that this server could not understand.",
    ),
    401: (
        "UNAUTHORIZED",
        "The server could not verify that you are authorized to access the URL requested. You"
        " either supplied the wrong credentials (e.g. a bad password), or your browser doesn't"
        " understand how to supply the credentials required.",
    ),
    403: (
        "FORBIDDEN",
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server.",
    ),
    404: (
        "NOT_FOUND",
        "The requested URL was not found on the server. If you entered the URL manually please"
        " check your spelling and try again.",
    ),
    405: ("METHOD_NOT_ALLOWED", "The method is not allowed for the requested URL."),
    408: (
        "REQUEST_TIMEOUT",
        "The server closed the network connection because the browser didn't finish the"
        " request within the specified time.",
    ),
    429: (
        "TOO_MANY_REQUESTS",
        "This user has exceeded an allotted request count. Try again later.",
    ),
    500: (
        "INTERNAL_SERVER_ERROR",
        "The server encountered an internal error and was unable to complete your request."
        " Either the server is overloaded or there is an error in the application.",
    ),
    501: (
        "NOT_IMPLEMENTED",
        "The server does not support the action requested by the browser.",
    ),
    503: (
        "SERVICE_UNAVAILABLE",
        "The server is temporarily unable to service your request due to maintenance downtime"
        " or capacity problems. Please try again later.",
    ),
}

AOI_TOO_BIG = (
    "The requested AOI is too big (> 5 Mio. km²). Please note that countries and entire Europe"
    " can be requested with other endpoints."
)
"""The plain-string 404 body of ``get_product`` (verbatim from the API code)."""

UNEXPECTED = "Unexpected error occurred"


def error_description(code: int) -> dict[str, Any]:
    """The ``error_description`` part for an HTTP error class ``code``."""
    status, description = _WERKZEUG.get(code, _WERKZEUG[500])
    return {"code": code, "status": status, "description": description}


def envelope(code: int, message: str, *, payload: Any = "", traceback: str = "") -> dict[str, Any]:
    """The full gen-1 error body."""
    return {
        "message": {
            "error_description": error_description(code),
            "error_definition": {"payload": payload, "message": message, "traceback": traceback},
        }
    }


def error_response(
    code: int,
    message: str,
    *,
    http_status: int | None = None,
    payload: Any = "",
    traceback: str = "",
) -> web.Response:
    """An enveloped error; ``http_status`` differs from ``code`` for the 404-with-400 quirk."""
    body = envelope(code, message, payload=payload, traceback=traceback)
    return web.json_response(body, status=http_status or code)


def key_error_traceback(module: str, line: int, statement: str, key: str) -> str:
    """A Python-style traceback text for a ``KeyError`` raised by the API's resource code."""
    return (
        "Traceback (most recent call last):\n"
        f'  File "/usr/src/app/resources/{module}", line {line}, in post\n'
        f"    {statement}\n"
        f"KeyError: {key!r}\n"
    )


def key_error_response(
    key: str, *, module: str, line: int, statement: str, payload: Any
) -> web.Response:
    """The 400 ``Key error resulted in a BadRequest: '<key>'`` body."""
    return error_response(
        400,
        f"Key error resulted in a BadRequest: {key!r}",
        payload=payload,
        traceback=key_error_traceback(module, line, statement, key),
    )


def unexpected_response(exc: BaseException, *, module: str, payload: Any) -> web.Response:
    """The 500 ``Unexpected error occurred`` body with a traceback-like text."""
    trace = (
        "Traceback (most recent call last):\n"
        f'  File "/usr/src/app/resources/{module}", line 88, in post\n'
        f"{type(exc).__name__}: {exc}\n"
    )
    return error_response(500, UNEXPECTED, payload=payload, traceback=trace)


def fault_body(status: int) -> web.Response:
    """The API host's body for injected 503/429 faults."""
    if status == 503:
        return error_response(503, "Could not connect to the database server")
    return error_response(status, error_description(status)["description"])


def flask_not_found(path: str, known: Iterable[str]) -> web.Response:
    """Flask-RESTX's 404 for an unknown URL, with its "did you mean" help."""
    message = str(error_description(404)["description"])
    close = difflib.get_close_matches(path, list(known), n=1)
    if close:
        message += f" You have requested this URI [{path}] but did you mean {close[0]} ?"
    return web.json_response({"message": message}, status=404)


def flask_method_not_allowed(allowed: Iterable[str]) -> web.Response:
    """Flask's 405 answer."""
    return web.json_response(
        {"message": error_description(405)["description"]},
        status=405,
        headers={"Allow": ", ".join(sorted(allowed))},
    )
