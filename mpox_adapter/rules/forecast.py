"""`$immds-forecast`: input Parameters (or a Bundle) in, output Parameters out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mpox_adapter.errors import InputError
from mpox_adapter.rules.engine import Decision, decide
from mpox_adapter.rules.explain import explanations
from mpox_adapter.rules.facts import Facts, facts_from
from mpox_adapter.rules.fhirdata import reference_of
from mpox_adapter.rules.inputs import Inputs, check_jurisdiction, read_inputs
from mpox_adapter.rules.output import forecast_parameters
from mpox_adapter.rules.packs import RulePack, load_pack


@dataclass(frozen=True, slots=True)
class Forecast:
    """Everything one forecast produced, for callers that want more than the FHIR answer."""

    inputs: Inputs
    facts: Facts
    pack: RulePack
    decision: Decision


def immds_forecast(
    parameters: dict[str, Any],
    default_jurisdiction: str,
    *,
    assessment_date: date | None = None,
    jurisdiction: str | None = None,
) -> dict[str, Any]:
    """The output Parameters for `parameters` (a Parameters or a Bundle).

    `assessment_date` and `jurisdiction` override what the input says (the command line's
    --date and --jurisdiction); the jurisdiction defaults to `default_jurisdiction`.
    """
    result = run_forecast(
        parameters, default_jurisdiction, assessment_date=assessment_date, jurisdiction=jurisdiction
    )
    patient = _patient_reference(result.inputs)
    return forecast_parameters(result.decision, result.pack, patient, explanations(result.decision))


def run_forecast(
    body: Any,
    default_jurisdiction: str,
    *,
    assessment_date: date | None = None,
    jurisdiction: str | None = None,
) -> Forecast:
    inputs, facts, pack = prepare(
        body, default_jurisdiction, assessment_date=assessment_date, jurisdiction=jurisdiction
    )
    return Forecast(inputs, facts, pack, decide(facts, pack))


def prepare(
    body: Any,
    default_jurisdiction: str,
    *,
    assessment_date: date | None = None,
    jurisdiction: str | None = None,
) -> tuple[Inputs, Facts, RulePack]:
    """The inputs, the facts and the rule pack a request asks for (see `immds_forecast`)."""
    inputs = read_inputs(body)
    day = assessment_date or inputs.assessment_date
    if day is None:
        where = "Parameters.parameter" if body.get("resourceType") == "Parameters" else None
        raise InputError("assessmentDate is required (a full date, YYYY-MM-DD)", where)
    chosen = (
        check_jurisdiction(jurisdiction)
        if jurisdiction
        else inputs.jurisdiction or check_jurisdiction(default_jurisdiction)
    )
    return inputs, facts_from(inputs, day), load_pack(chosen)


def _patient_reference(inputs: Inputs) -> dict[str, Any]:
    patient = inputs.patient
    reference = reference_of(patient.resource, patient.full_url)
    if reference is not None:
        return {"reference": reference}
    return {"display": "the patient of the request"}
