"""Unpack the input of `$immds-forecast`: a Parameters resource, or a Bundle of the patient's
resources. Only what the rules cannot do without is checked here (a Patient with a birth
date, an assessment date, a known jurisdiction); everything else is read leniently later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from mpox_adapter.errors import InputError
from mpox_adapter.rules.fhirdata import Resource, parse_date

JURISDICTIONS = ("NO", "DK")
CLINICAL_TYPES = frozenset(
    {
        "Condition",
        "Observation",
        "Immunization",
        "AllergyIntolerance",
        "MedicationStatement",
    }
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One input resource, with where it was found (for references and error locations)."""

    resource: Resource
    location: str
    full_url: str | None = None


@dataclass(frozen=True, slots=True)
class Inputs:
    patient: Entry
    entries: tuple[Entry, ...]
    assessment_date: date | None
    jurisdiction: str | None


def read_inputs(body: Any) -> Inputs:
    """The patient, the other resources and the optional parameters of a request body."""
    if not isinstance(body, dict):
        raise InputError("the input must be a FHIR Parameters or Bundle resource (a JSON object)")
    kind = body.get("resourceType")
    if kind == "Parameters":
        return _from_parameters(body)
    if kind == "Bundle":
        return _from_bundle(body)
    raise InputError(
        f"expected a Parameters or Bundle resource, got {kind or 'no resourceType'}",
        "resourceType",
    )


def _from_parameters(body: Mapping[str, Any]) -> Inputs:
    parameters = body.get("parameter")
    if not isinstance(parameters, Sequence):
        raise InputError("Parameters has no parameter list", "Parameters.parameter")
    patient: Entry | None = None
    entries: list[Entry] = []
    assessment: date | None = None
    jurisdiction: str | None = None
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, dict):
            continue
        where = f"Parameters.parameter[{index}]"
        name = parameter.get("name")
        resource = parameter.get("resource")
        if name == "assessmentDate":
            raw = parameter.get("valueDate", parameter.get("valueDateTime"))
            assessment = _full_date(raw, f"{where}.valueDate")
        elif name == "jurisdiction":
            jurisdiction = _jurisdiction(
                parameter.get("valueCode", parameter.get("valueString")), f"{where}.valueCode"
            )
        elif name == "patient":
            if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
                raise InputError("the patient parameter must hold a Patient", f"{where}.resource")
            patient = Entry(resource, f"{where}.resource")
        elif isinstance(resource, dict) and resource.get("resourceType") in CLINICAL_TYPES:
            entries.append(Entry(resource, f"{where}.resource"))
    if patient is None:
        raise InputError("a patient parameter (Patient) is required", "Parameters.parameter")
    _check_patient(patient)
    return Inputs(patient, tuple(entries), assessment, jurisdiction)


def _from_bundle(body: Mapping[str, Any]) -> Inputs:
    raw_entries = body.get("entry")
    if not isinstance(raw_entries, Sequence):
        raise InputError("the Bundle has no entries", "Bundle.entry")
    patients: list[Entry] = []
    entries: list[Entry] = []
    for index, raw in enumerate(raw_entries):
        resource = raw.get("resource") if isinstance(raw, dict) else None
        if not isinstance(resource, dict):
            continue
        full_url = raw.get("fullUrl") if isinstance(raw.get("fullUrl"), str) else None
        entry = Entry(resource, f"Bundle.entry[{index}].resource", full_url)
        if resource.get("resourceType") == "Patient":
            patients.append(entry)
        elif resource.get("resourceType") in CLINICAL_TYPES:
            entries.append(entry)
    if not patients:
        raise InputError("the Bundle holds no Patient", "Bundle.entry")
    if len(patients) > 1:
        # Choosing one would silently mix another person's records into the forecast.
        raise InputError(
            f"the Bundle holds {len(patients)} Patient resources; send one patient at a time",
            patients[1].location,
        )
    _check_patient(patients[0])
    return Inputs(patients[0], tuple(entries), None, None)


def _check_patient(patient: Entry) -> None:
    born = patient.resource.get("birthDate")
    if born is None:
        raise InputError(
            "Patient.birthDate is required: age decides route, volume and eligibility",
            f"{patient.location}.birthDate",
        )
    if parse_date(born) is None:
        raise InputError(
            f"Patient.birthDate {born!r} is not a FHIR date", f"{patient.location}.birthDate"
        )


def _full_date(raw: Any, where: str) -> date:
    parsed = parse_date(raw) if isinstance(raw, str) and len(raw) >= 10 else None
    if parsed is None:
        raise InputError(f"assessmentDate must be a full date (YYYY-MM-DD), got {raw!r}", where)
    return parsed


def _jurisdiction(raw: Any, where: str) -> str:
    if raw not in JURISDICTIONS:
        raise InputError(
            f"jurisdiction must be one of {', '.join(JURISDICTIONS)}, got {raw!r}", where
        )
    return str(raw)


def check_jurisdiction(raw: str, where: str = "jurisdiction") -> str:
    """A jurisdiction from elsewhere (settings, command line), checked like the parameter."""
    return _jurisdiction(raw, where)
