"""The names a rule condition can read, and the values they take for one patient.

Facts come from `facts`; the engine adds what it has decided so far (`pathway`,
`series_doses`, ...) and, per exposure or per dose, the values of that exposure or dose.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mpox_adapter.rules.conditions import TODAY
from mpox_adapter.rules.episode import case_values
from mpox_adapter.rules.facts import Exposure, Facts
from mpox_adapter.rules.readers import SYMPTOM_DAYS

_FLAGS = (
    "msm",
    "trans",
    "sells_sex_to_men",
    "risk_behaviour",
    "hiv_prep",
    "hcw_exposed",
    "lab_live_virus",
    "travel_clade_i_area",
    "smallpox_vaccinated",
    "keloid_tendency",
    "persistent_local_reaction",
    "breastfeeding",
)
_CONDITIONS = ("hiv", "immunodeficient", "pregnant", "atopic_dermatitis")
_DIAGNOSES = ("syphilis", "gonorrhoea", "chlamydia", "other_sti", "hiv", "proctitis")

NAMES: dict[str, str] = {
    "age": "int",
    "birth_year": "int",
    "gender": "str",
    **dict.fromkeys(_FLAGS, "bool"),
    **dict.fromkeys(_CONDITIONS, "bool"),
    **{f"last_{name}": "date" for name in _DIAGNOSES},
    "male_partners": "spans",
    "multiple_anonymous_partners": "spans",
    "allergy_component": "bool",
    "fever_today": "bool",
    "symptomatic": "bool",
    "mpox_confirmed": "bool",
    "mpox_after_dose1": "bool",
    "exposed": "bool",
    # the vaccination history (engine)
    "doses_given": "int",
    "valid_doses": "int",
    "next_dose": "int",
    "dose1_pathway": "str",
    "dose1_pathway_recorded": "bool",
    "dose1_country": "str",
    "exposed_since_dose1": "bool",
    # one exposure (engine, per exposure)
    "days_since_exposure": "int",
    "exposure_risk": "str",
    "contact_type": "str",
    "exposure_is_period": "bool",
    "exposure_graded": "bool",
    "index_status": "str",
    # the decision so far (engine)
    "pathway": "str",
    "series_doses": "int",
    "doses_remaining": "int",
    "groups_matched": "int",
    # one dose being evaluated (engine, per dose)
    "dose_valid_before": "int",
    "dose_remaining": "int",
    "days_since_anchor": "int",
    "dose_after_mpox": "bool",
    # the case service (cases)
    "case_confirmed": "bool",
    "case_suspected_record": "bool",
    "case_ruled_out": "bool",
    "epi_link_days_before_onset": "int",
    "travel_days_before_onset": "int",
    "partners_days_before_onset": "int",
    "classification": "str",
}

_NO_EXPOSURE = {
    "days_since_exposure": None,
    "exposure_risk": None,
    "contact_type": None,
    "exposure_is_period": False,
    "exposure_graded": False,
    "index_status": None,
}


def base_context(facts: Facts) -> dict[str, Any]:
    """The values every condition can read, before the engine decides anything."""
    today = facts.assessment_date
    values: dict[str, Any] = {
        TODAY: today,
        "age": facts.age,
        "birth_year": facts.birth_date.year,
        "gender": facts.gender,
        "male_partners": facts.spans.get("male_partners", ()),
        "multiple_anonymous_partners": facts.spans.get("multiple_anonymous_partners", ()),
        "allergy_component": bool(facts.allergies),
        "fever_today": facts.fever_today,
        "symptomatic": is_symptomatic(facts),
        "mpox_confirmed": mpox_since(facts) is not None,
        "exposed": bool(facts.exposures),
        **_NO_EXPOSURE,
        **case_values(facts),
    }
    for name in _FLAGS:
        values[name] = facts.flags.get(name)
    for name in _CONDITIONS:
        values[name] = name in facts.conditions
    for name in _DIAGNOSES:
        values[f"last_{name}"] = facts.last_diagnosed.get(name)
    return values


def with_exposure(values: dict[str, Any], exposure: Exposure, today: date) -> dict[str, Any]:
    return {
        **values,
        "days_since_exposure": (today - exposure.last_day).days,
        "exposure_risk": exposure.risk,
        "contact_type": exposure.contact_type,
        "exposure_is_period": exposure.first_day != exposure.last_day,
        "exposure_graded": exposure.risk is not None,
        "index_status": exposure.index_status,
    }


def mpox_since(facts: Facts) -> date | None:
    """The first day mpox was confirmed (confirmed Condition or positive PCR), if ever."""
    days = [r.day or date.min for r in facts.mpox if r.kind in ("confirmed", "pcr-positive")]
    return min(days) if days else None


def is_symptomatic(facts: Facts) -> bool:
    """Current symptoms of mpox: a symptom, or a suspected mpox Condition still open."""
    if facts.symptoms:
        return True
    recent = facts.assessment_date - timedelta(SYMPTOM_DAYS)
    return any(
        r.kind == "suspected" and r.current and (r.day is None or r.day >= recent)
        for r in facts.mpox
    )
