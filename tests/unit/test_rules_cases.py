"""The case service: classification, reporting duties with deadlines, close contacts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from mpox_adapter.rules.cases import CaseAssessment, case_service
from tests.unit.test_rules_support import condition, exposure, parameters, patient, pcr, risk, span

RASH, FEVER, MPOX = "271807003", "386661006", "359814004"


def assess(*resources: Any, on: str, j: str, gender: str = "male") -> CaseAssessment:
    return case_service(parameters(patient(gender=gender), *resources, on=on), j)


def test_dk_confirmed_case_duties_and_deadlines() -> None:
    result = pcr("2024-03-01T10:30:00+01:00")
    case = assess(result, on="2024-03-01", j="DK")
    assert (case.classification, case.criteria) == ("confirmed", ())
    duties = {d.rule: d for d in case.duties}
    assert set(duties) == {"DK-NOTIFY-PHONE", "DK-NOTIFY-SEI2", "DK-LAB-SSI", "DK-ISOLATE"}
    confirmed_at = datetime(2024, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert (duties["DK-NOTIFY-PHONE"].deadline, duties["DK-NOTIFY-PHONE"].due) == (
        "same-day",
        date(2024, 3, 1),
    )
    assert duties["DK-NOTIFY-SEI2"].due == confirmed_at + timedelta(hours=24)
    assert duties["DK-LAB-SSI"].due is None
    assert "DK-CASE-CONFIRMED" in case.rules


@pytest.mark.parametrize(
    ("extra", "criterion"),
    [
        (exposure("2024-02-20", contact="sexual"), "a"),
        (span("travel-mpox-area", "2024-02-01", "2024-02-15"), "b"),
        (span("multiple-anonymous-partners", "2024-02-10", "2024-02-20"), "c"),
        (risk("msm"), "d"),
    ],
)
def test_dk_suspected_case_criteria(extra: Any, criterion: str) -> None:
    case = assess(condition(RASH, "2024-03-01"), extra, on="2024-03-02", j="DK")
    assert (case.classification, case.criteria) == ("suspected", (criterion,))
    assert [d.rule for d in case.duties] == ["DK-ISOLATE"]  # Denmark notifies confirmed cases only


def test_dk_suspicion_needs_a_criterion_within_21_days_and_ends_on_a_negative_test() -> None:
    old_travel = span("travel-mpox-area", "2024-01-01", "2024-02-08")
    assert (
        assess(condition(FEVER, "2024-03-01"), old_travel, on="2024-03-02", j="DK").classification
        is None
    )
    assert assess(risk("msm"), on="2024-03-02", j="DK").classification is None  # no symptoms
    ruled_out = assess(
        condition(RASH, "2024-03-01"),
        risk("msm"),
        pcr("2024-03-02", positive=False),
        on="2024-03-03",
        j="DK",
    )
    assert ruled_out.classification is None


def test_no_suspected_and_confirmed_cases() -> None:
    suspected = assess(
        condition(MPOX, "2024-03-01", verification="provisional"), on="2024-03-01", j="NO"
    )
    assert suspected.classification == "suspected"
    assert [(d.rule, d.deadline) for d in suspected.duties] == [("NO-ALERT", "immediately")]
    confirmed = assess(condition(MPOX, "2024-03-01"), on="2024-03-02", j="NO")
    assert [d.rule for d in confirmed.duties] == ["NO-ALERT", "NO-MSIS-A", "NO-TRACE"]
    assert confirmed.since == date(2024, 3, 1)
    # Denmark's case definition is not applied in Norway.
    assert (
        assess(condition(RASH, "2024-03-01"), risk("msm"), on="2024-03-02", j="NO").classification
        is None
    )


def test_an_old_resolved_infection_is_not_a_current_case() -> None:
    old = condition(MPOX, "2023-01-01", clinical="resolved")
    assert assess(old, on="2024-03-02", j="DK").classification is None


def test_dk_close_contacts_monitoring_and_pep_window() -> None:
    case = assess(
        exposure("2024-03-01", contact="household"),
        exposure("2024-02-01", contact="other"),
        on="2024-03-03",
        j="DK",
    )
    old, recent = case.contacts
    assert (recent.close_contact, recent.monitoring_until) == (True, date(2024, 3, 22))
    assert (recent.pep_possible, recent.pep_latest, recent.pep_days_left) == (
        True,
        date(2024, 3, 15),
        12,
    )
    assert recent.pep_best_until == date(2024, 3, 5)
    assert {"DK-CONTACT-HOUSEHOLD", "DK-PEP-HIGH", "DK-PEP-WINDOW"} <= set(recent.rules)
    assert (old.close_contact, old.pep_possible, old.monitoring_until) == (False, False, None)
    assert "DK-PEP-LOW" in old.rules


def test_no_contact_windows() -> None:
    (contact,) = assess(exposure("2024-03-01", contact="sexual"), on="2024-03-02", j="NO").contacts
    assert (contact.pep_possible, contact.pep_latest, contact.days_since_exposure) == (
        True,
        date(2024, 3, 5),
        1,
    )
    assert contact.monitoring_until is None
    assert "NO-PEP-4D" in contact.rules
