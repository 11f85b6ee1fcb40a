"""The patient's data for a hook call: from the request's prefetch, or fetched from its
`fhirServer` when the prefetch lacks it.

Per prefetch key the client may send nothing (absent: we fetch), `null` (it found nothing),
an OperationOutcome (it tried and failed: the spec asks us not to query again) or the result
(a resource or a searchset Bundle, possibly with a `next` page we fetch). A `fhirServer` is
called only when it is in `cds.allowed_fhir_servers`, checked before any network call; paging
follows `next` links only on that same server. Whatever is needed and cannot be had raises
`PrefetchUnavailable` (412).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from mpox_adapter.cds.fetch import FetchFailed, all_or_none, first_pages
from mpox_adapter.cds.requests import HookRequest
from mpox_adapter.cds.services import PREFETCH, Service
from mpox_adapter.errors import AdapterError, InputError
from mpox_adapter.fhir.client import FhirClient
from mpox_adapter.settings import CdsSettings, is_loopback_host

JsonObject = dict[str, Any]
_FAILED = frozenset({"error", "fatal"})


class PrefetchUnavailable(Exception):  # noqa: N818 - named after the HTTP answer it becomes
    """Data the service needs cannot be had; `reason` goes to the caller (no personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class PatientData:
    patient: JsonObject
    resources: dict[str, list[JsonObject]] = field(default_factory=dict)
    """Prefetch key -> the patient's resources of that key's type."""
    fetched: tuple[str, ...] = ()
    """Keys (some of) whose data came from the FHIR server rather than the prefetch."""

    def of(self, key: str) -> list[JsonObject]:
        return self.resources.get(key, [])


@dataclass
class _Partial:
    resources: list[JsonObject]
    next_url: str | None


async def gather(
    request: HookRequest,
    service: Service,
    settings: CdsSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    batch_refused: set[str] | None = None,
) -> PatientData:
    """`batch_refused`: the servers that answered a batch with an error (kept by the caller
    for the life of the app, so that they are not sent one again)."""
    found: dict[str, list[JsonObject]] = {}
    pending: dict[str, str | None] = {}  # key -> next page URL, or None: run the query
    for key in service.prefetch:
        if key not in request.prefetch:
            pending[key] = None
            continue
        partial = _read_prefetch(key, request.prefetch[key], request.patient_id)
        found[key] = partial.resources
        if partial.next_url is not None:
            pending[key] = partial.next_url
    if pending:
        client = _client_for(request, settings, transport, missing=sorted(pending))
        try:
            async with client, asyncio.timeout(settings.fhir_timeout_seconds):
                fetched = await _fetch_all(
                    client, pending, request.patient_id, settings, batch_refused
                )
        except TimeoutError as exc:
            raise PrefetchUnavailable("the FHIR server did not answer in time") from exc
        for key, resources in fetched.items():
            found[key] = found.get(key, []) + resources
    patients = found.pop("patient", [])
    if not patients:
        raise PrefetchUnavailable("the patient is not available")
    return PatientData(patients[0], found, tuple(pending))


def _read_prefetch(key: str, value: Any, patient_id: str) -> _Partial:
    wanted = PREFETCH[key][1]
    if value is None:
        return _Partial([], None)
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        if _failed(value):
            raise PrefetchUnavailable(f"the client could not prefetch {key}")
        return _Partial([], None)
    if kind == "Bundle":
        return _Partial(_entries(value, wanted, patient_id, key), _next_link(value))
    if kind != wanted:
        raise InputError(f"expected {wanted} or a Bundle, got {kind}", f"prefetch.{key}")
    if wanted == "Patient" and value.get("id") not in (None, patient_id):
        raise InputError("the prefetched Patient is not context.patientId", f"prefetch.{key}.id")
    return _Partial([value] if _belongs_to(value, patient_id) else [], None)


def _entries(bundle: Mapping[str, Any], wanted: str, patient_id: str, key: str) -> list[JsonObject]:
    kept: list[JsonObject] = []
    for entry in bundle.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        if kind == "OperationOutcome":
            # Epic sends "no results" as a warning outcome entry; an error means lost data.
            if _failed(resource):
                raise PrefetchUnavailable(f"the search for {key} reported an error")
        elif kind == wanted and _belongs_to(resource, patient_id):
            # Searchsets may carry _include'd resources of other types; those stay out.
            kept.append(resource)
    return kept


def _failed(outcome: Mapping[str, Any]) -> bool:
    return any(
        isinstance(issue, Mapping) and issue.get("severity") in _FAILED
        for issue in outcome.get("issue") or ()
    )


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


_SUBJECT_FIELDS = ("subject", "patient")


def _belongs_to(resource: Mapping[str, Any], patient_id: str) -> bool:
    """False only for a resource that names another patient: a search result must never mix
    another person's record into this patient's answer."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") in (None, patient_id)
    for name in _SUBJECT_FIELDS:
        ref = resource.get(name)
        reference = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(reference, str) and "Patient/" in reference:
            return reference.rsplit("Patient/", 1)[1].split("/", 1)[0] == patient_id
    return True


def _client_for(
    request: HookRequest,
    settings: CdsSettings,
    transport: httpx.AsyncBaseTransport | None,
    missing: Iterable[str],
) -> FhirClient:
    server = request.fhir_server
    what = ", ".join(missing)
    if server is None:
        raise PrefetchUnavailable(f"prefetch lacks {what} and the request has no fhirServer")
    if not allowed_server(server, settings):
        raise PrefetchUnavailable(f"prefetch lacks {what} and fhirServer is not allowed")
    headers = {}
    if request.authorization is not None:
        headers["Authorization"] = f"Bearer {request.authorization.access_token}"
    return FhirClient(
        server,
        transport=transport,
        timeout=httpx.Timeout(settings.fhir_timeout_seconds),
        headers=headers,
    )


def allowed_server(server: str, settings: CdsSettings) -> bool:
    """Exactly one of the configured servers (no prefix match: a path could escape it)."""
    parts = urlsplit(server)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.allow_loopback_fhir):
        return False
    if is_loopback_host(parts.hostname) and not settings.allow_loopback_fhir:
        return False
    return server.rstrip("/") in settings.allowed_fhir_servers


def _on_server(url: str, server: str) -> bool:
    """Whether a next link stays under the FHIR base (as httpx will send it: dot segments
    resolved, and no encoded ones left to climb out with)."""
    try:
        base, target = httpx.URL(server.rstrip("/") + "/"), httpx.URL(url)
    except httpx.InvalidURL:
        return False
    same_origin = (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
    climbs = ".." in target.path.split("/")
    return same_origin and not climbs and (target.path + "/").startswith(base.path)


async def _fetch_all(
    client: FhirClient,
    pending: Mapping[str, str | None],
    patient_id: str,
    settings: CdsSettings,
    batch_refused: set[str] | None,
) -> dict[str, list[JsonObject]]:
    wanted = {key: PREFETCH[key][1] for key, url in pending.items() if url is None}
    refused = batch_refused if batch_refused is not None else set()
    try:
        firsts = await first_pages(client, wanted, patient_id, settings.fhir_batch, refused)
    except FetchFailed as exc:
        raise PrefetchUnavailable(f"the FHIR server failed to give {exc.key}") from exc
    keys = list(pending)
    results = await all_or_none(
        [
            _pages(client, key, firsts.get(key), pending[key], patient_id, settings.max_fhir_pages)
            for key in keys
        ]
    )
    return dict(zip(keys, results, strict=True))


async def _pages(
    client: FhirClient,
    key: str,
    first: JsonObject | None,
    next_url: str | None,
    patient_id: str,
    max_pages: int,
) -> list[JsonObject]:
    """The resources of one key: its first answer (already fetched), then any next pages."""
    wanted = PREFETCH[key][1]
    if wanted == "Patient":
        if first is None or first.get("resourceType") != "Patient":
            raise PrefetchUnavailable("the FHIR server answered no Patient")
        return [first]
    pages, resources = 0, []
    if first is not None:
        pages, resources = 1, _entries(first, wanted, patient_id, key)
        next_url = _next_link(first)
    try:
        while next_url is not None:
            if pages >= max_pages:
                raise PrefetchUnavailable(f"{key} has more than {max_pages} pages")
            if not _on_server(next_url, client.base_url):
                raise PrefetchUnavailable(f"a next link of {key} leaves the FHIR server")
            page = (await client.send("GET", next_url)).body
            pages += 1
            resources += _entries(page, wanted, patient_id, key)
            next_url = _next_link(page)
    except AdapterError as exc:
        # The message names the method, path and status only; the reason needs none of it.
        raise PrefetchUnavailable(f"the FHIR server failed to give {key}") from exc
    return resources
