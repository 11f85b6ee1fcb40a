"""Small, forgiving readers for the FHIR JSON the rules look at.

Everything here returns None (or an empty result) for data it cannot use, rather than
raising: the rules ignore what they do not understand, and only `inputs` decides which
missing pieces are fatal. JSON objects are tested with `isinstance(x, dict)`, not Mapping:
parsed JSON is always a dict, and the abstract check costs a third of the facts' time.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
V3_ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
PROJECT_CS = "http://mpox-adapter.org/fhir/CodeSystem/"

Resource = Mapping[str, Any]
Code = tuple[str, str]


def codes(concept: Any) -> Iterator[Code]:
    """The (system, code) pairs of a CodeableConcept; nothing for anything else."""
    if not isinstance(concept, dict):
        return
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                yield system, code


def first_code(concept: Any, known: Mapping[Code, T]) -> T | None:
    """The meaning of the first coding of `concept` found in `known`."""
    for pair in codes(concept):
        found = known.get(pair)
        if found is not None:
            return found
    return None


def code_in(concept: Any, system: str) -> str | None:
    """The code a CodeableConcept has in `system`."""
    for found, code in codes(concept):
        if found == system:
            return code
    return None


def status_code(concept: Any, system_suffix: str) -> str | None:
    """The code of a status CodeableConcept (clinicalStatus, verificationStatus)."""
    for system, code in codes(concept):
        if system.endswith(system_suffix):
            return code
    return None


def parse_date(value: Any, *, latest: bool = False) -> date | None:
    """The calendar date of a FHIR date or dateTime, as written (no time-zone shift).

    A partial date ("1975", "1975-06") means its first day, or its last with `latest`.
    """
    if not isinstance(value, str) or len(value) < 4:
        return None
    try:
        year = int(value[:4])
        if len(value) == 4:
            return date(year, 12, 31) if latest else date(year, 1, 1)
        month = int(value[5:7])
        if len(value) == 7:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, last if latest else 1)
        return date(year, month, int(value[8:10]))
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """A dateTime with a time of day; None for a plain date or junk."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def effective_span(resource: Resource) -> tuple[date | None, date | None]:
    """(first, last) day an Observation covers: its period, or its single date twice."""
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        start = parse_date(period.get("start"))
        end = parse_date(period.get("end"), latest=True)
        return start or end, end or start
    when = parse_date(resource.get("effectiveDateTime")) or parse_date(
        resource.get("effectiveInstant")
    )
    return when, when


def onset_date(condition: Resource) -> date | None:
    """When a Condition began: onset, else the date it was recorded."""
    period = condition.get("onsetPeriod")
    if isinstance(period, dict):
        start = parse_date(period.get("start"))
        if start is not None:
            return start
    return parse_date(condition.get("onsetDateTime")) or parse_date(condition.get("recordedDate"))


def abatement_date(condition: Resource) -> date | None:
    period = condition.get("abatementPeriod")
    if isinstance(period, dict):
        return parse_date(period.get("end"), latest=True)
    return parse_date(condition.get("abatementDateTime"), latest=True)


def reference_of(resource: Resource, full_url: str | None = None) -> str | None:
    """How the answer refers to an input: Type/id, else the Bundle entry's fullUrl."""
    resource_type, resource_id = resource.get("resourceType"), resource.get("id")
    if isinstance(resource_type, str) and isinstance(resource_id, str) and resource_id:
        return f"{resource_type}/{resource_id}"
    return full_url


def reference_target(value: Any) -> str | None:
    if isinstance(value, dict):
        target = value.get("reference")
        if isinstance(target, str):
            return target
    return None


def refers_to(reference: str, targets: frozenset[str]) -> bool:
    """Whether `reference` (relative, absolute or urn) names one of `targets` (Type/id or urn)."""
    if reference in targets:
        return True
    return any(t.count("/") == 1 and reference.endswith("/" + t) for t in targets)


def month_shift(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def whole_years(born: date, on: date) -> int:
    """Age in completed years on `on` (a person born on 29 February ages on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def lookup(pairs: set[Code], table: Mapping[Code, T]) -> T | None:
    """The meaning in `table` of any of the (system, code) `pairs`."""
    for pair in pairs:
        found = table.get(pair)
        if found is not None:
            return found
    return None


def contained_country(immunization: Resource) -> str | None:
    """The country of the Location where the dose was given, when it is contained."""
    target = reference_target(immunization.get("location"))
    if target is None or not target.startswith("#"):
        return None
    for contained in immunization.get("contained") or ():
        if isinstance(contained, dict) and contained.get("id") == target[1:]:
            address = contained.get("address")
            country = address.get("country") if isinstance(address, dict) else None
            return country if isinstance(country, str) else None
    return None
