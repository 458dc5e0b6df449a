"""The Plone site part of the API host: the token endpoint, ``@search`` and DataSet objects."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from stacsync.sandbox.clms.auth import GrantError, KeyRing, access_token_value, verify_grant
from stacsync.sandbox.clms.catalogue import Catalogue
from stacsync.sandbox.clms.responses import not_found, plone_json
from stacsync.sandbox.clms.search import PloneError, datasets_by_uid, search, serialize_full
from stacsync.sandbox.tokens import TokenStore


class Site:
    """Public content and the ``@@oauth2-token`` view."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        portal_url: str,
        tokens: TokenStore,
        keys: KeyRing,
        token_lifetime: Callable[[], float],
        grant_clock: Callable[[], float],
    ) -> None:
        self.catalogue = catalogue
        self.portal_url = portal_url
        self.site_url = f"{portal_url}/api"
        self.tokens = tokens
        self.keys = keys
        self._lifetime = token_lifetime
        self._grant_clock = grant_clock

    def routes(self) -> list[web.RouteDef]:
        """Token endpoint (site root and ``/api``), search, objects and the 404 fallback."""
        return [
            web.route("*", "/@@oauth2-token", self.token),
            web.route("*", "/api/@@oauth2-token", self.token),
            web.get("/api/@search", self.search),
            web.get("/api/@datasets_by_uid", self.datasets_by_uid),
            web.get("/api/{path:en/.+}", self.content),
            web.route("*", "/api", self.fallback),
            web.route("*", "/api/{tail:.*}", self.fallback),
        ]

    async def token(self, request: web.Request) -> web.StreamResponse:
        """Exchange a JWT grant for an access token (the token URI is the URL posted to)."""
        fields = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            fields.update({k: v for k, v in form.items() if isinstance(v, str)})
        token_uri = f"{self.portal_url}{request.path}"
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            key = verify_grant(
                fields,
                method=request.method,
                keys=self.keys,
                token_uri=token_uri,
                now=self._grant_clock,
            )
        except GrantError as exc:
            response = plone_json(exc.body(), status=exc.status)
            response.headers.update(headers)
            return response
        lifetime = self._lifetime()
        issued = self.tokens.issue(
            kind="access", subject=key.user_id, lifetime=lifetime, make=access_token_value
        )
        body = {"access_token": issued.value, "expires_in": int(lifetime), "token_type": "Bearer"}
        response = plone_json(body)
        response.headers.update(headers)
        return response

    def _request_url(self, request: web.Request) -> str:
        return f"{self.portal_url}{request.path}"

    async def search(self, request: web.Request) -> web.StreamResponse:
        """``GET @search``."""
        try:
            body = search(
                self.catalogue,
                url=self._request_url(request),
                query_string=request.query_string,
                site=self.site_url,
            )
        except PloneError as exc:
            return plone_json(exc.body(), status=exc.status)
        return plone_json(body)

    async def datasets_by_uid(self, request: web.Request) -> web.StreamResponse:
        """``GET @datasets_by_uid?UID=``."""
        body = datasets_by_uid(
            self.catalogue, url=self._request_url(request), query_string=request.query_string
        )
        return plone_json(body)

    async def content(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/en/products/{product}/{dataset}``: the full DataSet."""
        dataset = self.catalogue.by_path(request.match_info["path"])
        if dataset is None or dataset.review_state != "published":
            return not_found(request, self.site_url)
        return plone_json(serialize_full(dataset, self.site_url))

    async def fallback(self, request: web.Request) -> web.StreamResponse:
        """Anything else below ``/api``: plone.restapi's 404."""
        return not_found(request, self.site_url)
