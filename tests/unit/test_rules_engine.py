"""The rules engine, family by family: eligibility and priority groups, effective dates,
post-exposure windows, the series and dose evaluation, route and volume, contraindications,
explanations and the FHIR output."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.rules.engine import Decision
from mpox_adapter.rules.explain import explanations
from mpox_adapter.rules.forecast import immds_forecast, run_forecast
from mpox_adapter.validation.engine import Validator
from tests.unit.test_rules_support import (
    allergy,
    condition,
    dose,
    exposure,
    parameters,
    patient,
    pcr,
    prep_medication,
    risk,
    span,
    temperature,
)

HIV, SYPHILIS, CHLAMYDIA, PROCTITIS = "86406008", "76272004", "105629000", "3951002"
IMMUNODEFICIENCY, PREGNANCY, ATOPIC, RASH, MPOX = (
    "234532001", "77386006", "24079001", "271807003", "359814004",
)  # fmt: skip


def decide(
    *resources: Any, on: str, j: str = "NO", birth: str = "1990-05-17", gender: str = "male"
) -> Decision:
    return run_forecast(parameters(patient(birth, gender), *resources, on=on), j).decision


def summary(d: Decision) -> tuple[Any, ...]:
    return (d.status.value, d.pathway.value, d.priority_group.value, d.care_setting.value)


# --- Norway, pre-exposure: priority groups, lowest group, effective dates


def test_group_1_msm_with_hiv_is_due_in_the_specialist_service() -> None:
    d = decide(risk("msm"), condition(HIV, "2010-01-01"), on="2024-03-01")
    assert summary(d) == ("due", "pre-exposure", 1, "specialist")
    assert d.status.rules == ("NO-PPV-G1-HIV",)
    assert (d.route.value, d.volume.value) == ("intradermal", 0.1)
    assert (d.dose_number, d.series_doses.value) == (1, 2)
    assert d.earliest.value == d.due.value == date(2024, 3, 1)
    assert d.latest.value is None


def test_hiv_prep_from_an_active_medication_statement_counts() -> None:
    d = decide(risk("msm"), prep_medication(), on="2024-03-01")
    assert summary(d)[:3] == ("due", "pre-exposure", 1)


def test_group_1_sex_work_needs_a_man_or_trans_person() -> None:
    assert decide(risk("sells-sex-to-men"), on="2024-03-01").priority_group.value == 1
    woman = decide(risk("sells-sex-to-men"), on="2024-03-01", gender="female")
    assert woman.status.value == "not-recommended"
    trans = decide(risk("sells-sex-to-men"), risk("trans"), on="2024-03-01", gender="female")
    assert trans.priority_group.value == 1


def test_group_2_needs_a_listed_sti_in_the_last_24_months() -> None:
    base = (risk("msm"), risk("risk-behaviour"))
    d = decide(*base, condition(SYPHILIS, "2022-03-01"), on="2024-03-01")
    assert summary(d) == ("due", "pre-exposure", 2, "municipal")
    assert "PROJ-LOWEST-GROUP" in d.rules  # group 3 matches too
    assert {"NO-PPV-G2", "NO-PPV-G3-MSM"} <= set(d.rules)
    older = decide(*base, condition(SYPHILIS, "2022-02-28"), on="2024-03-01")
    assert older.priority_group.value == 3


def test_lowest_group_wins_and_sets_the_care_setting() -> None:
    d = decide(
        risk("msm"), risk("risk-behaviour"), condition(HIV), risk("lab-live-virus"), on="2024-03-01"
    )
    assert summary(d) == ("due", "pre-exposure", 1, "specialist")
    assert d.priority_group.rules == ("NO-PPV-G1-HIV", "NO-PPV-G3-MSM", "NO-PPV-G3-LAB")
    assert "PROJ-LOWEST-GROUP" in d.rules


def test_group_3_routes() -> None:
    trans = decide(risk("trans"), risk("risk-behaviour"), on="2024-03-01", gender="female")
    assert summary(trans) == ("due", "pre-exposure", 3, "municipal")
    hcw = decide(risk("hcw-exposed"), on="2024-03-01", gender="female")
    assert summary(hcw) == ("assessment-required", "pre-exposure", 3, "municipal")
    assert "PROJ-LOWEST-GROUP" not in hcw.rules
    lab = decide(risk("lab-live-virus"), on="2024-03-01", gender="female")
    assert summary(lab) == ("due", "pre-exposure", 3, "municipal")


@pytest.mark.parametrize(
    ("on", "expected"),
    [("2023-05-22", "not-recommended"), ("2023-05-23", "due")],
)
def test_group_3_opened_on_2023_05_23(on: str, expected: str) -> None:
    d = decide(risk("msm"), risk("risk-behaviour"), on=on)
    assert d.status.value == expected
    assert ("NO-PPV-G3-MSM" in d.rules) is (expected == "due")


def test_group_2_did_not_exist_before_february_2023() -> None:
    resources = (risk("msm"), risk("risk-behaviour"), condition(SYPHILIS, "2022-06-01"))
    assert decide(*resources, on="2023-02-07").status.value == "not-recommended"
    assert decide(*resources, on="2023-02-08").priority_group.value == 2


def test_group_2_named_chlamydial_proctitis_until_2023_02_10() -> None:
    resources = (risk("msm"), risk("risk-behaviour"), condition(CHLAMYDIA, "2022-06-01"))
    assert decide(*resources, on="2023-02-09").status.value == "not-recommended"
    assert (
        decide(
            *resources, condition(PROCTITIS, "2022-06-01", clinical="resolved"), on="2023-02-09"
        ).priority_group.value
        == 2
    )
    assert decide(*resources, on="2023-02-10").priority_group.value == 2


def test_group_1_needed_a_recent_sti_until_2022_11_07() -> None:
    resources = (risk("msm"), condition(HIV, "2010-01-01"))
    assert decide(*resources, on="2022-11-06").status.value == "not-recommended"
    recent = condition("8098009", "2022-08-01")
    assert decide(*resources, recent, on="2022-11-06").priority_group.value == 1
    assert decide(*resources, on="2022-11-07").priority_group.value == 1
    assert decide(*resources, on="2022-10-09").status.value == "not-recommended"


def test_children_are_not_offered_pre_exposure_vaccination() -> None:
    d = decide(risk("msm"), risk("risk-behaviour"), on="2024-03-01", birth="2006-03-02")
    assert d.status.value == "not-recommended"
    assert {"NO-PEP-CHILD", "PROJ-AGE-FROM-BIRTHDATE"} <= set(d.rules)
    adult = decide(risk("msm"), risk("risk-behaviour"), on="2024-03-01", birth="2006-03-01")
    assert adult.status.value == "due"


def test_nobody_else_is_offered_vaccine() -> None:
    d = decide(on="2024-03-01")
    assert d.status.value == "not-recommended"
    assert d.rules == ("PROJ-NOT-IN-TARGET",)
    assert decide(on="2024-03-01", j="DK").rules == ("DK-NOT-FOR-SALE",)


# --- Norway, post-exposure windows


@pytest.mark.parametrize(
    ("day", "status"), [("2024-03-05", "assessment-required"), ("2024-03-06", "not-recommended")]
)
def test_high_risk_contact_within_4_days(day: str, status: str) -> None:
    d = decide(exposure("2024-03-01", contact="household"), on=day)
    assert d.status.value == status
    if status == "assessment-required":
        assert d.pathway.value == "post-exposure"
        assert d.latest.value == date(2024, 3, 5)
        assert d.earliest.value == date(2024, 3, 1)  # the window opens on day 0
        assert d.due.value == date.fromisoformat(day)
        assert "NO-PEP-4D" in d.status.rules
        assert (d.route.value, d.volume.value) == ("subcutaneous", 0.5)
    else:
        assert "NO-PEP-LATE" in d.rules


@pytest.mark.parametrize(
    ("day", "status"), [("2024-03-15", "assessment-required"), ("2024-03-16", "not-recommended")]
)
def test_pregnant_contact_up_to_day_14(day: str, status: str) -> None:
    d = decide(
        exposure("2024-03-01", contact="sexual"),
        condition(PREGNANCY, "2023-12-01"),
        on=day,
        gender="female",
    )
    assert d.status.value == status
    if status == "assessment-required":
        assert {"NO-PEP-14D", "NO-PEP-PREG"} <= set(d.rules)
        assert d.latest.value == date(2024, 3, 15)


def test_young_child_means_under_5() -> None:
    child = decide(exposure("2024-03-01", contact="household"), on="2024-03-10", birth="2019-03-11")
    assert child.status.value == "assessment-required"
    assert {"NO-PEP-14D", "PROJ-YOUNG-CHILD", "NO-PEP-CHILD", "NO-DOSE-U18"} <= set(child.rules)
    five = decide(exposure("2024-03-01", contact="household"), on="2024-03-10", birth="2019-03-10")
    assert five.status.value == "not-recommended"
    assert "PROJ-YOUNG-CHILD" not in five.rules


def test_day_0_is_the_last_day_of_an_exposure_period() -> None:
    d = decide(exposure("2024-03-05", first="2024-02-20", contact="sexual"), on="2024-03-09")
    assert d.latest.value == date(2024, 3, 9)
    assert "PROJ-EXPOSURE-LAST-DAY" in d.rules


def test_lower_risk_contacts_and_ungraded_exposures() -> None:
    medium = decide(exposure("2024-03-01", contact="seated-adjacent-8h"), on="2024-03-02")
    assert medium.status.value == "not-recommended"
    assert "PROJ-PEPV-LOWER-RISK" in medium.rules
    low = decide(exposure("2024-03-01", contact="other"), on="2024-03-02")
    assert low.status.value == "not-recommended"
    ungraded = decide(exposure("2024-03-01"), on="2024-03-02")
    assert ungraded.status.value == "assessment-required"
    assert "PROJ-EXPOSURE-UNGRADED" in ungraded.rules


def test_index_case_status_decides_whether_the_exposure_counts() -> None:
    index = condition(
        MPOX, "2024-02-28", verification="provisional", subject={"reference": "Patient/index"}
    )
    waiting = decide(
        exposure("2024-03-01", contact="sexual", focus=f"Condition/{index['id']}"),
        index,
        on="2024-03-02",
    )
    assert waiting.status.value == "deferred"
    assert "PROJ-INDEX-SUSPECTED" in waiting.status.rules
    refuted = condition(
        MPOX, "2024-02-28", verification="refuted", subject={"reference": "Patient/index"}
    )
    gone = decide(
        exposure("2024-03-01", contact="sexual", focus=f"Condition/{refuted['id']}"),
        refuted,
        on="2024-03-02",
    )
    assert gone.status.value == "not-recommended"


def test_post_exposure_comes_before_pre_exposure() -> None:
    d = decide(
        risk("msm"), condition(HIV), exposure("2024-03-01", contact="sexual"), on="2024-03-02"
    )
    assert d.pathway.value == "post-exposure"
    assert d.priority_group.value is None
    late = decide(
        risk("msm"), condition(HIV), exposure("2024-02-01", contact="sexual"), on="2024-03-02"
    )
    assert late.pathway.value == "pre-exposure"
    assert "NO-PEP-LATE" in late.rules


# --- the series, dose evaluation, route and volume


def test_second_dose_28_days_after_the_first_then_complete() -> None:
    base = (risk("msm"), condition(HIV))
    d = decide(*base, dose("2024-01-01", "pre-exposure"), on="2024-01-10")
    assert (d.status.value, d.dose_number, d.earliest.value) == ("due", 2, date(2024, 1, 29))
    assert d.evaluations[0].status == "valid"
    late = decide(*base, dose("2024-01-01", "pre-exposure"), on="2024-06-01")
    assert (late.status.value, late.due.value) == ("due", date(2024, 1, 29))  # never overdue
    assert "PROJ-NO-SERIES-RESTART" in late.rules
    done = decide(*base, dose("2024-01-01", "pre-exposure"), dose("2024-01-29"), on="2024-03-01")
    assert done.status.value == "complete"
    assert done.dose_number is None
    assert [e.status for e in done.evaluations] == ["valid", "valid"]


def test_an_early_second_dose_does_not_count_and_is_repeated_28_days_later() -> None:
    d = decide(
        risk("msm"),
        condition(HIV),
        dose("2024-01-01", "pre-exposure"),
        dose("2024-01-20"),
        on="2024-02-01",
    )
    assert [e.status for e in d.evaluations] == ["valid", "notvalid"]
    assert d.evaluations[1].rules == ("PROJ-DOSE2-EARLY",)
    assert d.dose_number == 2
    assert d.earliest.value == date(2024, 2, 17)
    assert "PROJ-DOSE2-EARLY" in d.earliest.rules


def test_a_late_second_dose_counts() -> None:
    d = decide(
        risk("msm"),
        condition(HIV),
        dose("2023-06-01", "pre-exposure"),
        dose("2024-01-20"),
        on="2024-02-01",
    )
    assert d.status.value == "complete"
    assert d.evaluations[1].rules == ("PROJ-NO-SERIES-RESTART",)


def test_never_a_third_dose() -> None:
    doses = (dose("2024-01-01", "pre-exposure"), dose("2024-02-01"), dose("2024-03-01"))
    d = decide(risk("msm"), condition(HIV), *doses, on="2024-04-01")
    assert d.status.value == "complete"
    assert [e.status for e in d.evaluations] == ["valid", "valid", "notvalid"]
    assert "PROJ-NO-THIRD-DOSE" in d.rules
    dk = decide(risk("msm"), condition(SYPHILIS, "2024-03-01"), *doses, on="2024-04-01", j="DK")
    assert dk.status.value == "complete"
    assert "DK-NO-BOOSTER" in dk.evaluations[2].rules


def test_earlier_smallpox_vaccination_norway() -> None:
    base = (risk("msm"), condition(HIV), risk("smallpox-vaccinated"))
    one = decide(*base, on="2024-03-01", birth="1970-01-01")
    assert one.series_doses.value == 1
    assert "NO-DOSE-SMALLPOX" in one.series_doses.rules
    born_late = decide(*base, on="2024-03-01", birth="1976-01-01")
    assert born_late.series_doses.value == 2
    weak = decide(*base, condition(IMMUNODEFICIENCY), on="2024-03-01", birth="1970-01-01")
    assert weak.series_doses.value == 2
    after_one = decide(
        *base, dose("2024-01-01", "pre-exposure"), on="2024-03-01", birth="1970-01-01"
    )
    assert after_one.status.value == "complete"


def test_earlier_smallpox_vaccination_denmark_presumes_it_before_1971() -> None:
    base = (risk("msm"), condition(SYPHILIS, "2024-02-01"))
    assert decide(*base, on="2024-03-01", j="DK", birth="1970-12-31").series_doses.value == 1
    assert decide(*base, on="2024-03-01", j="DK", birth="1971-01-01").series_doses.value == 2
    denied = decide(
        *base, risk("smallpox-vaccinated", False), on="2024-03-01", j="DK", birth="1960-01-01"
    )
    assert denied.series_doses.value == 2
    hiv = decide(*base, condition(HIV), on="2024-03-01", j="DK", birth="1960-01-01")
    assert hiv.series_doses.value == 2  # Denmark counts HIV infection as reduced immunity


def test_keloid_tendency_means_subcutaneous() -> None:
    d = decide(risk("msm"), condition(HIV), risk("keloid-tendency"), on="2024-03-01")
    assert (d.route.value, d.volume.value) == ("subcutaneous", 0.5)
    assert d.route.rules == ("NO-DOSE-KELOID",)


def test_post_exposure_second_dose_needs_continued_risk() -> None:
    first = dose("2024-03-02", "post-exposure")
    once = decide(exposure("2024-03-01", contact="household"), first, on="2024-04-15")
    assert once.status.value == "complete"
    again = decide(
        exposure("2024-03-01", contact="sexual"),
        risk("msm"),
        risk("risk-behaviour"),
        first,
        on="2024-04-15",
    )
    assert (again.status.value, again.pathway.value, again.dose_number) == (
        "due",
        "post-exposure",
        2,
    )
    assert (again.route.value, again.volume.value) == ("subcutaneous", 0.5)
    assert "PROJ-CONTINUED-RISK" in again.rules


def test_first_dose_pathway_is_inferred_from_exposure_dates() -> None:
    d = decide(exposure("2024-03-01", contact="household"), dose("2024-03-03"), on="2024-04-15")
    assert d.status.value == "complete"
    assert "PROJ-DOSE-INDICATION" in d.rules


# --- contraindications and precautions


def test_allergy_contraindicates() -> None:
    d = decide(risk("msm"), condition(HIV), allergy(), on="2024-03-01")
    assert d.status.value == "contraindicated"
    assert d.status.rules == ("NO-CI-ALLERGY",)
    assert d.route.value is None
    dk = decide(
        risk("msm"),
        condition(SYPHILIS, "2024-02-01"),
        allergy("chicken-protein", "http://mpox-adapter.org/fhir/CodeSystem/vaccine-component"),
        on="2024-03-01",
        j="DK",
    )
    assert dk.status.rules == ("PROJ-DK-ALLERGY",)


@pytest.mark.parametrize(
    ("celsius", "day", "deferred"),
    [(38.1, "2024-03-01", True), (38.0, "2024-03-01", False), (39.5, "2024-02-29", False)],
)
def test_fever_counts_above_38_today_only(celsius: float, day: str, deferred: bool) -> None:
    d = decide(risk("msm"), condition(HIV), temperature(celsius, day), on="2024-03-01")
    assert (d.status.value == "deferred") is deferred
    assert ("PROJ-FEVER-TODAY" in d.rules) is deferred


def test_symptoms_defer_and_prior_mpox_makes_immune() -> None:
    sick = decide(risk("msm"), condition(HIV), condition(RASH, "2024-02-27"), on="2024-03-01")
    assert sick.status.rules == ("NO-CI-SYMPTOMS",)
    old_rash = decide(risk("msm"), condition(HIV), condition(RASH, "2023-02-27"), on="2024-03-01")
    assert old_rash.status.value == "due"
    had = decide(risk("msm"), condition(HIV), pcr("2023-07-01"), on="2024-03-01")
    assert had.status.value == "immune"
    assert had.status.rules == ("NO-CI-PRIOR-MPOX",)


def test_mpox_after_the_first_dose_means_no_second_dose() -> None:
    d = decide(
        risk("msm"),
        condition(HIV),
        dose("2024-01-01", "pre-exposure"),
        condition(MPOX, "2024-01-15"),
        on="2024-03-01",
    )
    assert d.status.value == "immune"
    assert "NO-DOSE-MPOX-AFTER-1" in d.status.rules
    dk = decide(
        risk("msm"),
        condition(SYPHILIS, "2024-01-01"),
        dose("2024-01-01", "pre-exposure"),
        pcr("2024-01-15"),
        on="2024-03-01",
        j="DK",
    )
    assert "DK-MPOX-AFTER-1" in dk.status.rules


def test_persistent_local_reaction_defers_dose_2() -> None:
    d = decide(
        risk("msm"),
        condition(HIV),
        dose("2024-01-01", "pre-exposure"),
        risk("persistent-local-reaction", day="2024-01-25"),
        on="2024-01-29",
    )
    assert d.status.rules == ("NO-DOSE-LOCALREACTION",)
    before = decide(
        risk("msm"),
        condition(HIV),
        dose("2024-01-01", "pre-exposure"),
        risk("persistent-local-reaction", day="2023-12-01"),
        on="2024-01-29",
    )
    assert before.status.value == "due"


def test_atopic_eczema_warns_and_pregnancy_asks_for_assessment() -> None:
    d = decide(risk("msm"), condition(HIV), condition(ATOPIC), on="2024-03-01")
    assert d.status.value == "due"
    assert d.warnings == ("NO-SYSVAK", "NO-PREC-ATOPIC")
    pregnant = decide(
        risk("trans"), risk("risk-behaviour"), condition(PREGNANCY, "2024-01-01"), on="2024-03-01"
    )
    assert pregnant.status.rules == ("PROJ-PREG-PREP",)


# --- Denmark


def test_dk_prep_target_groups() -> None:
    partners = decide(
        risk("msm"), span("male-partners", "2024-01-01", "2024-02-20", 2), on="2024-03-01", j="DK"
    )
    assert summary(partners) == ("due", "pre-exposure", None, "infectious-disease-department")
    assert partners.status.rules == ("DK-PREP-MSM-PARTNERS",)
    too_old = decide(
        risk("msm"), span("male-partners", "2023-12-07", "2024-02-20", 5), on="2024-03-01", j="DK"
    )
    assert too_old.status.value == "not-recommended"
    sti = decide(risk("msm"), condition(CHLAMYDIA, "2023-09-15"), on="2024-03-01", j="DK")
    assert sti.status.rules == ("DK-PREP-MSM-STI",)
    woman = decide(
        span("male-partners", "2024-01-01", "2024-02-20", 3),
        on="2024-03-01",
        j="DK",
        gender="female",
    )
    assert woman.status.rules == ("DK-PREP-INDIVIDUAL",)
    assert "PROJ-DK-PREP-CRITERIA" in woman.rules


@pytest.mark.parametrize(
    ("on", "status"), [("2025-02-17", "not-recommended"), ("2025-02-18", "assessment-required")]
)
def test_dk_travel_group_from_version_7(on: str, status: str) -> None:
    d = decide(risk("travel-clade-i-area"), on=on, j="DK", gender="female")
    assert d.status.value == status


@pytest.mark.parametrize(
    ("on", "status"), [("2024-09-19", "not-recommended"), ("2024-09-20", "due")]
)
def test_dk_12_to_17_year_olds_from_2024_09_20(on: str, status: str) -> None:
    d = decide(risk("msm"), condition(SYPHILIS, "2024-08-01"), on=on, j="DK", birth="2009-01-01")
    assert d.status.value == status
    assert "DK-AGE" in d.rules or status == "due"


def test_dk_pep_is_never_automatic() -> None:
    d = decide(exposure("2024-03-01", contact="sexual"), on="2024-03-05", j="DK")
    assert d.status.value == "assessment-required"
    assert {"DK-PEP-HIGH", "DK-PEP-WINDOW", "DK-CONTACT-SEXUAL", "DK-PEP-CONSENT"} <= set(d.rules)
    assert d.warnings == ("DK-PEP-CONSENT",)
    assert d.latest.value == date(2024, 3, 15)  # "i særlige tilfælde ... op til 14 dage"
    special = decide(exposure("2024-03-01", contact="seated-adjacent-8h"), on="2024-03-10", j="DK")
    assert (special.status.value, special.latest.value) == (
        "assessment-required",
        date(2024, 3, 15),
    )
    assert "DK-PEP-MEDIUM" in special.rules
    late = decide(exposure("2024-03-01", contact="sexual"), on="2024-03-16", j="DK")
    assert late.status.value == "not-recommended"
    low = decide(exposure("2024-03-01", contact="other"), on="2024-03-02", j="DK")
    assert "DK-PEP-LOW" in low.rules


def test_dk_children_and_pregnancy_pep() -> None:
    child = decide(
        exposure("2024-03-01", contact="household"), on="2024-03-02", j="DK", birth="2015-01-01"
    )
    assert "DK-PEP-CHILD" in child.status.rules
    pregnant = decide(
        exposure("2024-03-01", contact="sexual"),
        condition(PREGNANCY, "2024-01-01"),
        on="2024-03-02",
        j="DK",
        gender="female",
    )
    assert "DK-PEP-PREG" in pregnant.status.rules


# --- explanations, guidance version, FHIR output


@pytest.mark.parametrize(("j", "local"), [("NO", "nb"), ("DK", "da")])
def test_explanations_in_english_and_the_local_language(j: str, local: str) -> None:
    d = decide(risk("msm"), condition(HIV), condition(SYPHILIS, "2024-02-01"), on="2024-03-01", j=j)
    texts = explanations(d)
    assert set(texts) == {"en", local}
    for explanation in texts.values():
        assert [rule for rule, _ in explanation.reasons] == [c.id for c in d.clauses]
        assert "{" not in explanation.text
    assert texts["en"].summary.startswith("Dose 1 of 2")
    assert texts[local].text != texts["en"].text


SCENARIOS = {
    "NO group 1 with an early dose 2": (
        "NO", "2024-03-01",
        (risk("msm"), condition(HIV), dose("2024-01-01", "pre-exposure"), dose("2024-01-10"))),
    "NO child after exposure": (
        "NO", "2024-03-03", (exposure("2024-03-01", contact="household"),)),
    "DK PEP": ("DK", "2024-03-03", (exposure("2024-02-20", first="2024-02-10", contact="sexual"),)),
    "DK complete": ("DK", "2024-06-01", (dose("2024-01-01"), dose("2024-02-01"), risk("msm"))),
    "immune": ("NO", "2024-06-01", (pcr("2024-01-01"), dose("2024-02-01"))),
}  # fmt: skip


@pytest.mark.parametrize("name", SCENARIOS)
def test_output_is_valid_r4(name: str, mpox_definitions: Definitions) -> None:
    j, on, resources = SCENARIOS[name]
    output = immds_forecast(parameters(patient(), *resources, on=on), j)
    validator = Validator(mpox_definitions)
    assert output["resourceType"] == "Parameters"
    for parameter in output["parameter"]:
        errors = [i for i in validator.issues(parameter["resource"]) if i.is_error]
        assert errors == [], (parameter["name"], errors)
    recommendation = output["parameter"][0]["resource"]
    assert recommendation["recommendation"][0]["description"] in (
        "FHI 2023-05-23 snapshot",
        "SST v7.1 2025-02-18",
    )
    assert len(output["parameter"]) - 1 == sum(
        1 for r in resources if r["resourceType"] == "Immunization"
    )


def test_output_contract_of_a_due_recommendation() -> None:
    body = parameters(patient(), risk("msm"), condition(HIV), on="2024-03-01")
    entry = immds_forecast(body, "NO")["parameter"][0]["resource"]["recommendation"][0]
    assert entry["forecastStatus"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status",
        "code": "due",
    }
    assert [c["coding"][0]["code"] for c in entry["forecastReason"]] == list(
        run_forecast(body, "NO").decision.rules
    )
    assert {c["system"] for c in entry["vaccineCode"][0]["coding"]} == {
        "http://hl7.org/fhir/sid/cvx",
        "http://www.whocc.no/atc",
    }
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in entry["extension"]}
    assert extensions["mpox-priority-group"]["valueCode"] == "1"
    assert extensions["mpox-route"]["valueCodeableConcept"]["coding"][0]["code"] == "372464004"
    assert extensions["mpox-dose-volume"]["valueQuantity"]["value"] == 0.1
    assert extensions["mpox-care-setting"]["valueCode"] == "specialist"
    assert {c["code"]["coding"][0]["code"] for c in entry["dateCriterion"]} == {
        "30981-5",
        "30980-7",
    }
    assert {r["reference"] for r in entry["supportingPatientInformation"]} == {
        f"Observation/{body['parameter'][2]['resource']['id']}",
        f"Condition/{body['parameter'][3]['resource']['id']}",
    }
    assert (entry["doseNumberPositiveInt"], entry["seriesDosesPositiveInt"]) == (1, 2)


def test_project_forecast_statuses_use_the_project_code_system() -> None:
    body = parameters(patient(), exposure("2024-03-01", contact="sexual"), on="2024-03-02")
    entry = immds_forecast(body, "DK")["parameter"][0]["resource"]["recommendation"][0]
    assert entry["forecastStatus"]["coding"][0] == {
        "system": "http://mpox-adapter.org/fhir/CodeSystem/forecast-status",
        "code": "assessment-required",
    }
    latest = [c for c in entry["dateCriterion"] if c["code"]["coding"][0]["code"] == "59777-3"]
    assert latest[0]["value"] == "2024-03-15"
