"""How the adapter proves who it is to a destination: bearer tokens, OAuth 2.0 and mutual TLS.

``bearer`` reads a fixed token from a file or variable at every use (rotation-friendly);
``client-credentials`` is the OAuth 2.0 client credentials grant with a shared secret;
``smart-backend`` is SMART Backend Services / HelseID: the same grant with a
``private_key_jwt`` client assertion (RFC 7523) signed with RS384 or ES384. OAuth tokens are
cached until shortly before expiry, one refresh shared by concurrent callers. Secrets,
assertions and tokens never appear in error messages or logs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import ssl
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, NoReturn, Protocol, TypeVar
from urllib.parse import quote_plus

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mpox_adapter.errors import ConfigurationError, PermanentError
from mpox_adapter.fhir.client import exchange
from mpox_adapter.settings import (
    AuthSettings,
    BearerAuth,
    ClientCredentialsAuth,
    NoAuth,
    SmartBackendAuth,
    TlsSettings,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60
"""Seconds a client assertion is valid: SMART allows at most 300, HelseID at most 60."""
DEFAULT_TOKEN_LIFETIME = 300.0
"""Assumed when a token response has no ``expires_in`` (SMART's recommended maximum)."""
EARLY_EXPIRY = 60.0
"""A cached token is dropped this long before it expires, or at 90 % of a short lifetime."""

_NO_AUTH = httpx.Auth()  # not the destination client's own auth, if it has one
# RFC 6749 appendix A.7: the characters an OAuth `error` code may contain.
_OAUTH_ERROR = re.compile(r"[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}")


class TokenSource(Protocol):
    async def header(self, client: httpx.AsyncClient) -> dict[str, str]:
        """``{"Authorization": "Bearer ..."}``, or ``{}`` when the destination needs none."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token (after a 401): the next `header` fetches a new one."""
        ...


def token_source(settings: AuthSettings, clock: Callable[[], float] = time.time) -> TokenSource:
    match settings:
        case NoAuth():
            return _NoToken()
        case BearerAuth():
            return _StaticBearer(settings)
        case ClientCredentialsAuth():
            return _ClientSecret(settings, clock)
        case SmartBackendAuth():
            return _SmartBackend(settings, clock)


def tls_options(settings: TlsSettings | None) -> dict[str, Any]:
    """``verify`` for `httpx.AsyncClient`: True, or an SSLContext with the CA and client cert.

    The client certificate goes into the context: httpx 0.28 deprecates its ``cert`` argument.
    """
    if settings is None or (settings.ca_bundle is None and settings.client_cert is None):
        return {"verify": True}
    ca = settings.ca_bundle
    try:
        if ca is None:
            ctx = httpx.create_ssl_context()  # the trust store httpx would use for verify=True
        elif ca.is_dir():
            ctx = ssl.create_default_context(capath=str(ca))
        else:
            ctx = ssl.create_default_context(cafile=str(ca))
    except (OSError, ssl.SSLError) as e:
        raise ConfigurationError(f"cannot load CA bundle {ca}: {e}") from e
    if settings.client_cert is not None:
        key = settings.client_key

        def encrypted() -> NoReturn:  # instead of OpenSSL prompting on the terminal
            raise ConfigurationError(f"client key {key or settings.client_cert} is encrypted")

        try:
            ctx.load_cert_chain(settings.client_cert, key, password=encrypted)
        except (OSError, ssl.SSLError) as e:
            where = f"{settings.client_cert}" + (f" with key {key}" if key else "")
            raise ConfigurationError(f"cannot load client certificate {where}: {e}") from e
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return {"verify": ctx}


def _read_secret(what: str, file: Path | None, env: str | None) -> tuple[str, str]:
    """The stripped secret and where it came from (for messages that must not carry it)."""
    if file is not None:
        where = f"file {file}"
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigurationError(f"cannot read {what} {where}: {e.strerror}") from e
        except UnicodeDecodeError:
            raise ConfigurationError(f"{what} {where} is not UTF-8 text") from None
    else:
        where = f"environment variable {env}"
        value = os.environ.get(env or "", "").strip()
    if not value:
        raise ConfigurationError(f"{what} {where} is missing or empty")
    return value, where


def _header_safe(token: str) -> bool:
    return token.isascii() and token.isprintable() and not any(c.isspace() for c in token)


class _NoToken:
    async def header(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {}

    def invalidate(self) -> None:
        pass


class _StaticBearer:
    def __init__(self, settings: BearerAuth) -> None:
        self._settings = settings

    async def header(self, client: httpx.AsyncClient) -> dict[str, str]:
        s = self._settings
        token, where = _read_secret("bearer token", s.token_file, s.token_env)
        if not _header_safe(token):
            raise ConfigurationError(f"bearer token in {where} has spaces or unusual characters")
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        pass  # the token is read afresh at every use anyway


_OAuth = TypeVar("_OAuth", ClientCredentialsAuth, SmartBackendAuth)


class _CachedToken(ABC, Generic[_OAuth]):
    """An OAuth access token fetched from a token endpoint and kept until shortly before expiry."""

    def __init__(self, settings: _OAuth, clock: Callable[[], float]) -> None:
        self._settings: _OAuth = settings
        self._token_url = settings.token_url
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    @abstractmethod
    def _request(self, now: float) -> tuple[dict[str, str], dict[str, str]]:
        """The form fields and extra headers of a token request."""

    async def header(self, client: httpx.AsyncClient) -> dict[str, str]:
        token = self._cached()
        if token is None:
            async with self._lock:  # one refresh; the others wait for it and reuse its token
                token = self._cached() or await self._refresh(client)
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        self._token = None
        self._valid_until = 0.0

    def _cached(self) -> str | None:
        return self._token if self._clock() < self._valid_until else None

    async def _refresh(self, client: httpx.AsyncClient) -> str:
        started = self._clock()
        form, headers = self._request(started)
        body = await _token_request(client, self._token_url, form, headers)
        token, lifetime = _parse_token(body, f"token response from {self._token_url}")
        self._token = token
        self._valid_until = started + lifetime - min(EARLY_EXPIRY, lifetime / 10)
        return token


class _ClientSecret(_CachedToken[ClientCredentialsAuth]):
    def _request(self, now: float) -> tuple[dict[str, str], dict[str, str]]:
        s = self._settings
        secret, _ = _read_secret("client secret", s.client_secret_file, s.client_secret_env)
        form = {"grant_type": "client_credentials"}
        if s.scope:
            form["scope"] = s.scope
        if s.method == "client_secret_post":
            return form | {"client_id": s.client_id, "client_secret": secret}, {}
        # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
        pair = f"{quote_plus(s.client_id)}:{quote_plus(secret)}".encode()
        return form, {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}


class _SmartBackend(_CachedToken[SmartBackendAuth]):
    def _request(self, now: float) -> tuple[dict[str, str], dict[str, str]]:
        form = {
            "grant_type": "client_credentials",
            "scope": self._settings.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(now),
        }
        return form, {}

    def assertion(self, now: float) -> str:
        """A signed, single-use client assertion (read the key each time: rotation-friendly)."""
        s = self._settings
        key = _private_key(s.key_file, s.alg)
        iat = int(now)
        claims = {
            "iss": s.client_id,
            "sub": s.client_id,
            "aud": s.token_url,
            "jti": str(uuid.uuid4()),
            "iat": iat,
            "nbf": iat,
            "exp": iat + ASSERTION_LIFETIME,
        }
        headers = {"typ": "JWT"}
        if s.kid:
            headers["kid"] = s.kid
        if s.jku:
            headers["jku"] = s.jku
        return jwt.encode(claims, key, algorithm=s.alg, headers=headers)


def _private_key(path: Path, alg: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigurationError(f"cannot read private key file {path}: {e.strerror}") from e
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(f"{path} is not an unencrypted PEM private key") from None
    if alg == "RS384" and isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return key
    if (
        alg == "ES384"
        and isinstance(key, ec.EllipticCurvePrivateKey)
        and isinstance(key.curve, ec.SECP384R1)
    ):
        return key
    need = "an RSA key of at least 2048 bits" if alg == "RS384" else "an EC P-384 key"
    raise ConfigurationError(f"private key {path} does not fit {alg}: it needs {need}")


async def _token_request(
    client: httpx.AsyncClient, url: str, form: dict[str, str], headers: dict[str, str]
) -> object:
    where = f"token request to {url}"
    headers = {
        # Explicit, so that a destination client's default FHIR headers do not apply here.
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        **headers,
    }
    response = await exchange(where, client.post(url, data=form, headers=headers, auth=_NO_AUTH))
    status = response.status_code
    body: object = None
    with contextlib.suppress(ValueError):
        body = response.json()
    if status != 200:
        error = body.get("error") if isinstance(body, dict) else None
        code = error if isinstance(error, str) and _OAUTH_ERROR.fullmatch(error) else None
        detail = f"error {code}" if code else "no OAuth error code"
        raise PermanentError(f"{where}: HTTP {status} ({detail})")
    return body


def _parse_token(body: object, where: str) -> tuple[str, float]:
    """The access token and its lifetime in seconds, from a successful token response."""
    if not isinstance(body, dict):
        raise PermanentError(f"{where} is not a JSON object")
    token = body.get("access_token")
    if not isinstance(token, str) or not token or not _header_safe(token):
        raise PermanentError(f"{where} has no usable access_token")
    token_type = body.get("token_type", "bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise PermanentError(f"{where} has a token_type other than bearer")
    lifetime = body.get("expires_in", DEFAULT_TOKEN_LIFETIME)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not lifetime > 0:
        raise PermanentError(f"{where} has an unusable expires_in")
    return token, min(float(lifetime), 86400.0)
