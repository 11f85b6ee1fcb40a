"""Reading facts from FHIR inputs: codes, statuses, dates, junk, and required inputs."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from mpox_adapter.errors import InputError
from mpox_adapter.rules import codes
from mpox_adapter.rules.facts import facts_from
from mpox_adapter.rules.forecast import immds_forecast
from mpox_adapter.validation.service import SHIPPED_PROFILES
from tests.unit.test_rules_support import (
    CS,
    allergy,
    condition,
    dose,
    exposure,
    parameters,
    patient,
    pcr,
    risk,
    span,
)


def test_age_is_whole_years_on_the_assessment_date() -> None:
    assert facts_from(parameters(patient("2006-03-02"), on="2024-03-01")).age == 17
    assert facts_from(parameters(patient("2006-03-01"), on="2024-03-01")).age == 18
    assert facts_from(parameters(patient("2008-02-29"), on="2026-02-28")).age == 17
    # A birth year alone is read as its last day: nobody is made older than they may be.
    assert facts_from(parameters(patient("2006"), on="2024-06-01")).age == 17


def test_unknown_codes_and_junk_are_ignored() -> None:
    odd_risk = risk("msm")
    odd_risk["code"]["coding"][0]["code"] = "likes-jazz"
    junk: list[Any] = [
        odd_risk,
        {"resourceType": "Observation", "status": "final"},
        {"resourceType": "Condition", "code": "not a concept", "onsetDateTime": "soon"},
        {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": 7},
        {"resourceType": "AllergyIntolerance", "code": {"coding": ["x"]}},
        {"resourceType": "MedicationStatement", "status": "active"},
    ]
    facts = facts_from(parameters(patient(), *junk, on="2024-03-01"))
    assert facts.flags == {}
    assert not facts.conditions
    assert not facts.doses
    assert not facts.allergies
    body = parameters(patient(), on="2024-03-01")
    body["parameter"] += ["junk", {"name": "observation", "resource": 5}, {"name": "weird"}]
    assert facts_from(body).flags == {}


def test_entered_in_error_refuted_and_not_done_do_not_count() -> None:
    wrong = risk("msm")
    wrong["status"] = "entered-in-error"
    refuted = condition("86406008", verification="refuted")
    not_done = dose("2024-01-01", status="not-done")
    erroneous = condition("86406008", verification="entered-in-error")
    facts = facts_from(parameters(patient(), wrong, refuted, erroneous, not_done, on="2024-03-01"))
    assert facts.flag("msm") is None
    assert "hiv" not in facts.conditions
    assert facts.doses == ()


def test_records_dated_after_the_assessment_date_are_ignored() -> None:
    later = (
        risk("msm", day="2024-03-02"),
        condition("76272004", "2024-03-02"),
        dose("2024-03-02"),
        pcr("2024-03-02"),
        exposure("2024-03-02"),
    )
    facts = facts_from(parameters(patient(), *later, on="2024-03-01"))
    assert facts.flags == {}
    assert facts.last_diagnosed == {}
    assert facts.doses == facts.mpox == facts.exposures == ()


def test_the_latest_statement_of_a_risk_factor_wins() -> None:
    body = parameters(
        patient(),
        risk("risk-behaviour", True, "2023-01-01"),
        risk("risk-behaviour", False, "2024-01-01"),
        on="2024-03-01",
    )
    assert facts_from(body).flag("risk_behaviour") is False


def test_other_peoples_records_are_not_the_patients() -> None:
    index = condition("359814004", "2024-02-20", subject={"reference": "Patient/index"})
    facts = facts_from(parameters(patient(), index, on="2024-03-01"))
    assert facts.mpox == ()
    full_url = condition("86406008", subject={"reference": "http://ehr.example/fhir/Patient/p1"})
    assert "hiv" in facts_from(parameters(patient(), full_url, on="2024-03-01")).conditions


def test_exposure_risk_is_derived_from_the_contact_type() -> None:
    recorded = exposure("2024-02-28", contact="direct-unprotected", level="medium")
    derived = exposure("2024-02-27", contact="seated-adjacent-8h")
    facts = facts_from(parameters(patient(), recorded, derived, on="2024-03-01"))
    assert [(e.risk, e.risk_recorded) for e in facts.exposures] == [
        ("medium", False),
        ("medium", True),
    ]


def test_contact_risk_mirrors_the_conceptmap() -> None:
    conceptmap = json.loads(
        (SHIPPED_PROFILES / "ConceptMap-contact-type-to-exposure-risk.json").read_text()
    )
    mapped = {
        element["code"]: element["target"][0]["code"]
        for group in conceptmap["group"]
        for element in group["element"]
    }
    assert mapped == codes.CONTACT_RISK


def test_allergy_to_a_component_or_the_vaccine_itself() -> None:
    resolved = allergy()
    resolved["clinicalStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                "code": "resolved",
            }
        ]
    }
    assert not facts_from(parameters(patient(), resolved, on="2024-03-01")).allergies
    vaccine = allergy("206", "http://hl7.org/fhir/sid/cvx")
    benzonase = allergy("benzonase", CS + "vaccine-component")
    assert (
        len(facts_from(parameters(patient(), vaccine, benzonase, on="2024-03-01")).allergies) == 2
    )


def test_partner_counts_keep_their_period() -> None:
    facts = facts_from(
        parameters(patient(), span("male-partners", "2024-01-01", "2024-02-01", 3), on="2024-03-01")
    )
    (partners,) = facts.spans["male_partners"]
    assert (partners.start, partners.end, partners.count) == (date(2024, 1, 1), date(2024, 2, 1), 3)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"resourceType": "Patient"}, "resourceType"),
        ([], None),
        ({"resourceType": "Parameters"}, "Parameters.parameter"),
        ({"resourceType": "Parameters", "parameter": []}, "Parameters.parameter"),
        (
            parameters({"resourceType": "Patient", "id": "p"}, on="2024-03-01"),
            "Parameters.parameter[1].resource.birthDate",
        ),
        (
            parameters(patient("17.05.1990"), on="2024-03-01"),
            "Parameters.parameter[1].resource.birthDate",
        ),
        (parameters(patient(), on="2024-3-1"), "Parameters.parameter[0].valueDate"),
        (
            parameters(patient(), on="2024-03-01", jurisdiction="SE"),
            "Parameters.parameter[2].valueCode",
        ),
        (
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "patient", "resource": {"resourceType": "Person"}}],
            },
            "Parameters.parameter[0].resource",
        ),
        (
            {"resourceType": "Bundle", "entry": [{"resource": patient()}, {"resource": patient()}]},
            "Bundle.entry[1].resource",
        ),
        ({"resourceType": "Bundle", "entry": []}, "Bundle.entry"),
    ],
)
def test_unusable_required_inputs_are_located(body: Any, location: str | None) -> None:
    with pytest.raises(InputError) as raised:
        immds_forecast(body, "NO")
    assert raised.value.location == location


def test_a_bundle_needs_an_assessment_date_from_the_caller() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": patient()}, {"resource": risk("msm")}],
    }
    with pytest.raises(InputError, match="assessmentDate"):
        immds_forecast(bundle, "NO")
    output = immds_forecast(bundle, "NO", assessment_date=date(2024, 3, 1))
    assert output["parameter"][0]["resource"]["date"] == "2024-03-01"


def test_jurisdiction_order_override_then_input_then_default() -> None:
    body = parameters(patient(), on="2024-03-01", jurisdiction="DK")
    authority = lambda out: out["parameter"][0]["resource"]["authority"]["display"]  # noqa: E731
    assert authority(immds_forecast(body, "NO")).startswith("Sundhedsstyrelsen")
    assert authority(immds_forecast(body, "DK", jurisdiction="NO")).startswith(
        "Folkehelseinstituttet"
    )
    assert authority(immds_forecast(parameters(patient(), on="2024-03-01"), "NO")).startswith(
        "Folkehelse"
    )
    with pytest.raises(InputError):
        immds_forecast(parameters(patient(), on="2024-03-01"), "SE")


def test_facts_from_a_plain_list_of_resources() -> None:
    facts = facts_from([patient(), risk("msm")], date(2024, 3, 1))
    assert facts.flag("msm") is True
