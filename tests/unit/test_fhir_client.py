"""FhirClient against httpx.MockTransport: no network, every answer made up here."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import orjson
import pytest

from mpox_adapter.errors import PermanentError, TransientError
from mpox_adapter.fhir.client import FhirClient

BASE = "https://fhir.test/fhir"
Handler = Callable[[httpx.Request], httpx.Response]


def fhir_response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        content=orjson.dumps(body),
        headers={"Content-Type": "application/fhir+json", **(headers or {})},
    )


def run_with(
    handler: Handler, call: Callable[[FhirClient], Coroutine[Any, Any, dict[str, Any]]]
) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with FhirClient(BASE, transport=httpx.MockTransport(handler)) as client:
            return await call(client)

    return asyncio.run(go())


def test_metadata_sends_fhir_accept_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fhir_response(200, {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"})

    out = run_with(handler, lambda c: c.metadata())

    assert out["fhirVersion"] == "4.0.1"
    assert seen[0].method == "GET"
    assert str(seen[0].url) == f"{BASE}/metadata"
    assert seen[0].headers["Accept"] == "application/fhir+json"


def test_read_create_update_search_and_transaction_hit_the_right_urls() -> None:
    seen: list[tuple[str, str, bytes, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.method, str(request.url), request.content, request.headers.get("Content-Type"))
        )
        return fhir_response(200, {"resourceType": "Patient", "id": "p1"})

    patient = {"resourceType": "Patient", "id": "p1", "active": True}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}

    async def calls(c: FhirClient) -> dict[str, Any]:
        await c.read("Patient", "p1")
        await c.create({"resourceType": "Patient", "active": True})
        await c.update(patient)
        await c.search("Immunization", {"patient": "Patient/p1"})
        await c.search("Immunization", [("_tag", "a"), ("_tag", "b")])
        return await c.transaction(bundle)

    out = run_with(handler, calls)

    assert out == {"resourceType": "Patient", "id": "p1"}
    methods_urls = [(m, u) for m, u, _, _ in seen]
    assert methods_urls == [
        ("GET", f"{BASE}/Patient/p1"),
        ("POST", f"{BASE}/Patient"),
        ("PUT", f"{BASE}/Patient/p1"),
        ("GET", f"{BASE}/Immunization?patient=Patient%2Fp1"),
        ("GET", f"{BASE}/Immunization?_tag=a&_tag=b"),
        ("POST", BASE),
    ]
    assert orjson.loads(seen[2][2]) == patient
    assert orjson.loads(seen[5][2]) == bundle
    assert [ct for _, _, body, ct in seen if body] == ["application/fhir+json"] * 3


def test_update_without_id_is_refused_before_sending() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    with pytest.raises(PermanentError, match="id"):
        run_with(handler, lambda c: c.update({"resourceType": "Patient"}))


def test_ids_cannot_add_path_segments() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fhir_response(200, {"resourceType": "Patient", "id": "x"})

    run_with(handler, lambda c: c.read("Patient", "../Observation/1"))

    assert seen[0].url.raw_path == b"/fhir/Patient/..%2FObservation%2F1"


def test_404_is_permanent_with_outcome_and_no_body_in_message() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": "Nordmann not found"}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return fhir_response(404, outcome)

    with pytest.raises(PermanentError) as info:
        run_with(handler, lambda c: c.search("Patient", {"name": "Nordmann"}))

    assert info.value.outcome == outcome
    message = str(info.value)
    assert "404" in message
    assert "GET /Patient" in message
    assert "Nordmann" not in message


def test_4xx_without_operation_outcome_has_no_outcome() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, content=b"<html>bad</html>")

    with pytest.raises(PermanentError) as info:
        run_with(handler, lambda c: c.create({"resourceType": "Patient"}))

    assert info.value.outcome is None
    assert "bad" not in str(info.value)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_transient(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return fhir_response(status, {"resourceType": "OperationOutcome", "issue": []})

    with pytest.raises(TransientError) as info:
        run_with(handler, lambda c: c.read("Patient", "p1"))

    assert str(status) in str(info.value)
    assert info.value.retry_after is None


def test_503_with_retry_after_seconds() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return fhir_response(503, {"resourceType": "OperationOutcome"}, {"Retry-After": "120"})

    with pytest.raises(TransientError) as info:
        run_with(
            handler, lambda c: c.transaction({"resourceType": "Bundle", "type": "transaction"})
        )

    assert info.value.retry_after == 120.0
    assert "POST /" in str(info.value)


def test_429_with_retry_after_http_date() -> None:
    later = email.utils.formatdate(time.time() + 90, usegmt=True)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": later})

    with pytest.raises(TransientError) as info:
        run_with(handler, lambda c: c.metadata())

    assert info.value.retry_after is not None
    assert 80 <= info.value.retry_after <= 91


def test_unparseable_retry_after_is_ignored() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "soon"})

    with pytest.raises(TransientError) as info:
        run_with(handler, lambda c: c.metadata())

    assert info.value.retry_after is None


def test_connect_error_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(TransientError) as info:
        run_with(handler, lambda c: c.read("Patient", "p1"))

    assert "GET /Patient/p1" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_timeout_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransientError, match="timed out"):
        run_with(handler, lambda c: c.metadata())


def test_query_string_is_not_in_error_messages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    with pytest.raises(TransientError) as info:
        run_with(handler, lambda c: c.search("Patient", {"identifier": "01818012345"}))

    assert "01818012345" not in str(info.value)


def test_empty_success_body_is_an_empty_dict() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201)

    assert run_with(handler, lambda c: c.create({"resourceType": "Patient"})) == {}


def test_non_json_success_body_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not json")

    with pytest.raises(PermanentError, match="not JSON"):
        run_with(handler, lambda c: c.metadata())


def test_redirect_is_not_followed_and_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/fhir/metadata"})

    with pytest.raises(PermanentError, match="302"):
        run_with(handler, lambda c: c.metadata())
