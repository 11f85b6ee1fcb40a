"""Typed patient facts, read from FHIR inputs as `docs/data-dictionary.md` codes them.

`facts_from(inputs, assessment_date)` is the one way in. A fact is what the record says on
the assessment date: records dated after it are ignored (a forecast for an earlier day must
not know the future), entered-in-error and refuted records never count, and codes the
rules do not know are skipped. Only an unusable Patient raises (`InputError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mpox_adapter.errors import InputError
from mpox_adapter.rules.fhirdata import parse_date, whole_years
from mpox_adapter.rules.inputs import Inputs, read_inputs


@dataclass(frozen=True, slots=True)
class Dose:
    """An mpox vaccine dose given (status completed) on or before the assessment date."""

    date: date
    reference: str | None
    pathway: str | None  # from Immunization.reasonCode; None when not recorded
    priority_group: str | None
    country: str | None = None  # where it was given, when the record says (abroad)


@dataclass(frozen=True, slots=True)
class Exposure:
    """Contact with an mpox case; `last_day` is day 0 of every window."""

    first_day: date
    last_day: date
    contact_type: str | None
    risk: str | None  # high / medium / low, recorded or derived from the contact type
    risk_recorded: bool
    index_status: str  # confirmed / suspected / unknown (no index Condition given)
    reference: str | None


@dataclass(frozen=True, slots=True)
class Span:
    """A risk factor about a period, e.g. travel, or a number of male partners (`count`)."""

    start: date
    end: date
    count: int
    reference: str | None


@dataclass(frozen=True, slots=True)
class Symptom:
    name: str
    onset: date | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class MpoxRecord:
    """An mpox Condition (confirmed or suspected) or an mpox PCR result."""

    kind: str  # confirmed / suspected / pcr-positive / pcr-negative
    day: date | None
    at: datetime | None  # time of the record when it has one, for reporting deadlines
    current: bool  # clinically active, not resolved
    reference: str | None


@dataclass(frozen=True, slots=True)
class Facts:
    assessment_date: date
    patient_reference: str | None
    birth_date: date
    age: int
    gender: str | None
    flags: Mapping[str, bool]
    """Yes/no risk factors by name (`msm`, `hiv_prep`, ...): the latest statement wins."""
    conditions: Mapping[str, date | None]
    """Current conditions (`hiv`, `immunodeficient`, `pregnant`, ...) -> onset if known."""
    last_diagnosed: Mapping[str, date]
    """Latest date of each diagnosis ever made (`syphilis`, `chlamydia`, `hiv`, ...)."""
    spans: Mapping[str, tuple[Span, ...]]
    symptoms: tuple[Symptom, ...]
    mpox: tuple[MpoxRecord, ...]
    exposures: tuple[Exposure, ...]
    doses: tuple[Dose, ...]
    allergies: tuple[str, ...]
    """References (or "?") of allergies to a vaccine ingredient."""
    fever_today: bool
    sources: Mapping[str, tuple[str, ...]]
    """Fact name -> references of the inputs that gave it."""

    def flag(self, name: str) -> bool | None:
        return self.flags.get(name)


def facts_from(parameters_or_resources: Any, assessment_date: date | None = None) -> Facts:
    """Facts from a Parameters or Bundle body, a list of resources, or unpacked `Inputs`.

    `assessment_date` overrides the body's assessmentDate; one of them must be given.
    """
    # readers builds the dataclasses above, so it can only be imported once they exist.
    from mpox_adapter.rules.readers import Collector

    body = parameters_or_resources
    if isinstance(body, list):  # the patient's resources, as a plain list
        body = {"resourceType": "Bundle", "entry": [{"resource": r} for r in body]}
    inputs = body if isinstance(body, Inputs) else read_inputs(body)
    today = assessment_date or inputs.assessment_date
    if today is None:
        raise InputError("assessmentDate is required", "Parameters.parameter")
    patient = inputs.patient.resource
    born = parse_date(patient.get("birthDate"), latest=True)
    if born is None:  # read_inputs checked it, but `Inputs` may come from elsewhere
        raise InputError("Patient.birthDate is required", f"{inputs.patient.location}.birthDate")
    collector = Collector(today, inputs.patient)
    for entry in inputs.entries:
        collector.add(entry)
    gender = patient.get("gender")
    return collector.facts(
        birth_date=born,
        age=whole_years(born, today),
        gender=gender if isinstance(gender, str) else None,
    )
