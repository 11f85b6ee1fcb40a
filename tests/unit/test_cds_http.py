"""CDS Hooks over HTTP: discovery, status codes (400, 404, 412, 413, 415) as the reference
service has them, prefetch versus fetching from the allowlisted FHIR server, feedback, CORS."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from mpox_adapter.cds.services import PREFETCH
from tests.unit.test_cds_support import (
    EHR_AUTHORIZATION,
    SigningKey,
    bearer,
    cds_client,
    cds_settings,
    hook_request,
    make_key,
    prefetch_of,
    vignette_resources,
    write_jwks,
)

pytestmark = pytest.mark.anyio

FHIR = "https://ehr.example.org/fhir"
VACCINATION = "/cds-services/mpox-vaccination"
TODAY = date(2024, 5, 1)


@pytest.fixture
def key() -> SigningKey:
    return make_key("ES384")


@pytest.fixture
def settings(make_settings: Any, tmp_path: Path, key: SigningKey) -> Any:
    def build(**cds: Any) -> Any:
        jwks = write_jwks(tmp_path / "jwks.json", key)
        return cds_settings(make_settings, jwks, **{"allowed_fhir_servers": [FHIR], **cds})

    return build


async def post(
    settings: Any, key: SigningKey, body: Any, path: str = VACCINATION, **kwargs: Any
) -> httpx.Response:
    async with cds_client(settings, TODAY) as (client, _):
        headers = {**bearer(key, path), **kwargs.pop("headers", {})}
        if isinstance(body, bytes):
            return await client.post(path, content=body, headers=headers, **kwargs)
        return await client.post(path, json=body, headers=headers, **kwargs)


def syphilis_case() -> tuple[dict[str, Any], dict[str, Any]]:
    patient, others, _, _ = vignette_resources("no-ppv-g2-syphilis")
    return patient, prefetch_of(patient, others)


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def serve(mock: respx.MockRouter, prefetch: dict[str, Any], **override: Any) -> dict[str, Any]:
    """Answer the FHIR queries of the services from `prefetch` (`override` a key's answer, or
    leave it unanswered with None); returns the routes."""
    routes = {}
    patient = prefetch["patient"]
    routes["patient"] = mock.get(f"{FHIR}/Patient/{patient['id']}").respond(200, json=patient)
    for key, (_, kind) in PREFETCH.items():
        if key != "patient" and not (key in override and override[key] is None):
            entries = [e["resource"] for e in prefetch[key]["entry"]]
            answer = override.get(key, httpx.Response(200, json=searchset(*entries)))
            routes[key] = mock.get(f"{FHIR}/{kind}", params={"patient": patient["id"]}).mock(
                return_value=answer
            )
    return routes


# -- discovery, 404, 400, 415, 413 ---------------------------------------------------------


async def test_discovery_lists_the_four_services(settings: Any, key: SigningKey) -> None:
    async with cds_client(settings()) as (client, _):
        answer = await client.get("/cds-services", headers=bearer(key, "/cds-services"))
    services = {s["id"]: s for s in answer.json()["services"]}
    assert {k: s["hook"] for k, s in services.items()} == {
        "mpox-vaccination": "patient-view",
        "mpox-order-select": "order-select",
        "mpox-order-sign": "order-sign",
        "mpox-case": "patient-view",
    }
    for service in services.values():
        assert service["title"]
        assert service["description"]
        assert set(service["prefetch"]) == set(PREFETCH)
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all("{{context.patientId}}" in t for t in service["prefetch"].values())


async def test_unknown_services_and_get_on_a_service_are_404(
    settings: Any, key: SigningKey
) -> None:
    async with cds_client(settings()) as (client, _):
        path = "/cds-services/no-such-service"
        posted = await client.post(path, json={}, headers=bearer(key, path))
        got = await client.get(VACCINATION, headers=bearer(key, VACCINATION))
        feedback = "/cds-services/no-such-service/feedback"
        fed = await client.post(feedback, json={}, headers=bearer(key, feedback))
    for answer in (posted, got, fed):
        assert answer.status_code == 404
        assert answer.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"hook": "order-sign"}, "hook"),
        ({"hookInstance": None}, "hookInstance"),
        ({"hookInstance": "not-a-uuid"}, "hookInstance"),
        ({"context": {"patientId": "p1"}}, "context.userId"),
        ({"context": {"userId": "Practitioner/1", "patientId": "a b"}}, "context.patientId"),
        ({"fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}}, "fhirServer"),
        ({"fhirServer": "ftp://ehr.example.org"}, "fhirServer"),
        ({"prefetch": {"patient": "Patient/1"}}, "prefetch.patient"),
        ({"prefetch": {"conditions": {"resourceType": "Patient", "id": "x"}}},
         "prefetch.conditions"),
        ({"prefetch": {"patient": {"resourceType": "Patient", "id": "someone-else"}}},
         "prefetch.patient.id"),
    ],
)  # fmt: skip
async def test_bad_requests_are_400_with_where(
    settings: Any, key: SigningKey, change: dict[str, Any], where: str
) -> None:
    body = hook_request("patient-view", "p1")
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    answer = await post(settings(), key, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["issue"][0]["expression"] == [where]


async def test_invalid_json_is_400_and_other_media_types_415(
    settings: Any, key: SigningKey
) -> None:
    broken = await post(
        settings(), key, b'{"invalid"}', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    text = await post(settings(), key, b"hook=patient-view", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415


async def test_bodies_over_the_limit_are_413(
    make_settings: Any, tmp_path: Path, key: SigningKey
) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", key)
    small = make_settings(server={"max_body_bytes": 1000}, cds={"trusted_issuers": {
        "https://ehr.example.org": str(jwks)}})  # fmt: skip
    patient, prefetch = syphilis_case()
    answer = await post(small, key, hook_request("patient-view", patient["id"], prefetch))
    assert answer.status_code == 413


# -- prefetch and the FHIR server ----------------------------------------------------------


async def test_full_prefetch_needs_no_fhir_server(settings: Any, key: SigningKey) -> None:
    patient, prefetch = syphilis_case()
    with respx.mock(assert_all_mocked=True) as mock:
        answer = await post(settings(), key, hook_request("patient-view", patient["id"], prefetch))
        assert not mock.calls
    assert answer.status_code == 200
    assert answer.json()["cards"][0]["summary"].startswith("Mpox vaccine: dose 1 of 2")


async def test_nothing_prefetched_and_no_fhir_server_is_412(settings: Any, key: SigningKey) -> None:
    answer = await post(settings(), key, hook_request("patient-view", "p1"))
    assert answer.status_code == 412
    assert "no fhirServer" in answer.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "server",
    [
        "https://evil.example/fhir",
        f"{FHIR}/../other",
        FHIR + "x",
        "http://ehr.example.org/fhir",
        "http://127.0.0.1:9/fhir",
    ],
)
async def test_a_fhir_server_not_allowlisted_is_never_called(
    settings: Any, key: SigningKey, server: str
) -> None:
    token = {"access_token": "secret", "token_type": "Bearer"}
    body = hook_request("patient-view", "p1", fhirServer=server, fhirAuthorization=token)
    with respx.mock(assert_all_mocked=True) as mock:
        answer = await post(settings(), key, body)
        assert not mock.calls
    assert answer.status_code == 412
    assert "not allowed" in answer.json()["issue"][0]["diagnostics"]


async def test_missing_data_is_fetched_in_parallel_with_the_clients_token(
    settings: Any, key: SigningKey
) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request(
        "patient-view", patient["id"], {"patient": prefetch["patient"]}, fhirServer=FHIR,
        fhirAuthorization=EHR_AUTHORIZATION,
    )  # fmt: skip
    in_flight, most = 0, 0

    async def slow(request: httpx.Request, route: respx.Route) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        kind = request.url.path.rsplit("/", 1)[1]
        key_ = next(k for k, (_, t) in PREFETCH.items() if t == kind)
        return httpx.Response(
            200, json=searchset(*(e["resource"] for e in prefetch[key_]["entry"]))
        )

    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get(url__startswith=FHIR).mock(side_effect=slow)
        answer = await post(settings(), key, body)
        assert route.call_count == 5  # the Patient came prefetched
        for call in route.calls:
            assert call.request.headers["authorization"] == "Bearer ehr-token"
            assert call.request.url.params["patient"] == patient["id"]
    assert most == 5
    assert answer.status_code == 200
    assert answer.json()["cards"][0]["summary"].startswith("Mpox vaccine: dose 1 of 2")


async def test_paging_follows_next_links_on_the_same_server_only(
    settings: Any, key: SigningKey
) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)
    conditions = [e["resource"] for e in prefetch["conditions"]["entry"]]
    page2 = f"{FHIR}/Condition?patient={patient['id']}&page=2"
    with respx.mock(assert_all_mocked=True) as mock:
        # Routes match in the order they were added: the page before the search.
        mock.get(page2).respond(200, json=searchset(*conditions))
        serve(mock, prefetch, conditions=httpx.Response(200, json=searchset(next_url=page2)))
        assert (
            (await post(settings(), key, body))
            .json()["cards"][0]["summary"]
            .startswith("Mpox vaccine: dose 1 of 2")
        )
    for elsewhere in (
        "https://evil.example/fhir/Condition?page=2",
        "https://ehr.example.org/fhir/../admin/Condition?page=2",
        "https://ehr.example.org/fhir/%2e%2e/admin?page=2",
        "http://ehr.example.org/fhir/Condition?page=2",
    ):
        with respx.mock(assert_all_mocked=True) as mock:
            bundle = searchset(next_url=elsewhere)
            serve(mock, prefetch, conditions=httpx.Response(200, json=bundle))
            answer = await post(settings(), key, body)
            assert all(str(c.request.url).startswith(FHIR + "/") for c in mock.calls)
        assert answer.status_code == 412, elsewhere
        assert "leaves the FHIR server" in answer.text


async def test_paging_is_bounded(settings: Any, key: SigningKey) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)
    endless = f"{FHIR}/Observation?patient={patient['id']}&page=n"
    with respx.mock(assert_all_mocked=True) as mock:
        pages = mock.get(endless).respond(200, json=searchset(next_url=endless))
        serve(mock, prefetch, observations=httpx.Response(200, json=searchset(next_url=endless)))
        answer = await post(settings(max_fhir_pages=3), key, body)
        assert pages.call_count == 2  # 3 pages in all, counting the first
    assert answer.status_code == 412
    assert "more than 3 pages" in answer.text


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(401),
        httpx.ConnectError("down"),
        httpx.ReadTimeout("slow"),
    ],
)
async def test_a_failing_fhir_server_is_412(settings: Any, key: SigningKey, failure: Any) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)
    with respx.mock(assert_all_mocked=True) as mock:
        kwargs = (
            {"side_effect": failure}
            if isinstance(failure, Exception)
            else {"return_value": failure}
        )
        serve(mock, prefetch, allergies=None)
        mock.get(f"{FHIR}/AllergyIntolerance").mock(**kwargs)
        answer = await post(settings(), key, body)
    assert answer.status_code == 412
    assert "allergies" in answer.text


async def test_a_slow_fhir_server_is_cut_short(settings: Any, key: SigningKey) -> None:
    patient, prefetch = syphilis_case()
    body = hook_request("patient-view", patient["id"], fhirServer=FHIR)

    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json=searchset())

    # (respx records a call once answered: the one never answered is not "called")
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.get(f"{FHIR}/Immunization").mock(side_effect=never)
        serve(mock, prefetch, immunizations=None)
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await post(settings(fhir_timeout_seconds=0.2), key, body)
        assert loop.time() - started < 2
    assert answer.status_code == 412
    assert "did not answer in time" in answer.text


async def test_null_absent_and_operation_outcome_prefetch_are_told_apart(
    settings: Any, key: SigningKey
) -> None:
    patient, prefetch = syphilis_case()
    # null: the client looked and found nothing; no query is made.
    nothing = {**prefetch, "medications": None}
    with respx.mock(assert_all_mocked=True) as mock:
        answer = await post(settings(), key, hook_request("patient-view", patient["id"], nothing))
        assert not mock.calls
    assert answer.status_code == 200
    # null for the Patient: there is nobody to assess.
    no_patient = {**prefetch, "patient": None}
    answer = await post(settings(), key, hook_request("patient-view", patient["id"], no_patient))
    assert answer.status_code == 412
    # an OperationOutcome: the client tried and failed; the spec asks not to query again.
    failed = {**prefetch, "allergies": {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "timeout"}]}}  # fmt: skip
    with respx.mock(assert_all_mocked=True) as mock:
        body = hook_request("patient-view", patient["id"], failed, fhirServer=FHIR)
        answer = await post(settings(), key, body)
        assert not mock.calls
    assert answer.status_code == 412
    assert "could not prefetch allergies" in answer.text
    # absent: fetched.
    absent = {k: v for k, v in prefetch.items() if k != "allergies"}
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        routes = serve(mock, prefetch)
        body = hook_request("patient-view", patient["id"], absent, fhirServer=FHIR)
        assert (await post(settings(), key, body)).status_code == 200
        assert [k for k, r in routes.items() if r.called] == ["allergies"]


async def test_epic_shapes_are_tolerated(settings: Any, key: SigningKey) -> None:
    patient, prefetch = syphilis_case()
    no_results = {
        "severity": "warning",
        "code": "processing",
        "details": {"text": "Resource request returns no results."},
    }
    epic_empty = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": [{
        "resource": {"resourceType": "OperationOutcome", "issue": [no_results]},
        "search": {"mode": "outcome"}}]}  # fmt: skip
    body = hook_request(
        "patient-view", f"Patient/{patient['id']}", {**prefetch, "medications": epic_empty},
        extension={"com.epic.cdshooks.request.bpa-trigger-action": "18"},
    )  # fmt: skip
    answer = await post(settings(), key, body)
    assert answer.status_code == 200
    assert answer.json()["cards"][0]["summary"].startswith("Mpox vaccine: dose 1 of 2")


async def test_another_patients_records_in_a_search_are_left_out(
    settings: Any, key: SigningKey
) -> None:
    patient, prefetch = syphilis_case()
    strays = copy_entries(prefetch, subject="Patient/someone-else")
    body = hook_request("patient-view", patient["id"], strays)
    answer = await post(settings(), key, body)
    # Without the syphilis diagnosis and risk factors (they were another person's): no card.
    assert answer.json() == {"cards": []}


def copy_entries(prefetch: dict[str, Any], subject: str) -> dict[str, Any]:
    moved = json.loads(json.dumps(prefetch))
    for key, bundle in moved.items():
        if key != "patient":
            for entry in bundle["entry"]:
                entry["resource"]["subject"] = {"reference": subject}
    return moved


# -- feedback ------------------------------------------------------------------------------


async def test_feedback_one_or_many_entries_is_stored(settings: Any, key: SigningKey) -> None:
    path = f"{VACCINATION}/feedback"
    entries = [
        {"card": "c1", "outcome": "accepted", "acceptedSuggestions": [{"id": "s1"}],
         "outcomeTimestamp": "2024-05-01T10:00:00Z"},
        {"card": "c2", "outcome": "overridden", "outcomeTimestamp": "2024-05-01T10:01:00Z",
         "overrideReason": {"reason": {"system": "http://mpox-adapter.org/fhir/CodeSystem/"
                                       "cds-override-reason", "code": "patient-declined"}}},
    ]  # fmt: skip
    async with cds_client(settings()) as (client, app):
        one = await client.post(path, json={"feedback": entries[:1]}, headers=bearer(key, path))
        two = await client.post(path, json={"feedback": entries}, headers=bearer(key, path))
        # Some clients address feedback with the service's URL as aud.
        three = await client.post(path, json={"feedback": entries[:1]},
                                  headers=bearer(key, VACCINATION))  # fmt: skip
        stored = app.state.cds.feedback.all()
    assert [a.status_code for a in (one, two, three)] == [200, 200, 200]
    assert [(r["service"], r["card"], r["outcome"]) for r in stored] == [
        ("mpox-vaccination", "c1", "accepted"),
        ("mpox-vaccination", "c1", "accepted"),
        ("mpox-vaccination", "c2", "overridden"),
        ("mpox-vaccination", "c1", "accepted"),
    ]
    assert json.loads(stored[2]["override_reason"])["reason"]["code"] == "patient-declined"


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"card": "c", "outcome": "maybe", "outcomeTimestamp": "2024-05-01T10:00:00Z"},
         "feedback[0].outcome"),
        ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2024-05-01T10:00:00Z"},
         "feedback[0].outcome"),
        ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2024-05-01T10:00:00Z",
          "overrideReason": {}}, "feedback[0].overrideReason"),
        ({"outcome": "overridden", "outcomeTimestamp": "2024-05-01T10:00:00Z"}, "feedback[0].card"),
        ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"},
         "feedback[0].outcomeTimestamp"),
        ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2024-05-01T10:00:00Z",
          "acceptedSuggestions": "s1"}, "feedback[0].acceptedSuggestions"),
    ],
)  # fmt: skip
async def test_bad_feedback_is_400(
    settings: Any, key: SigningKey, entry: dict[str, Any], where: str
) -> None:
    path = f"{VACCINATION}/feedback"
    answer = await post(settings(), key, {"feedback": [entry]}, path=path)
    assert answer.status_code == 400
    assert answer.json()["issue"][0]["expression"] == [where]


async def test_a_missing_jwks_file_is_reported_at_start_up(
    make_settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere.json"
    async with cds_client(cds_settings(make_settings, missing)):
        pass
    assert any("JWKS file" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


# -- CORS ----------------------------------------------------------------------------------


async def test_cors_allows_only_the_configured_origins(settings: Any, key: SigningKey) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    async with cds_client(settings(cors_origins=["https://sandbox.cds-hooks.org"])) as (client, _):
        allowed = await client.options(
            VACCINATION, headers={"Origin": "https://sandbox.cds-hooks.org", **preflight}
        )
        denied = await client.options(
            VACCINATION, headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await client.get(
            "/cds-services",
            headers={"Origin": "https://sandbox.cds-hooks.org", **bearer(key, "/cds-services")},
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in denied.headers
    assert simple.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"


async def test_no_cors_headers_without_configured_origins(settings: Any, key: SigningKey) -> None:
    async with cds_client(settings()) as (client, _):
        answer = await client.get(
            "/cds-services", headers={"Origin": "https://x.example", **bearer(key, "/cds-services")}
        )
    assert "access-control-allow-origin" not in answer.headers
