"""Fault injection: an aiohttp middleware that makes a server fail on purpose.

Faults are drawn from a seeded generator per request. 5xx and 429 are answered before the
handler runs, with the provider's own error body; dropped connections and truncated bodies
are applied to the handler's successful in-memory responses.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from stacsync.sandbox.options import FaultOptions
from stacsync.sandbox.requestlog import FAULT_KEY

ErrorBody = Callable[[int], web.Response]
"""Builds a provider's error response for a status code (503 or 429)."""


def default_error_body(status: int) -> web.Response:
    """A plain JSON error body, for providers that do not document one."""
    reason = "Too Many Requests" if status == 429 else "Service Unavailable"
    return web.json_response({"error": reason}, status=status)


def fault_middleware(
    options: FaultOptions,
    *,
    seed: int,
    error_body: ErrorBody = default_error_body,
) -> Middleware:
    """An aiohttp middleware applying ``options`` to every matching request."""
    rng = random.Random(seed)

    @web.middleware
    async def middleware(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if options.path_prefix is not None and not request.path.startswith(options.path_prefix):
            return await handler(request)
        if options.latency:
            await asyncio.sleep(options.latency)
        draw = rng.random()
        if draw < options.error_rate:
            request[FAULT_KEY] = "error"
            return error_body(503)
        if draw < options.error_rate + options.throttle_rate:
            request[FAULT_KEY] = "throttle"
            throttled = error_body(429)
            throttled.headers["Retry-After"] = str(options.retry_after)
            return throttled
        response = await handler(request)
        if request.method != "GET" or not 200 <= response.status < 300:
            return response
        if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            return response
        return await _damage(request, response, response.body, options, rng)

    return middleware


async def _damage(
    request: web.Request,
    response: web.Response,
    body: bytes,
    options: FaultOptions,
    rng: random.Random,
) -> web.StreamResponse:
    """Maybe drop the connection mid-body or truncate the body of a successful response."""
    draw = rng.random()
    if draw < options.drop_rate and len(body) > options.drop_after_bytes:
        request[FAULT_KEY] = "drop"
        return await _drop(request, response, body, options.drop_after_bytes)
    if draw < options.drop_rate + options.truncate_rate and len(body) > 1:
        request[FAULT_KEY] = "truncate"
        response.body = body[: len(body) // 2]
    return response


async def _drop(
    request: web.Request, response: web.Response, body: bytes, after: int
) -> web.StreamResponse:
    """Send the headers and ``after`` bytes of ``body``, then close the connection."""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[:after])
    transport = request.transport
    if transport is not None:
        transport.close()
    return stream
