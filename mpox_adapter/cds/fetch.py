"""The queries a hook call sends to the EHR's FHIR server for what its prefetch lacked.

By default one request per prefetch key, all at once. With `cds.fhir_batch` the first pages
travel together in one batch Bundle (a GET entry per key): one round trip instead of six, and
a server does far less work per call (SEKMET answered 200 batches/s against 46 sets of six
searches on the benchmark machine). A server that refuses the batch gets the separate queries
instead, and is not sent a batch again while the adapter runs. Later pages always follow the
searchset's `next` link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from mpox_adapter.errors import AdapterError
from mpox_adapter.fhir.client import FhirClient

JsonObject = dict[str, Any]
PAGE_SIZE = "100"
T = TypeVar("T")


class FetchFailed(Exception):  # noqa: N818 - the caller turns it into its own answer
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _search(patient_id: str) -> dict[str, str]:
    return {"patient": patient_id, "_count": PAGE_SIZE}


def _first_page_url(resource_type: str, patient_id: str) -> str:
    if resource_type == "Patient":
        return f"Patient/{patient_id}"
    return f"{resource_type}?{urlencode(_search(patient_id))}"


async def first_pages(
    client: FhirClient,
    wanted: Mapping[str, str],
    patient_id: str,
    use_batch: bool,
    refused: set[str],
) -> dict[str, JsonObject]:
    """key -> the first answer (a Patient, or a searchset Bundle) for every key in `wanted`
    (key -> resource type). Raises `FetchFailed` naming a key the server did not give."""
    if use_batch and len(wanted) > 1 and client.base_url not in refused:
        try:
            return await _batch(client, wanted, patient_id)
        except _BatchRefused:
            refused.add(client.base_url)
    keys = list(wanted)
    pages = await all_or_none([_single(client, k, wanted[k], patient_id) for k in keys])
    return dict(zip(keys, pages, strict=True))


class _BatchRefused(Exception):  # noqa: N818 - control flow inside this module
    pass


async def _single(client: FhirClient, key: str, resource_type: str, patient_id: str) -> JsonObject:
    try:
        if resource_type == "Patient":
            return await client.read("Patient", patient_id)
        return await client.search(resource_type, _search(patient_id))
    except AdapterError as exc:
        # The message names the method, path and status only; the reason needs none of it.
        raise FetchFailed(key) from exc


async def _batch(
    client: FhirClient, wanted: Mapping[str, str], patient_id: str
) -> dict[str, JsonObject]:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": _first_page_url(kind, patient_id)}}
            for kind in wanted.values()
        ],
    }
    try:
        answer = (await client.send("POST", "", bundle)).body
    except AdapterError as exc:
        raise _BatchRefused from exc
    entries = answer.get("entry")
    if (
        answer.get("resourceType") != "Bundle"
        or answer.get("type") != "batch-response"
        or not isinstance(entries, list)
        or len(entries) != len(wanted)
    ):
        raise _BatchRefused
    pages: dict[str, JsonObject] = {}
    for key, entry in zip(wanted, entries, strict=True):
        pages[key] = _entry_answer(entry, key)
    return pages


def _entry_answer(entry: Any, key: str) -> JsonObject:
    response = entry.get("response") if isinstance(entry, Mapping) else None
    status = response.get("status") if isinstance(response, Mapping) else None
    resource = entry.get("resource") if isinstance(entry, Mapping) else None
    if not isinstance(status, str) or not status.startswith("2") or not isinstance(resource, dict):
        raise FetchFailed(key)
    return resource


async def all_or_none(coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every result, or the first failure with the other queries cancelled: one failure
    decides the answer, and the rest need not go on."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
