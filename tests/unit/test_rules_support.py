"""Builders of FHIR inputs for the rules tests, coded as docs/data-dictionary.md says.

Other rules tests import these; the tests here check that the builders produce what the
facts reader expects, so a builder bug cannot hide behind a rules bug.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from mpox_adapter.rules.facts import facts_from

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
CS = "http://mpox-adapter.org/fhir/CodeSystem/"
PATIENT_REF = {"reference": "Patient/p1"}
_ids = itertools.count(1)

Resource = dict[str, Any]


def _id(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def patient(birth: str = "1990-05-17", gender: str = "male") -> Resource:
    return {"resourceType": "Patient", "id": "p1", "birthDate": birth, "gender": gender}


def risk(code: str, value: bool = True, day: str | None = None) -> Resource:
    obs: Resource = {
        "resourceType": "Observation",
        "id": _id("rf"),
        "status": "final",
        "code": {"coding": [{"system": CS + "risk-factor", "code": code}]},
        "subject": PATIENT_REF,
        "valueBoolean": value,
    }
    if day:
        obs["effectiveDateTime"] = day
    return obs


def span(code: str, start: str, end: str, count: int | None = None) -> Resource:
    obs = risk(code)
    obs["effectivePeriod"] = {"start": start, "end": end}
    if count is not None:
        del obs["valueBoolean"]
        obs["valueInteger"] = count
    return obs


def condition(
    code: str,
    onset: str | None = None,
    verification: str = "confirmed",
    clinical: str = "active",
    subject: Resource | None = None,
) -> Resource:
    resource: Resource = {
        "resourceType": "Condition",
        "id": _id("c"),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        },
        "code": {"coding": [{"system": SNOMED, "code": code}]},
        "subject": subject or PATIENT_REF,
    }
    if onset:
        resource["onsetDateTime"] = onset
    return resource


def exposure(
    last: str,
    first: str | None = None,
    contact: str | None = None,
    level: str | None = None,
    focus: str | None = None,
) -> Resource:
    obs: Resource = {
        "resourceType": "Observation",
        "id": _id("x"),
        "status": "final",
        "code": {"coding": [{"system": CS + "exposure", "code": "mpox-exposure"}]},
        "subject": PATIENT_REF,
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "59774002"}]},
        "component": [],
    }
    if first:
        obs["effectivePeriod"] = {"start": first, "end": last}
    else:
        obs["effectiveDateTime"] = last
    for part, system, value in (
        ("contact-type", "contact-type", contact),
        ("exposure-risk", "exposure-risk", level),
    ):
        if value:
            obs["component"].append(
                {
                    "code": {"coding": [{"system": CS + "exposure", "code": part}]},
                    "valueCodeableConcept": {"coding": [{"system": CS + system, "code": value}]},
                }
            )
    if focus:
        obs["focus"] = [{"reference": focus}]
    return obs


def dose(
    day: str, pathway: str | None = None, status: str = "completed", code: str = "206"
) -> Resource:
    resource: Resource = {
        "resourceType": "Immunization",
        "id": _id("imm"),
        "status": status,
        "vaccineCode": {"coding": [{"system": CVX, "code": code}]},
        "patient": PATIENT_REF,
        "occurrenceDateTime": day,
    }
    if pathway:
        resource["reasonCode"] = [{"coding": [{"system": CS + "indication", "code": pathway}]}]
    return resource


def temperature(celsius: float, day: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": _id("t"),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8310-5"}]},
        "subject": PATIENT_REF,
        "effectiveDateTime": day,
        "valueQuantity": {
            "value": celsius,
            "unit": "Cel",
            "system": "http://unitsofmeasure.org",
            "code": "Cel",
        },
    }


def pcr(day: str, positive: bool = True) -> Resource:
    result = "10828004" if positive else "260385009"
    return {
        "resourceType": "Observation",
        "id": _id("pcr"),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "100383-9"}]},
        "subject": PATIENT_REF,
        "effectiveDateTime": day,
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": result}]},
    }


def allergy(code: str = "387321007", system: str = SNOMED) -> Resource:
    return {
        "resourceType": "AllergyIntolerance",
        "id": _id("a"),
        "code": {"coding": [{"system": system, "code": code}]},
        "patient": PATIENT_REF,
    }


def prep_medication() -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "id": _id("m"),
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "J05AR03"}]
        },
        "subject": PATIENT_REF,
    }


_PARAMETER_NAMES = {
    "Condition": "condition",
    "Observation": "observation",
    "Immunization": "immunization",
    "AllergyIntolerance": "allergyIntolerance",
    "MedicationStatement": "medicationStatement",
}


def parameters(
    person: Resource, *resources: Resource, on: str, jurisdiction: str | None = None
) -> Resource:
    parameter: list[Resource] = [
        {"name": "assessmentDate", "valueDate": on},
        {"name": "patient", "resource": person},
    ]
    if jurisdiction:
        parameter.append({"name": "jurisdiction", "valueCode": jurisdiction})
    parameter += [{"name": _PARAMETER_NAMES[r["resourceType"]], "resource": r} for r in resources]
    return {"resourceType": "Parameters", "parameter": parameter}


def test_builders_give_the_facts_they_describe() -> None:
    body = parameters(
        patient(),
        risk("msm"),
        condition("86406008", onset="2015-01-01"),
        exposure("2024-03-01", contact="sexual"),
        dose("2024-01-01", "pre-exposure"),
        temperature(38.5, "2024-03-03"),
        allergy(),
        prep_medication(),
        on="2024-03-03",
    )
    facts = facts_from(body)
    assert facts.assessment_date == date(2024, 3, 3)
    assert facts.flag("msm") is True
    assert facts.flag("hiv_prep") is True
    assert "hiv" in facts.conditions
    assert facts.exposures[0].risk == "high"
    assert facts.doses[0].pathway == "pre-exposure"
    assert facts.fever_today
    assert facts.allergies
