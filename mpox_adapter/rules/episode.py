"""The present mpox episode: current records, symptom onset, and how long before onset the
case definition's exposures happened. Read by the forecast (is this a suspected case?) and
by the case service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from mpox_adapter.rules.facts import Facts, MpoxRecord, Span
from mpox_adapter.rules.readers import SYMPTOM_DAYS


def current(facts: Facts, kinds: tuple[str, ...]) -> list[MpoxRecord]:
    """Records of the present episode: dated within the last 28 days, or undated and open."""
    recent = facts.assessment_date - timedelta(SYMPTOM_DAYS)
    return [
        r
        for r in facts.mpox
        if r.kind in kinds and r.current and (r.day is None or r.day >= recent)
    ]


def onset(facts: Facts, suspected: Sequence[MpoxRecord]) -> date:
    """The first day of current symptoms (or of the suspicion); today when unknown."""
    days = [s.onset for s in facts.symptoms if s.onset is not None]
    days += [r.day for r in suspected if r.day is not None]
    return min(days, default=facts.assessment_date)


def days_before(first_symptom: date, periods: Iterable[tuple[date, date]]) -> int | None:
    """Days from the nearest period (begun by onset) to onset; 0 if it reaches onset."""
    gaps = [
        max(0, (first_symptom - last).days) for first, last in periods if first <= first_symptom
    ]
    return min(gaps, default=None)


def _periods(spans: Iterable[Span]) -> list[tuple[date, date]]:
    return [(s.start, s.end) for s in spans]


def case_values(facts: Facts) -> dict[str, Any]:
    """The values the case definition and the reporting rules read."""
    confirmed = current(facts, ("confirmed", "pcr-positive"))
    suspected = current(facts, ("suspected",))
    first_symptom = onset(facts, suspected)
    partners = [
        *facts.spans.get("multiple_anonymous_partners", ()),
        *(s for s in facts.spans.get("male_partners", ()) if s.count >= 2),
    ]
    return {
        "case_confirmed": bool(confirmed),
        "case_suspected_record": bool(suspected),
        "case_ruled_out": not confirmed
        and any(r.kind == "pcr-negative" and r.day and r.day >= first_symptom for r in facts.mpox),
        "epi_link_days_before_onset": days_before(
            first_symptom, ((e.first_day, e.last_day) for e in facts.exposures)
        ),
        "travel_days_before_onset": days_before(
            first_symptom, _periods(facts.spans.get("travel_mpox_area", ()))
        ),
        "partners_days_before_onset": days_before(first_symptom, _periods(partners)),
    }
