"""The one door to the rules: the patient's data in as `$immds-forecast` input Parameters, the
output Parameters read back into a typed `Forecast`, with the engine's own explanation in the
card's language.

The decision is read from the output Parameters of the public contract (docs/contract.md), not from
the engine's internals; only the explanation sentences, the facts the case service needs and
the rule pack come from the engine's richer API. If the rules change shape, this module alone
follows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mpox_adapter.cds.prefetch import PatientData
from mpox_adapter.rules.explain import explain
from mpox_adapter.rules.facts import Facts
from mpox_adapter.rules.forecast import run_forecast
from mpox_adapter.rules.output import forecast_parameters
from mpox_adapter.rules.packs import RulePack

CANONICAL = "http://mpox-adapter.org/fhir"
RULE_SYSTEM = f"{CANONICAL}/CodeSystem/rule"
EXTENSION = f"{CANONICAL}/StructureDefinition/"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
_DATES = {"30981-5": "earliest", "30980-7": "due", "59777-3": "latest"}
ROUTES = {"372464004": "intradermal", "34206005": "subcutaneous"}
ROUTE_CODES = {name: code for code, name in ROUTES.items()}
# Prefetch key -> input parameter name of $immds-forecast.
_PARAMETERS = {
    "conditions": "condition",
    "observations": "observation",
    "immunizations": "immunization",
    "allergies": "allergyIntolerance",
    "medications": "medicationStatement",
}


@dataclass(frozen=True, slots=True)
class DoseEvaluation:
    dose_number: int | None
    valid: bool
    event: str | None
    """Reference of the Immunization evaluated (`Immunization/1`), when it has one."""
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Forecast:
    status: str
    rules: tuple[str, ...]
    dose_number: int | None
    series_doses: int | None
    earliest: date | None
    due: date | None
    latest: date | None
    pathway: str | None
    priority_group: str | None
    route: str | None
    volume: float | None
    care_setting: str | None
    evaluations: tuple[DoseEvaluation, ...]
    assessment_date: date
    jurisdiction: str


def parameters(data: PatientData, today: date, jurisdiction: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {"name": "assessmentDate", "valueDate": today.isoformat()},
        {"name": "patient", "resource": data.patient},
    ]
    for key, name in _PARAMETERS.items():
        entries += [{"name": name, "resource": resource} for resource in data.of(key)]
    entries.append({"name": "jurisdiction", "valueCode": jurisdiction})
    return {"resourceType": "Parameters", "parameter": entries}


@dataclass(frozen=True, slots=True)
class Assessment:
    forecast: Forecast
    summary: str
    """The engine's sentence for the status, in the card's language."""
    reasons: tuple[tuple[str, str], ...]
    """(rule id, sentence) for every rule reported, in the card's language."""
    warnings: tuple[str, ...]
    """Rules reported as precautions to heed even when a dose is due."""
    guidance: str
    """Which version of the guidance answered."""
    facts: Facts
    pack: RulePack


def assess(data: PatientData, today: date, jurisdiction: str, language: str) -> Assessment:
    """The rules' answer for the patient; `InputError` when they cannot use the data."""
    result = run_forecast(parameters(data, today, jurisdiction), jurisdiction)
    explanation = explain(result.decision, language, result.pack)
    patient = {"reference": f"Patient/{data.patient.get('id', 'unknown')}"}
    output = forecast_parameters(
        result.decision, result.pack, patient, {explanation.language: explanation}
    )
    return Assessment(
        forecast=read(output, today, jurisdiction),
        summary=explanation.summary,
        reasons=explanation.reasons,
        warnings=result.decision.warnings,
        guidance=result.pack.version,
        facts=result.facts,
        pack=result.pack,
    )


def read(output: Mapping[str, Any], today: date, jurisdiction: str) -> Forecast:
    recommendation: Mapping[str, Any] = {}
    evaluations: list[DoseEvaluation] = []
    for parameter in output.get("parameter", ()):
        resource = parameter.get("resource") or {}
        if parameter.get("name") == "recommendation":
            recommendation = (resource.get("recommendation") or [{}])[0]
        elif parameter.get("name") == "evaluation":
            evaluations.append(_evaluation(resource))
    dates: dict[str, date] = {}
    for criterion in recommendation.get("dateCriterion", ()):
        code = _code(criterion.get("code"), LOINC)
        value = criterion.get("value")
        if code in _DATES and isinstance(value, str):
            dates[_DATES[code]] = date.fromisoformat(value[:10])
    route = _extension(recommendation, "mpox-route")
    volume = _extension(recommendation, "mpox-dose-volume")
    return Forecast(
        status=_code(recommendation.get("forecastStatus"), None) or "not-recommended",
        rules=tuple(
            code
            for reason in recommendation.get("forecastReason", ())
            if (code := _code(reason, RULE_SYSTEM)) is not None
        ),
        dose_number=recommendation.get("doseNumberPositiveInt"),
        series_doses=recommendation.get("seriesDosesPositiveInt"),
        earliest=dates.get("earliest"),
        due=dates.get("due"),
        latest=dates.get("latest"),
        pathway=_code_value(recommendation, "mpox-pathway"),
        priority_group=_code_value(recommendation, "mpox-priority-group"),
        route=ROUTES.get(_code(route.get("valueCodeableConcept"), SNOMED) or ""),
        volume=_number(volume.get("valueQuantity", {}).get("value")),
        care_setting=_code_value(recommendation, "mpox-care-setting"),
        evaluations=tuple(evaluations),
        assessment_date=today,
        jurisdiction=jurisdiction,
    )


def _evaluation(resource: Mapping[str, Any]) -> DoseEvaluation:
    return DoseEvaluation(
        dose_number=resource.get("doseNumberPositiveInt"),
        valid=_code(resource.get("doseStatus"), None) == "valid",
        event=(resource.get("immunizationEvent") or {}).get("reference"),
        reasons=tuple(
            code
            for reason in resource.get("doseStatusReason", ())
            if (code := _code(reason, RULE_SYSTEM)) is not None
        ),
    )


def _code(concept: Any, system: str | None) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    for coding in concept.get("coding", ()):
        if isinstance(coding, Mapping) and (system is None or coding.get("system") == system):
            code = coding.get("code")
            if isinstance(code, str):
                return code
    return None


def _extension(element: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    for extension in element.get("extension", ()):
        if isinstance(extension, Mapping) and extension.get("url") == EXTENSION + name:
            return extension
    return {}


def _code_value(element: Mapping[str, Any], name: str) -> str | None:
    value = _extension(element, name).get("valueCode")
    return str(value) if value is not None else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
