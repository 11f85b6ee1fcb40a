"""The CDS services without prefetch: the patient's data is fetched from a real FHIR server
(SEKMET) and the cards are the same as with the data prefetched."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.unit.test_cds_support import (
    bearer,
    cds_client,
    cds_settings,
    hook_request,
    make_key,
    prefetch_of,
    vignette_resources,
    write_jwks,
)

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def load_patient(base_url: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]], Any, str]:
    """Store a vignette's patient under fresh ids (one SEKMET serves the whole session)."""
    patient, others, day, jurisdiction = vignette_resources(name)
    suffix = uuid.uuid4().hex[:12]
    text = json.dumps([patient, *others])
    for resource in [patient, *others]:
        old = f"{resource['resourceType']}/{resource['id']}"
        text = text.replace(f'"{old}"', f'"{old}-{suffix}"')
        text = text.replace(f'"id": "{resource["id"]}"', f'"id": "{resource["id"]}-{suffix}"')
    renamed = json.loads(text)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in renamed
        ],
    }
    answer = httpx.post(
        base_url, json=bundle, headers={"Content-Type": "application/fhir+json"}, timeout=30
    )
    assert answer.status_code == 200, answer.text[:2000]
    return renamed[0], renamed[1:], day, jurisdiction


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("no-ppv-g2-syphilis", "mpox-vaccination"),
        ("no-dose2-not-yet-due", "mpox-vaccination"),
        ("dk-case-confirmed-duties", "mpox-case"),
        ("dk-pep-household-day2", "mpox-case"),
    ],
)
@pytest.mark.parametrize("batch", [False, True], ids=["queries", "batch"])
async def test_cards_from_data_fetched_from_sekmet(
    sekmet_base_url: str, make_settings: Any, tmp_path: Path, name: str, service: str, batch: bool
) -> None:
    patient, others, day, jurisdiction = load_patient(sekmet_base_url, name)
    key = make_key("ES384")
    settings = cds_settings(
        make_settings,
        write_jwks(tmp_path / "jwks.json", key),
        jurisdiction=jurisdiction,
        allowed_fhir_servers=[sekmet_base_url],
        allow_loopback_fhir=True,
        fhir_batch=batch,
    )
    path = f"/cds-services/{service}"
    fetched = hook_request("patient-view", patient["id"], fhirServer=sekmet_base_url)
    prefetched = hook_request("patient-view", patient["id"], prefetch_of(patient, others))
    async with cds_client(settings, day) as (client, _):
        from_server = await client.post(path, json=fetched, headers=bearer(key, path))
        from_prefetch = await client.post(path, json=prefetched, headers=bearer(key, path))
    assert from_server.status_code == 200, from_server.text
    cards = from_server.json()["cards"]
    assert cards
    assert _comparable(cards) == _comparable(from_prefetch.json()["cards"])


@pytest.mark.parametrize("batch", [False, True], ids=["queries", "batch"])
async def test_a_patient_the_server_does_not_have_is_412(
    sekmet_base_url: str, make_settings: Any, tmp_path: Path, batch: bool
) -> None:
    key = make_key("ES384")
    settings = cds_settings(
        make_settings,
        write_jwks(tmp_path / "jwks.json", key),
        allowed_fhir_servers=[sekmet_base_url],
        allow_loopback_fhir=True,
        fhir_batch=batch,
    )
    path = "/cds-services/mpox-vaccination"
    body = hook_request("patient-view", f"nobody-{uuid.uuid4().hex}", fhirServer=sekmet_base_url)
    async with cds_client(settings) as (client, _):
        answer = await client.post(path, json=body, headers=bearer(key, path))
    assert answer.status_code == 412


def _comparable(cards: list[dict[str, Any]]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (c["summary"], c["indicator"], tuple(c["extension"]["org.mpox-adapter.rules"]))
        for c in cards
    ]
