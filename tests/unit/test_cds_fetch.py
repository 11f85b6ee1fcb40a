"""Fetching missing prefetch data in one batch Bundle (`cds.fhir_batch`), and what happens
when the server refuses the batch or fails one of its entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from mpox_adapter.cds.services import PREFETCH
from tests.unit.test_cds_http import FHIR, TODAY, VACCINATION, searchset, serve, syphilis_case
from tests.unit.test_cds_support import (
    EHR_AUTHORIZATION,
    SigningKey,
    bearer,
    cds_client,
    cds_settings,
    hook_request,
    make_key,
    write_jwks,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def key() -> SigningKey:
    return make_key("ES384")


@pytest.fixture
def settings(make_settings: Any, tmp_path: Path, key: SigningKey) -> Any:
    jwks = write_jwks(tmp_path / "jwks.json", key)
    return cds_settings(make_settings, jwks, allowed_fhir_servers=[FHIR], fhir_batch=True)


def batch_answer(prefetch: dict[str, Any], request: httpx.Request, **override: Any) -> Any:
    """A batch-response with each GET of the request answered from `prefetch`."""
    entries = []
    for entry in json.loads(request.content)["entry"]:
        url = entry["request"]["url"]
        kind = url.split("?")[0].split("/")[0]
        key = next(k for k, (_, t) in PREFETCH.items() if t == kind)
        if key in override:
            entries.append(override[key])
        elif key == "patient":
            entries.append({"resource": prefetch["patient"], "response": {"status": "200 OK"}})
        else:
            found = [e["resource"] for e in prefetch[key]["entry"]]
            entries.append({"resource": searchset(*found), "response": {"status": "200"}})
    return {"resourceType": "Bundle", "type": "batch-response", "entry": entries}


async def test_one_batch_replaces_the_six_queries(settings: Any, key: SigningKey) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request(
        "patient-view", patient["id"], fhirServer=FHIR, fhirAuthorization=EHR_AUTHORIZATION
    )
    with respx.mock(assert_all_mocked=True) as mock:
        batch = mock.post(FHIR).mock(
            side_effect=lambda r: httpx.Response(200, json=batch_answer(prefetch, r))
        )
        async with cds_client(settings, TODAY) as (client, _):
            answer = await client.post(VACCINATION, json=body, headers=bearer(key, VACCINATION))
        assert [c.request.method for c in mock.calls] == ["POST"]
        sent = json.loads(batch.calls[0].request.content)
        assert sent["type"] == "batch"
        assert {e["request"]["method"] for e in sent["entry"]} == {"GET"}
        assert f"Patient/{patient['id']}" in [e["request"]["url"] for e in sent["entry"]]
        assert batch.calls[0].request.headers["authorization"] == "Bearer ehr-token"
    assert answer.status_code == 200
    assert answer.json()["cards"][0]["summary"].startswith("Mpox vaccine: dose 1 of 2")


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(405),
        httpx.Response(400, json={"resourceType": "OperationOutcome", "issue": []}),
        httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []}),
        httpx.Response(
            200,
            json={
                "resourceType": "Bundle",
                "type": "batch-response",
                "entry": [{"response": {"status": "200"}}],
            },
        ),
    ],
    ids=["405", "400", "not-a-batch-response", "wrong-entry-count"],
)
async def test_a_server_refusing_batches_gets_queries_and_no_second_batch(
    settings: Any, key: SigningKey, refusal: httpx.Response
) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)
    with respx.mock(assert_all_mocked=True) as mock:
        refused = mock.post(FHIR).mock(return_value=refusal)
        routes = serve(mock, prefetch)
        async with cds_client(settings, TODAY) as (client, _):
            for _ in range(2):
                answer = await client.post(VACCINATION, json=body, headers=bearer(key, VACCINATION))
                assert answer.status_code == 200
        assert refused.call_count == 1
        assert routes["patient"].call_count == 2


async def test_a_failed_entry_is_412_and_next_pages_are_followed(
    settings: Any, key: SigningKey
) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)
    missing = {"response": {"status": "404 Not Found"}}
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(FHIR).mock(
            side_effect=lambda r: httpx.Response(
                200, json=batch_answer(prefetch, r, patient=missing)
            )
        )
        async with cds_client(settings, TODAY) as (client, _):
            answer = await client.post(VACCINATION, json=body, headers=bearer(key, VACCINATION))
    assert answer.status_code == 412
    assert "failed to give patient" in answer.text

    page2 = f"{FHIR}/Condition?patient={patient['id']}&page=2"
    conditions = [e["resource"] for e in prefetch["conditions"]["entry"]]
    first = {"resource": searchset(next_url=page2), "response": {"status": "200 OK"}}
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(FHIR).mock(
            side_effect=lambda r: httpx.Response(
                200, json=batch_answer(prefetch, r, conditions=first)
            )
        )
        second = mock.get(page2).respond(200, json=searchset(*conditions))
        async with cds_client(settings, TODAY) as (client, _):
            answer = await client.post(VACCINATION, json=body, headers=bearer(key, VACCINATION))
        assert second.call_count == 1
    assert answer.json()["cards"][0]["summary"].startswith("Mpox vaccine: dose 1 of 2")
