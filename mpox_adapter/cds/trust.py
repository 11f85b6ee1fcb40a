"""Who may call the CDS service: the JWT every CDS Hooks call carries (spec 2.0.1, "Trusting
CDS Clients").

A token is accepted only when its `iss` is allowlisted in `cds.trusted_issuers`, its signature
verifies with an asymmetric key (by `kid`) from that issuer's JWKS, `aud` names the endpoint
called, `exp`/`iat`/`nbf` hold within the allowed clock skew, and its `jti` was not seen
before. A `jku` header is honoured only when it is that issuer's configured JWKS URL. Every
failure raises `Unauthorized` with a reason for the log; the caller answers a bare 401.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
from jwt.exceptions import PyJWKError, PyJWTError

from mpox_adapter.settings import CdsSettings

log = logging.getLogger(__name__)

# The asymmetric algorithms CDS Hooks allows; never `none`, never HMAC (a JWKS is public).
ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
JWKS_TTL_SECONDS = 300.0
JWKS_MIN_REFRESH_SECONDS = 30.0
"""An unknown `kid` re-reads a JWKS URL at most this often, so bad tokens cannot flood it."""
MAX_JWKS_BYTES = 256 * 1024
MAX_REMEMBERED_JTIS = 200_000
_REQUIRED = ("iss", "aud", "exp", "iat", "jti")
# PyJWT's own signature checks, one per allowed algorithm (it knows the encodings: raw EC
# signatures, PSS padding).
_VERIFIERS = {name: jwt.algorithms.get_default_algorithms()[name] for name in ALGORITHMS}


class Unauthorized(Exception):  # noqa: N818 - named after the HTTP answer it becomes
    """The caller is not trusted; `reason` is for the log, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class VerificationKey:
    jwk: Mapping[str, Any]
    """The public JWK as published (its `alg`, `kty` and `crv` decide what it may verify)."""
    key: Any
    """The `cryptography` public key."""

    def fits(self, alg: str) -> bool:
        if self.jwk.get("alg") not in (None, alg):
            return False
        if alg.startswith("ES"):
            return self.jwk.get("kty") == "EC" and self.jwk.get("crv") == _CURVES[alg]
        return self.jwk.get("kty") == "RSA"


@dataclass
class _KeySet:
    keys: dict[str, list[VerificationKey]] = field(default_factory=dict)
    loaded_at: float = float("-inf")
    version: object = None
    """A file's modification time, so that a rotated key file is picked up."""


class JwksSource:
    """One issuer's keys, from a JWKS file or an https URL, cached."""

    def __init__(
        self, location: str, transport: httpx.AsyncBaseTransport | None, clock: Callable[[], float]
    ) -> None:
        self.location = location
        self.is_url = location.startswith("https://")
        self._transport = transport
        self._clock = clock
        self._cache = _KeySet()
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> list[VerificationKey]:
        keys = await self._current(refresh=False)
        if kid not in keys:
            keys = await self._current(refresh=True)
        found = keys.get(kid)
        if not found:
            raise Unauthorized(f"no key {kid!r} in the issuer's JWKS")
        return found

    async def _current(self, refresh: bool) -> dict[str, list[VerificationKey]]:
        now = self._clock()
        if not self.is_url:
            return self._from_file()
        age = now - self._cache.loaded_at
        if age < JWKS_TTL_SECONDS and not (refresh and age >= JWKS_MIN_REFRESH_SECONDS):
            return self._cache.keys
        async with self._lock:
            if self._cache.loaded_at < now - (JWKS_MIN_REFRESH_SECONDS if refresh else 0):
                self._cache = _KeySet(parse_jwks(await self._fetch()), self._clock())
        return self._cache.keys

    def _from_file(self) -> dict[str, list[VerificationKey]]:
        path = Path(self.location)
        try:
            version = path.stat().st_mtime_ns
            if version != self._cache.version:
                self._cache = _KeySet(parse_jwks(orjson.loads(path.read_bytes())), 0.0, version)
        except (OSError, orjson.JSONDecodeError) as exc:
            raise Unauthorized(f"JWKS file unreadable: {type(exc).__name__}") from exc
        return self._cache.keys

    async def _fetch(self) -> Any:
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=3.0, follow_redirects=False
            ) as client:
                response = await client.get(self.location, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise Unauthorized(f"JWKS fetch failed: {type(exc).__name__}") from exc
        if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
            raise Unauthorized(f"JWKS fetch answered HTTP {response.status_code}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise Unauthorized("JWKS is not JSON") from exc


def parse_jwks(document: Any) -> dict[str, list[VerificationKey]]:
    """Verification keys by `kid`. Private members are dropped (some test JWKS ship the private
    half too) and symmetric, encryption-only or kid-less keys are skipped."""
    keys: dict[str, list[VerificationKey]] = {}
    raw_keys = document.get("keys") if isinstance(document, Mapping) else None
    for raw in raw_keys if isinstance(raw_keys, list) else ():
        if not isinstance(raw, Mapping) or not isinstance(raw.get("kid"), str):
            continue
        if raw.get("kty") not in ("RSA", "EC") or raw.get("use", "sig") != "sig":
            continue
        if "key_ops" in raw and "verify" not in (raw.get("key_ops") or ()):
            continue
        public = {k: v for k, v in raw.items() if k not in _PRIVATE_MEMBERS}
        if public.get("alg") is not None and public["alg"] not in ALGORITHMS:
            continue
        try:
            key = jwt.PyJWK(public).key
        except (PyJWKError, PyJWTError, ValueError, TypeError):
            continue
        keys.setdefault(raw["kid"], []).append(VerificationKey(public, key))
    return keys


class ReplayCache:
    """`jti`s of accepted tokens, each kept until its token has expired (plus skew)."""

    def __init__(self, clock: Callable[[], float], limit: int = MAX_REMEMBERED_JTIS) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._expiries: list[tuple[float, tuple[str, str]]] = []
        self._clock = clock
        self._limit = limit

    def check_and_remember(self, issuer: str, jti: str, until: float) -> None:
        now = self._clock()
        while self._expiries and self._expiries[0][0] <= now:
            _, old = heapq.heappop(self._expiries)
            if self._seen.get(old, now + 1) <= now:
                del self._seen[old]
        key = (issuer, jti)
        if self._seen.get(key, now) > now:
            raise Unauthorized("jti replayed")
        if len(self._seen) >= self._limit:
            # Refusing is safer than forgetting a jti that could then be replayed.
            raise Unauthorized("too many live tokens to remember")
        self._seen[key] = until
        heapq.heappush(self._expiries, (until, key))


class TokenVerifier:
    def __init__(
        self,
        settings: CdsSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._skew = settings.clock_skew_seconds
        self._clock = clock
        self._sources = {
            iss: JwksSource(location, transport, clock)
            for iss, location in settings.trusted_issuers.items()
        }
        self.replays = ReplayCache(clock)

    async def verify(self, authorization: str | None, audiences: Sequence[str]) -> dict[str, Any]:
        """The claims of the request's bearer JWT, or `Unauthorized`."""
        token = _bearer(authorization)
        try:
            # Parsed once; the signature is checked below, with the key the header names.
            parts = jwt.api_jwt.decode_complete(token, options={"verify_signature": False})
        except PyJWTError as exc:
            raise Unauthorized(f"malformed JWT ({type(exc).__name__})") from exc
        header: dict[str, Any] = parts["header"]
        claims: dict[str, Any] = parts["payload"]
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized(f"algorithm {alg!r} not allowed")
        missing = [name for name in _REQUIRED if name not in claims]
        if missing:
            raise Unauthorized(f"JWT lacks {', '.join(missing)}")
        iss = claims["iss"]
        source = self._sources.get(iss) if isinstance(iss, str) else None
        if source is None:
            raise Unauthorized("issuer not trusted")
        jku = header.get("jku")
        if jku is not None and not (source.is_url and jku == source.location):
            raise Unauthorized("jku is not the issuer's configured JWKS URL")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("JWT header has no kid")
        key = _matching_key(await source.key(kid), alg)
        signing_input = token.rsplit(".", 1)[0].encode()
        if not _VERIFIERS[alg].verify(signing_input, key.key, parts["signature"]):
            raise Unauthorized("invalid signature")
        aud = claims["aud"]
        named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in audiences for a in named):
            raise Unauthorized("aud does not name the endpoint called")
        expires = self._check_times(claims)
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise Unauthorized("jti must be a non-empty string")
        self.replays.check_and_remember(iss, jti, expires + self._skew)
        return claims

    def _check_times(self, claims: Mapping[str, Any]) -> float:
        now, skew = self._clock(), self._skew
        exp, iat, nbf = (_seconds(claims, name) for name in ("exp", "iat", "nbf"))
        if exp is None or exp < now - skew:
            raise Unauthorized("JWT expired")
        if iat is None or iat > now + skew:
            raise Unauthorized("JWT issued in the future")
        if nbf is not None and nbf > now + skew:
            raise Unauthorized("JWT not yet valid (nbf)")
        return exp


def _seconds(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"{name} is not a number")
    return float(value)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("no bearer token")
    return token.strip()


def _matching_key(candidates: list[VerificationKey], alg: str) -> VerificationKey:
    for key in candidates:
        if key.fits(alg):
            return key
    raise Unauthorized(f"no key of the issuer fits algorithm {alg}")
