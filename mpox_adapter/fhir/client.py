"""Async FHIR R4 REST client: the few interactions delivery needs, with errors sorted for retry.

Every failure becomes a `TransientError` (worth retrying) or a `PermanentError` (dead-letter it).
Error messages name the method, the path and the status only: response bodies and query strings
can carry personal data, and these messages end up in logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
import orjson

from mpox_adapter.errors import PermanentError, TransientError

FHIR_JSON = "application/fhir+json"

JsonObject = dict[str, Any]
SearchParams = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class FhirResponse:
    status: int
    headers: httpx.Headers
    body: JsonObject


class FhirClient:
    """A FHIR R4 server at `base_url` (e.g. ``https://fhir.example/fhir``)."""

    def __init__(
        self,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 10.0,
        headers: Mapping[str, str] | None = None,
        **http_options: Any,
    ) -> None:
        """`http_options` go to `httpx.AsyncClient` (``verify`` with a CA bundle, ``cert`` for
        mutual TLS); certificate verification itself is never switched off."""
        if http_options.get("verify") is False:
            raise ValueError("TLS certificate verification cannot be turned off")
        # A trailing slash makes httpx resolve relative paths under the base, not beside it.
        self._base_url = base_url.rstrip("/") + "/"
        all_headers = {"Accept": FHIR_JSON, **(headers or {})}
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=transport,
            timeout=timeout,
            headers=all_headers,
            follow_redirects=False,
            **http_options,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client, for calls beside the FHIR API (an OAuth token endpoint)."""
        return self._http

    @property
    def base_url(self) -> str:
        return self._base_url.rstrip("/")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def metadata(self) -> JsonObject:
        return await self._request("GET", "metadata")

    async def read(self, resource_type: str, id: str) -> JsonObject:
        return await self._request("GET", f"{_segment(resource_type)}/{_segment(id)}")

    async def create(self, resource: Mapping[str, Any]) -> JsonObject:
        return await self._request("POST", _segment(_type_of(resource)), body=resource)

    async def update(self, resource: Mapping[str, Any]) -> JsonObject:
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            # Raised before sending: an update without an id would be a create on many servers.
            raise PermanentError("update needs a resource with an id")
        return await self._request(
            "PUT", f"{_segment(_type_of(resource))}/{_segment(rid)}", body=resource
        )

    async def transaction(self, bundle: Mapping[str, Any]) -> JsonObject:
        return await self._request("POST", "", body=bundle)

    async def search(self, resource_type: str, params: SearchParams) -> JsonObject:
        """Search by GET; pass pairs to repeat a parameter (``[("_tag", "a"), ("_tag", "b")]``)."""
        # A tuple, not the caller's list: httpx types its list parameter invariantly.
        query = params if isinstance(params, Mapping) else tuple(params)
        return await self._request("GET", _segment(resource_type), params=query)

    async def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
    ) -> JsonObject:
        return (await self.send(method, path, body, params=params)).body

    async def send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
    ) -> FhirResponse:
        """One interaction; the answer's status, headers and JSON body (``{}`` when empty)."""
        where = f"{method} /{path}"
        content = None if body is None else orjson.dumps(body)
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = FHIR_JSON
        # [base] itself without the slash that resolving "" against it would leave.
        url = path or self.base_url
        response = await exchange(
            where,
            self._http.request(method, url, content=content, headers=all_headers, params=params),
        )
        status = response.status_code
        if not 200 <= status < 300:
            # Other 4xx, and 3xx too: redirects are not followed, a FHIR base should not move.
            raise PermanentError(f"{where}: HTTP {status}", outcome=_outcome(response.content))
        if not response.content:
            return FhirResponse(status, response.headers, {})
        try:
            parsed = orjson.loads(response.content)
        except orjson.JSONDecodeError as e:
            raise PermanentError(f"{where}: HTTP {status} with a body that is not JSON") from e
        if not isinstance(parsed, dict):
            raise PermanentError(f"{where}: HTTP {status} with a body that is not a JSON object")
        return FhirResponse(status, response.headers, parsed)


def _type_of(resource: Mapping[str, Any]) -> str:
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        raise PermanentError("resource has no resourceType")
    return rtype


def _segment(value: str) -> str:
    # Ids and types come from data we were given; quoting keeps them from adding path segments.
    return quote(value, safe="")


def _outcome(raw: bytes) -> dict[str, object] | None:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict) and parsed.get("resourceType") == "OperationOutcome":
        return parsed
    return None


_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")


async def exchange(where: str, sending: Awaitable[httpx.Response]) -> httpx.Response:
    """Await one HTTP exchange. Time-outs, transport failures and 408, 429 or 5xx answers
    become a `TransientError` (with the wait the server asked for); other answers return."""
    try:
        response = await sending
    except httpx.TimeoutException as e:
        raise TransientError(f"{where}: timed out ({type(e).__name__})") from e
    except httpx.TransportError as e:
        # Connect, network and protocol failures: the server may or may not have acted on it.
        raise TransientError(f"{where}: transport error ({type(e).__name__})") from e
    status = response.status_code
    if status in (408, 429) or status >= 500:
        wait = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        raise TransientError(f"{where}: HTTP {status}", retry_after=wait)
    return response


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from an HTTP `Retry-After` header (RFC 9110 §10.2.3).

    Accepts delta-seconds (fractions tolerated) or an HTTP-date; a date in the past gives 0.
    Anything unparseable gives None, so the caller falls back to its own backoff.
    A naive `now` or date is taken as UTC, which is what HTTP-dates are by definition.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
