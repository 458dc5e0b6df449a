"""Service keys and the ``@@oauth2-token`` JWT-bearer grant (ftw.tokenauth, as run by CLMS).

A service key is an RSA key pair the user downloads once as JSON; the client signs an RS256 JWT
grant with it and exchanges the grant for an opaque 88-character access token valid 3600 s.
The checks and their messages follow ftw.tokenauth's ``OAuth2TokenEndpoint`` and
``JWTBearerGrantProcessor`` in order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stacsync.sandbox.clms.constants import JWT_BEARER_GRANT_TYPE


@dataclass(frozen=True)
class ServiceKey:
    """One issued service key (the server keeps the public half)."""

    client_id: str
    key_id: str
    user_id: str
    title: str
    issued: str
    token_uri: str
    private_key: str
    """PKCS#1 PEM (``-----BEGIN RSA PRIVATE KEY-----``)."""
    public_key: str

    def as_json(self) -> dict[str, Any]:
        """The service-key JSON in the documented format (what the user downloads)."""
        return {
            "client_id": self.client_id,
            "ip_range": None,
            "issued": self.issued,
            "key_id": self.key_id,
            "private_key": self.private_key,
            "title": self.title,
            "token_uri": self.token_uri,
            "user_id": self.user_id,
        }

    def write(self, path: Path) -> Path:
        """Write the service-key JSON to ``path`` (mode 0600)."""
        path.write_text(json.dumps(self.as_json(), indent=2), encoding="utf-8")
        path.chmod(0o600)
        return path


def new_service_key(*, user_id: str, title: str, token_uri: str, issued: datetime) -> ServiceKey:
    """Generate a 2048-bit RSA service key like the site's ``@service-keys`` POST."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return ServiceKey(
        client_id=secrets.token_hex(16),
        key_id=hashlib.sha1(public_pem.encode(), usedforsecurity=False).hexdigest(),
        user_id=user_id,
        title=title,
        issued=issued.replace(tzinfo=None).isoformat(),
        token_uri=token_uri,
        private_key=private_pem,
        public_key=public_pem,
    )


def access_token_value() -> str:
    """An opaque access token: ``urlsafe_b64encode(os.urandom(64))``, 88 characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).decode()


class GrantError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON error body."""
        return {"error": self.error, "error_description": self.description}


def _invalid_request(description: str, status: int = 400) -> GrantError:
    return GrantError("invalid_request", description, status)


def _invalid_grant(description: str) -> GrantError:
    return GrantError("invalid_grant", description)


def wall_clock() -> float:
    """The client's clock, against which grant ``iat``/``exp`` are judged.

    Clients sign grants with their wall clock (``int(time.time())`` in every documented
    example), so these two claims are compared with real time, not the sandbox clock: a
    sandbox advanced by hours must still accept a freshly signed grant. Access-token expiry,
    which is server state, follows the sandbox clock.
    """
    return time.time()


class KeyRing:
    """The service keys the site knows, by (client_id, user_id)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], ServiceKey] = {}
        self._lock = threading.Lock()

    def add(self, key: ServiceKey) -> None:
        """Register a key."""
        with self._lock:
            self._keys[(key.client_id, key.user_id)] = key

    def revoke(self, client_id: str) -> None:
        """Delete a key (its grants then get ``No associated key found``)."""
        with self._lock:
            for ident in [i for i in self._keys if i[0] == client_id]:
                del self._keys[ident]

    def get(self, client_id: object, user_id: object) -> ServiceKey | None:
        """The key of ``client_id`` owned by ``user_id``."""
        with self._lock:
            return self._keys.get((str(client_id), str(user_id)))


def verify_grant(
    form: Mapping[str, str],
    *,
    method: str,
    keys: KeyRing,
    token_uri: str,
    now: Callable[[], float] = wall_clock,
) -> ServiceKey:
    """Check a token request; return the service key it is tied to or raise GrantError."""
    if method.upper() != "POST":
        raise _invalid_request("POST only", status=405)
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _invalid_request("Missing 'grant_type'")
    if grant_type != JWT_BEARER_GRANT_TYPE:
        raise _invalid_request(f"Only grant type {JWT_BEARER_GRANT_TYPE!r} is supported")
    assertion = form.get("assertion")
    if not assertion:
        raise _invalid_request("Missing 'assertion'")
    try:
        header = jwt.get_unverified_header(assertion)
        if header.get("alg") != "RS256":
            raise _invalid_request("Only RS256 signature algorithm is supported")
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise _invalid_grant(str(exc)) from exc
    key = keys.get(unverified.get("iss"), unverified.get("sub"))
    if key is None:
        raise _invalid_grant("No associated key found")
    _verify_claims(assertion, key, token_uri, now())
    return key


def _verify_claims(assertion: str, key: ServiceKey, token_uri: str, now: float) -> None:
    """``JWTBearerGrantProcessor.verify`` (PyJWT's checks first, then ftw.tokenauth's)."""
    try:
        claims = jwt.decode(
            assertion,
            key.public_key,
            algorithms=["RS256"],
            audience=token_uri,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError as exc:
        raise _invalid_grant(str(exc)) from exc
    iat, exp = claims.get("iat"), claims.get("exp")
    if iat is not None and not _is_number(iat):
        raise _invalid_grant("Issued At claim (iat) must be an integer.")
    if exp is not None and not _is_number(exp):
        raise _invalid_grant("Expiration Time claim (exp) must be an integer.")
    if exp is not None and exp <= now:
        raise _invalid_grant("Signature has expired")
    if claims.get("iss") != key.client_id:
        raise _invalid_grant("JWT issuer doesn't match client_id of service key")
    if claims.get("sub") != key.user_id:
        raise _invalid_grant("JWT subject doesn't match user_id of service key")
    if not exp:
        raise _invalid_grant("Missing 'exp' claim")
    if exp - now > 86400:
        raise _invalid_grant("JWT expiration is more than a day in the future")
    if "nbf" in claims:
        raise _invalid_grant("The 'nbf' claim is not suppported")
    if not iat:
        raise _invalid_grant("Missing 'iat' claim")
    if now - iat > 3600:
        raise _invalid_grant("JWT was issued more than an hour in the past")
    if iat - now > 60:
        raise _invalid_grant("JWT issue time is in the future")
    if "scope" in claims:
        raise _invalid_grant("Scopes are not supported yet")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
