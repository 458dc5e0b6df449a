"""The Keycloak realm ``terrascope``: discovery, JWKS and the token endpoint.

Access tokens are RS256 JWTs signed with a sandbox key published in the JWKS (clients may
decode ``exp``); refresh tokens are HS512 JWTs as Keycloak issues them. Refresh tokens
rotate: a used refresh token is dead, and presenting it again gives Keycloak's
``invalid_grant`` answer.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from stacsync.sandbox.clock import SandboxClock
from stacsync.sandbox.terrascope.responses import keycloak_error
from stacsync.sandbox.tokens import IssuedToken, TokenState, TokenStore

REALM_PATH = "/auth/realms/terrascope"
TOKEN_PATH = f"{REALM_PATH}/protocol/openid-connect/token"
CERTS_PATH = f"{REALM_PATH}/protocol/openid-connect/certs"
DISCOVERY_PATH = f"{REALM_PATH}/.well-known/openid-configuration"
CLIENTS = ("public", "terracatalogueclient")
"""Public clients of the realm (no secret)."""
SCOPE = "profile email"
DEFAULT_ACCESS_LIFETIME = 300.0
DEFAULT_REFRESH_LIFETIME = 3600.0


@dataclass(frozen=True)
class Session:
    """A login: the user, the client and Keycloak's session id."""

    id: str
    subject: str
    client_id: str


class Realm:
    """Users, sessions and tokens of the emulated realm."""

    def __init__(
        self,
        *,
        issuer: str,
        clock: SandboxClock,
        username: str,
        password: str,
        access_lifetime: float,
        refresh_lifetime: float,
    ) -> None:
        self.issuer = issuer
        self.clock = clock
        self.username = username
        self.password = password
        self.subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}/{username}"))
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.tokens = TokenStore(clock)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self._key.public_key().public_numbers()
        self.kid = hashlib.sha256(f"{public.n}:{public.e}".encode()).hexdigest()[:43]
        self._refresh_secret = secrets.token_bytes(64)
        self._sessions: dict[str, Session] = {}
        self._rotated: set[str] = set()
        self._lock = threading.Lock()

    # -- documents -----------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The realm's JSON Web Key Set."""
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        key = {"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig", **jwk}
        return {"keys": [key]}

    def discovery(self) -> dict[str, Any]:
        """The ``.well-known/openid-configuration`` document."""
        oidc = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "introspection_endpoint": f"{oidc}/token/introspect",
            "userinfo_endpoint": f"{oidc}/userinfo",
            "end_session_endpoint": f"{oidc}/logout",
            "jwks_uri": f"{oidc}/certs",
            "check_session_iframe": f"{oidc}/login-status-iframe.html",
            "grant_types_supported": [
                "authorization_code",
                "implicit",
                "refresh_token",
                "password",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "response_types_supported": ["code", "none", "id_token", "token", "code id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "private_key_jwt",
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
            ],
            "scopes_supported": ["openid", "profile", "email", "offline_access", "roles"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "device_authorization_endpoint": f"{oidc}/auth/device",
        }

    # -- tokens --------------------------------------------------------------------------

    def _claims(self, session: Session, kind: str, lifetime: float) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "exp": int(now + lifetime),
            "iat": int(now),
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "sub": session.subject,
            "typ": kind,
            "azp": session.client_id,
            "session_state": session.id,
            "sid": session.id,
            "scope": SCOPE,
        }

    def _access_token(self, session: Session) -> str:
        claims = self._claims(session, "Bearer", self.access_lifetime)
        claims.update(
            aud="account",
            acr="1",
            realm_access={"roles": ["default-roles-terrascope", "offline_access"]},
            email_verified=True,
            preferred_username=self.username,
            email=f"{self.username}@sandbox.invalid",
        )
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def _refresh_token(self, session: Session) -> str:
        claims = self._claims(session, "Refresh", self.refresh_lifetime)
        claims["aud"] = self.issuer
        return jwt.encode(claims, self._refresh_secret, algorithm="HS512")

    def _issue(self, session: Session) -> dict[str, Any]:
        access = self.tokens.issue(
            kind="access",
            subject=session.id,
            lifetime=self.access_lifetime,
            make=lambda: self._access_token(session),
        )
        refresh = self.tokens.issue(
            kind="refresh",
            subject=session.id,
            lifetime=self.refresh_lifetime,
            make=lambda: self._refresh_token(session),
        )
        return {
            "access_token": access.value,
            "expires_in": int(self.access_lifetime),
            "refresh_expires_in": int(self.refresh_lifetime),
            "refresh_token": refresh.value,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session.id,
            "scope": SCOPE,
        }

    def password_grant(self, form: dict[str, str], client_id: str) -> web.Response:
        """``grant_type=password``."""
        if form.get("username") != self.username or form.get("password") != self.password:
            return keycloak_error(401, "invalid_grant", "Invalid user credentials")
        session = Session(id=str(uuid.uuid4()), subject=self.subject, client_id=client_id)
        with self._lock:
            self._sessions[session.id] = session
        return web.json_response(self._issue(session))

    def refresh_grant(self, form: dict[str, str], client_id: str) -> web.Response:
        """``grant_type=refresh_token`` (rotating: the presented token dies)."""
        value = form.get("refresh_token")
        if not value:
            return keycloak_error(400, "invalid_request", "Missing parameter: refresh_token")
        state, token = self.tokens.check(value, kind="refresh")
        if state is TokenState.UNKNOWN or token is None:
            return keycloak_error(400, "invalid_grant", "Invalid refresh token")
        if state is TokenState.REVOKED:
            with self._lock:
                rotated = value in self._rotated
            message = (
                "Maximum allowed refresh token reuse exceeded" if rotated else "Session not active"
            )
            return keycloak_error(400, "invalid_grant", message)
        if state is TokenState.EXPIRED:
            return keycloak_error(400, "invalid_grant", "Token is not active")
        with self._lock:
            session = self._sessions.get(token.subject)
        if session is None:
            return keycloak_error(400, "invalid_grant", "Session not active")
        if session.client_id != client_id:
            message = "Invalid refresh token. Token client and authorized client don't match"
            return keycloak_error(400, "invalid_grant", message)
        with self._lock:
            self._rotated.add(value)
        self.tokens.revoke(value)
        return web.json_response(self._issue(session))

    def check_access(self, value: str) -> tuple[TokenState, IssuedToken | None]:
        """The state of a presented access token."""
        return self.tokens.check(value, kind="access")

    def revoke_all(self) -> int:
        """Log every session out (admin hook): every token dies."""
        with self._lock:
            self._sessions.clear()
        return self.tokens.revoke_all()

    # -- HTTP ----------------------------------------------------------------------------

    async def token_endpoint(self, request: web.Request) -> web.Response:
        """``POST .../protocol/openid-connect/token``."""
        if request.content_type != "application/x-www-form-urlencoded":
            return keycloak_error(400, "invalid_request", "Missing form parameter: grant_type")
        form = {k: str(v) for k, v in (await request.post()).items()}
        grant = form.get("grant_type")
        if not grant:
            return keycloak_error(400, "invalid_request", "Missing form parameter: grant_type")
        client_id = form.get("client_id")
        if not client_id:
            return keycloak_error(400, "invalid_client", "Missing client_id parameter")
        if client_id not in CLIENTS:
            return keycloak_error(
                401, "invalid_client", "Invalid client or Invalid client credentials"
            )
        if grant == "password":
            return self.password_grant(form, client_id)
        if grant == "refresh_token":
            return self.refresh_grant(form, client_id)
        return keycloak_error(400, "unsupported_grant_type", "Unsupported grant_type")

    def routes(self) -> list[web.RouteDef]:
        """The realm's routes."""

        async def discovery(_: web.Request) -> web.Response:
            return web.json_response(self.discovery())

        async def certs(_: web.Request) -> web.Response:
            return web.json_response(self.jwks())

        return [
            web.get(DISCOVERY_PATH, discovery),
            web.get(CERTS_PATH, certs),
            web.post(TOKEN_PATH, self.token_endpoint),
        ]
