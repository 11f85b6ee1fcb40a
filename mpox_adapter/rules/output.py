"""The output Parameters of `$immds-forecast`, shaped exactly as docs/contract.md describes."""

from __future__ import annotations

import html
from typing import Any

from mpox_adapter.rules.codes import ROUTE_CODES
from mpox_adapter.rules.doses import DoseEvaluation
from mpox_adapter.rules.engine import Decision
from mpox_adapter.rules.explain import Explanation
from mpox_adapter.rules.fhirdata import ATC, CVX, LOINC, PROJECT_CS, SNOMED, UCUM
from mpox_adapter.rules.packs import RulePack

RULE_SYSTEM = PROJECT_CS + "rule"
EXTENSION = "http://mpox-adapter.org/fhir/StructureDefinition/"
HL7_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
PROJECT_STATUS = PROJECT_CS + "forecast-status"
HL7_STATUSES = frozenset({"due", "overdue", "immune", "contraindicated", "complete"})
DOSE_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status"
DOSE_STATUS_REASON = (
    "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status-reason"
)
EARLIEST, DUE, LATEST = "30981-5", "30980-7", "59777-3"
_DATE_DISPLAY = {
    EARLIEST: "Earliest date to give",
    DUE: "Date vaccine due",
    LATEST: "Latest date to give immunization",
}
VACCINE = {
    "coding": [
        {"system": CVX, "code": "206"},
        {"system": ATC, "code": "J07BX01"},
    ]
}
MPOX = {"coding": [{"system": SNOMED, "code": "359814004", "display": "Monkeypox"}]}


def forecast_parameters(
    decision: Decision,
    pack: RulePack,
    patient: dict[str, Any],
    explained: dict[str, Explanation],
) -> dict[str, Any]:
    parameters = [
        {"name": "recommendation", "resource": recommendation(decision, pack, patient, explained)}
    ]
    parameters += [
        {"name": "evaluation", "resource": evaluation(e, decision, pack, patient)}
        for e in decision.evaluations
    ]
    return {"resourceType": "Parameters", "parameter": parameters}


def recommendation(
    decision: Decision,
    pack: RulePack,
    patient: dict[str, Any],
    explained: dict[str, Explanation],
) -> dict[str, Any]:
    status = decision.status.value
    system = HL7_STATUS if status in HL7_STATUSES else PROJECT_STATUS
    entry: dict[str, Any] = {}
    extensions = _extensions(decision)
    if extensions:
        entry["extension"] = extensions
    entry["vaccineCode"] = [VACCINE]
    entry["targetDisease"] = MPOX
    entry["forecastStatus"] = {"coding": [{"system": system, "code": status}]}
    entry["forecastReason"] = [
        {"coding": [{"system": RULE_SYSTEM, "code": rule_id}]} for rule_id in decision.rules
    ]
    dates = ((EARLIEST, decision.earliest), (DUE, decision.due), (LATEST, decision.latest))
    criteria = [
        {"code": {"coding": [{"system": LOINC, "code": code, "display": _DATE_DISPLAY[code]}]},
         "value": value.value.isoformat()}
        for code, value in dates
        if value.value is not None
    ]  # fmt: skip
    if criteria:
        entry["dateCriterion"] = criteria
    # The guidance version the answer applied: a plain R4 string, "protocol details".
    entry["description"] = pack.version
    if decision.dose_number is not None:
        entry["doseNumberPositiveInt"] = decision.dose_number
    if decision.series_doses.value is not None and decision.dose_number is not None:
        entry["seriesDosesPositiveInt"] = decision.series_doses.value
    given = [e.dose.reference for e in decision.evaluations if e.dose.reference]
    immunizations = [r for r in decision.supporting if r.startswith("Immunization/")]
    others = [r for r in decision.supporting if not r.startswith("Immunization/")]
    if given or immunizations:
        entry["supportingImmunization"] = [
            {"reference": r} for r in dict.fromkeys([*given, *immunizations])
        ]
    if others:
        entry["supportingPatientInformation"] = [{"reference": r} for r in others]
    return {
        "resourceType": "ImmunizationRecommendation",
        "text": {"status": "generated", "div": _narrative(explained)},
        "patient": patient,
        "date": decision.assessment_date.isoformat(),
        "authority": {"display": pack.data.authority},
        "recommendation": [entry],
    }


def evaluation(
    evaluated: DoseEvaluation, decision: Decision, pack: RulePack, patient: dict[str, Any]
) -> dict[str, Any]:
    dose = evaluated.dose
    event = (
        {"reference": dose.reference}
        if dose.reference
        else {"display": f"mpox vaccine dose given {dose.date.isoformat()}"}
    )
    reasons: list[dict[str, Any]] = []
    if evaluated.status == "notvalid":
        reasons.append({"coding": [{"system": DOSE_STATUS_REASON, "code": "outsidesched"}]})
    reasons += [{"coding": [{"system": RULE_SYSTEM, "code": r}]} for r in evaluated.rules]
    resource: dict[str, Any] = {
        "resourceType": "ImmunizationEvaluation",
        "status": "completed",
        "patient": patient,
        "date": decision.assessment_date.isoformat(),
        "authority": {"display": pack.data.authority},
        "targetDisease": MPOX,
        "immunizationEvent": event,
        "doseStatus": {"coding": [{"system": DOSE_STATUS, "code": evaluated.status}]},
    }
    if reasons:
        resource["doseStatusReason"] = reasons
    sentences = [f.rule.rule.text["en"] for f in evaluated.fired]
    resource["description"] = " ".join([*dict.fromkeys(sentences), f"({pack.version})"])
    if evaluated.dose_number is not None:
        resource["doseNumberPositiveInt"] = evaluated.dose_number
        if decision.series_doses.value is not None:
            resource["seriesDosesPositiveInt"] = decision.series_doses.value
    return resource


def _extensions(decision: Decision) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = []
    if decision.pathway.value:
        extensions.append({"url": EXTENSION + "mpox-pathway", "valueCode": decision.pathway.value})
    if decision.priority_group.value is not None:
        extensions.append(
            {
                "url": EXTENSION + "mpox-priority-group",
                "valueCode": str(decision.priority_group.value),
            }
        )
    if decision.route.value:
        code = ROUTE_CODES[decision.route.value]
        extensions.append(
            {
                "url": EXTENSION + "mpox-route",
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code}]},
            }
        )
    if decision.volume.value is not None:
        extensions.append(
            {
                "url": EXTENSION + "mpox-dose-volume",
                "valueQuantity": {
                    "value": decision.volume.value,
                    "unit": "mL",
                    "system": UCUM,
                    "code": "mL",
                },
            }
        )
    if decision.care_setting.value:
        extensions.append(
            {"url": EXTENSION + "mpox-care-setting", "valueCode": decision.care_setting.value}
        )
    return extensions


def _narrative(explained: dict[str, Explanation]) -> str:
    paragraphs = "".join(
        f'<p lang="{language}" xml:lang="{language}">{html.escape(e.text, quote=False)}</p>'
        for language, e in explained.items()
    )
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{paragraphs}</div>'
