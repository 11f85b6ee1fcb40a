"""The FHIR resources that suggestions propose: the next vaccine dose, an mpox PCR, a task to
notify the authority, and corrections to a draft order."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from mpox_adapter.cds.forecast import ROUTE_CODES

JsonObject = dict[str, Any]
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
INDICATION_SYSTEM = "http://mpox-adapter.org/fhir/CodeSystem/indication"
ROUTE_DISPLAY = {"intradermal": "Intradermal route", "subcutaneous": "Subcutaneous route"}
VACCINE = {
    "coding": [
        {
            "system": "http://hl7.org/fhir/sid/cvx",
            "code": "206",
            "display": "Mpox and smallpox vaccine, live, non-replicating",
        },
        {"system": "http://www.whocc.no/atc", "code": "J07BX01", "display": "smallpox vaccines"},
    ],
    "text": "Imvanex (MVA-BN)",
}
MPOX_PCR = {
    "coding": [
        {
            "system": LOINC,
            "code": "100383-9",
            "display": "Monkeypox virus DNA [Presence] in Specimen by NAA with probe detection",
        }
    ]
}
MPOX = {"coding": [{"system": SNOMED, "code": "359814004", "display": "Monkeypox"}]}


def route_concept(route: str) -> JsonObject:
    return {
        "coding": [{"system": SNOMED, "code": ROUTE_CODES[route], "display": ROUTE_DISPLAY[route]}]
    }


def dose_quantity(volume: float) -> JsonObject:
    return {"value": volume, "unit": "mL", "system": UCUM, "code": "mL"}


def dosage(route: str, volume: float, text: str) -> JsonObject:
    return {
        "text": text,
        "route": route_concept(route),
        "doseAndRate": [{"doseQuantity": dose_quantity(volume)}],
    }


def next_dose(
    patient_id: str,
    route: str,
    volume: float,
    text: str,
    pathway: str | None,
    earliest: date | None,
    latest: date | None,
) -> JsonObject:
    """A draft MedicationRequest for the dose the forecast says is due."""
    instruction = dosage(route, volume, text)
    window = {k: v.isoformat() for k, v in (("start", earliest), ("end", latest)) if v}
    if window:
        instruction["timing"] = {"repeat": {"count": 1, "boundsPeriod": window}}
    request: JsonObject = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": VACCINE,
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [instruction],
    }
    if pathway:
        request["reasonCode"] = [{"coding": [{"system": INDICATION_SYSTEM, "code": pathway}]}]
    return request


def pcr_order(patient_id: str, condition: str | None) -> JsonObject:
    order: JsonObject = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": [
            {"coding": [{"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}]}
        ],
        "code": MPOX_PCR,
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [MPOX],
    }
    if condition:
        order["reasonReference"] = [{"reference": condition}]
    return order


def notify_task(patient_id: str, description: str, what: str, due: datetime | None) -> JsonObject:
    """A task for the clinician: report the case to an authority, by `due`."""
    task: JsonObject = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "priority": "urgent",
        "code": {"text": what},
        "description": description,
        "for": {"reference": f"Patient/{patient_id}"},
    }
    if due is not None:
        task["restriction"] = {"period": {"end": due.isoformat(timespec="seconds")}}
    return task


def corrected(order: Mapping[str, Any], route: str, volume: float, text: str) -> JsonObject:
    """The draft MedicationRequest with the route and volume the patient should get."""
    fixed = copy.deepcopy(dict(order))
    instructions = fixed.get("dosageInstruction") or [{}]
    first = dict(instructions[0]) if isinstance(instructions[0], Mapping) else {}
    first.pop("doseQuantity", None)  # the STU3 shape, replaced by doseAndRate
    first.update(dosage(route, volume, text))
    fixed["dosageInstruction"] = [first, *instructions[1:]]
    return fixed
