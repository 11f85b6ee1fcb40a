"""A transaction through FhirClient to a real server: urn:uuid references come back resolved."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from mpox_adapter.fhir.client import FhirClient

NO_FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
CVX = "http://hl7.org/fhir/sid/cvx"


def _transaction(patient_url: str) -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        # Synthetic: the Norwegian test-number style, not a real person's.
        "identifier": [{"system": NO_FNR, "value": "01818012345"}],
        "name": [{"family": "Testesen", "given": ["Kari"]}],
        "gender": "female",
        "birthDate": "1980-01-01",
    }
    immunization = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": CVX, "code": "206", "display": "Jynneos"}]},
        "patient": {"reference": patient_url},
        "occurrenceDateTime": "2024-08-20T10:15:00+02:00",
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient_url,
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": immunization,
                "request": {"method": "POST", "url": "Immunization"},
            },
        ],
    }


def _type_and_id(location: str) -> tuple[str, str]:
    # A location may be absolute and may carry /_history/N (SEKMET's does both).
    path = location.split("/_history/", 1)[0]
    rtype, rid = path.rstrip("/").split("/")[-2:]
    return rtype, rid


@pytest.mark.integration
def test_transaction_rewrites_urn_uuid_reference(sekmet_base_url: str) -> None:
    patient_url = f"urn:uuid:{uuid.uuid4()}"

    async def go() -> tuple[dict[str, Any], dict[str, Any]]:
        async with FhirClient(sekmet_base_url) as client:
            response = await client.transaction(_transaction(patient_url))
            _, imm_id = _type_and_id(response["entry"][1]["response"]["location"])
            return response, await client.read("Immunization", imm_id)

    response, immunization = asyncio.run(go())

    assert response["type"] == "transaction-response"
    patient_entry, imm_entry = response["entry"]
    assert patient_entry["response"]["status"].startswith("201")
    assert imm_entry["response"]["status"].startswith("201")
    patient_type, patient_id = _type_and_id(patient_entry["response"]["location"])
    assert patient_type == "Patient"
    assert _type_and_id(imm_entry["response"]["location"])[0] == "Immunization"

    assert immunization["patient"]["reference"] == f"Patient/{patient_id}"
    assert immunization["vaccineCode"]["coding"] == [
        {"system": CVX, "code": "206", "display": "Jynneos"}
    ]
    assert immunization["status"] == "completed"
