"""`$validate`, the published conformance resources and the CapabilityStatement over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mpox_adapter.api.metadata import CANONICAL_BASE
from mpox_adapter.fhir.definitions import Definitions

pytestmark = pytest.mark.anyio

FHIR_JSON = {"content-type": "application/fhir+json"}
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "15839010009"}],
    "birthDate": "1990-03-15",
}
MPOX_PATIENT = "http://mpox-adapter.org/fhir/StructureDefinition/mpox-patient"


def _errors(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in outcome["issue"] if i["severity"] in ("error", "fatal")]


async def test_validate_a_resource_against_a_profile(client: httpx.AsyncClient) -> None:
    ok = await client.post(
        "/fhir/Patient/$validate", params={"profile": MPOX_PATIENT}, json=PATIENT, headers=FHIR_JSON
    )
    assert ok.status_code == 200
    assert _errors(ok.json()) == []
    bad = dict(
        PATIENT, identifier=[{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "15839010008"}]
    )
    response = await client.post(
        "/fhir/$validate", params={"profile": MPOX_PATIENT}, json=bad, headers=FHIR_JSON
    )
    assert response.status_code == 200, "errors are reported in an OperationOutcome with 200"
    assert [i["expression"] for i in _errors(response.json())] == [["Patient.identifier[0]"]]


async def test_validate_parameters_form(client: httpx.AsyncClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": dict(PATIENT, birthDate=None)},
            {"name": "profile", "valueUri": MPOX_PATIENT},
        ],
    }
    response = await client.post("/fhir/$validate", json=body, headers=FHIR_JSON)
    assert response.status_code == 200
    assert any(i["expression"] == ["Patient.birthDate"] for i in _errors(response.json()))


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/fhir/$validate", b"{oops", 400),
        ("/fhir/$validate", b"\xc3\x28 not utf-8", 400),
        ("/fhir/$validate", b"[]", 400),
        ("/fhir/$validate", b'{"id": "x"}', 400),
        ("/fhir/$validate", b"[" * 3000 + b"]" * 3000, 400),
        ("/fhir/Observation/$validate", b'{"resourceType": "Patient"}', 400),
        ("/fhir/Nonsense/$validate", b'{"resourceType": "Patient"}', 404),
    ],
    ids=[
        "malformed",
        "not-utf8",
        "not-an-object",
        "no-resourceType",
        "absurd-nesting",
        "type-mismatch",
        "unknown-type",
    ],
)
async def test_bad_input_is_a_located_4xx_outcome(
    client: httpx.AsyncClient, path: str, body: bytes, status: int
) -> None:
    response = await client.post(path, content=body, headers=FHIR_JSON)
    assert response.status_code == status
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["diagnostics"]


async def test_unknown_resource_type_in_body_is_reported(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/$validate", json={"resourceType": "Frobnicator"}, headers=FHIR_JSON
    )
    assert response.status_code == 200
    assert "unknown resourceType" in _errors(response.json())[0]["diagnostics"]


async def test_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/$validate", content=b"<Patient/>", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("path", "resource_type"),
    [
        ("/fhir/StructureDefinition/mpox-immunization", "StructureDefinition"),
        ("/fhir/ValueSet/mpox-vaccine", "ValueSet"),
        ("/fhir/CodeSystem/risk-factor", "CodeSystem"),
        ("/fhir/ConceptMap/no-administrasjonsmate-to-snomed", "ConceptMap"),
        ("/fhir/OperationDefinition/immds-forecast", "OperationDefinition"),
    ],
)
async def test_published_conformance_resources(
    client: httpx.AsyncClient, path: str, resource_type: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["resourceType"] == resource_type
    assert body["url"].startswith("http://mpox-adapter.org/fhir/")


async def test_unknown_conformance_resources_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/fhir/StructureDefinition/nope")).status_code == 404
    assert (await client.get("/fhir/Patient/123")).status_code == 404


async def test_capability_statement_lists_validate_and_profiles(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    rest = statement["rest"][0]
    assert {
        "name": "validate",
        "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
    } in rest["operation"]
    profiles = {url for r in rest["resource"] for url in r.get("supportedProfile", [])}
    assert {
        "http://mpox-adapter.org/fhir/StructureDefinition/mpox-immunization",
        "http://mpox-adapter.org/fhir/StructureDefinition/mpox-patient",
        "http://mpox-adapter.org/fhir/StructureDefinition/mpox-exposure",
    } <= profiles


def _canonicals(statement: dict[str, Any]) -> set[str]:
    """Every canonical URL the CapabilityStatement points at (not its own)."""
    found = {*statement.get("instantiates", []), *statement.get("imports", [])}
    for rest in statement["rest"]:
        found |= {op["definition"] for op in rest.get("operation", [])}
        for resource in rest.get("resource", []):
            found |= {op["definition"] for op in resource.get("operation", [])}
            found |= set(resource.get("supportedProfile", []))
            found |= {resource["profile"]} if "profile" in resource else set()
    return found


async def test_every_canonical_the_capability_statement_names_resolves(
    client: httpx.AsyncClient, mpox_definitions: Definitions
) -> None:
    """Ours are served here; the others (HL7's $validate) are in the core definitions."""
    canonicals = _canonicals((await client.get("/fhir/metadata")).json())
    ours = {url for url in canonicals if url.startswith(CANONICAL_BASE)}
    assert f"{CANONICAL_BASE}/OperationDefinition/immds-forecast" in ours
    for url in sorted(ours):
        response = await client.get("/fhir" + url.removeprefix(CANONICAL_BASE))
        assert response.status_code == 200, url
        assert response.json()["url"] == url
    for url in sorted(canonicals - ours):
        assert url in mpox_definitions, url
