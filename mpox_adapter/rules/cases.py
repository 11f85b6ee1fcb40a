"""The case service: is the patient a case, what must be reported by when, and what does
each of the patient's exposures mean (close contact, monitoring, post-exposure window).

A typed answer with rule ids; the CDS Hooks `mpox-case` service renders it as cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mpox_adapter.rules import episode
from mpox_adapter.rules.context import base_context, with_exposure
from mpox_adapter.rules.doses import Fired, fire
from mpox_adapter.rules.eligibility import pathway_option
from mpox_adapter.rules.facts import Exposure, Facts, MpoxRecord
from mpox_adapter.rules.forecast import prepare
from mpox_adapter.rules.packs import RulePack

BEST_EFFECT_DAYS = 4  # NO "0-4 dager etter nærkontakt"; DK "inden for 4 dage ... bedste effekt"


@dataclass(frozen=True, slots=True)
class Duty:
    rule: str
    action: str
    recipient: str
    deadline: str  # immediately / same-day / within-24-hours / as-soon-as-possible
    due: datetime | date | None
    """When it must be done by, counted from when the case was confirmed or suspected."""


@dataclass(frozen=True, slots=True)
class Contact:
    """One exposure of the patient to a case."""

    exposure: Exposure
    days_since_exposure: int
    close_contact: bool
    monitoring_until: date | None
    pep_possible: bool
    pep_best_until: date | None
    """Day 4: the first dose works best within days 0-4 (both countries)."""
    pep_latest: date | None
    pep_days_left: int | None
    """Days left until `pep_latest`."""
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseAssessment:
    jurisdiction: str
    guidance: str
    assessment_date: date
    classification: str | None  # confirmed / suspected / None
    criteria: tuple[str, ...]  # the Danish suspected-case criteria met, a-d
    since: datetime | date | None
    duties: tuple[Duty, ...]
    contacts: tuple[Contact, ...]
    rules: tuple[str, ...]


def case_service(
    body: Any,
    default_jurisdiction: str,
    *,
    assessment_date: date | None = None,
    jurisdiction: str | None = None,
) -> CaseAssessment:
    """The case assessment for a Parameters or Bundle body, read like `$immds-forecast`."""
    _, facts, pack = prepare(
        body, default_jurisdiction, assessment_date=assessment_date, jurisdiction=jurisdiction
    )
    return assess_case(facts, pack)


def assess_case(facts: Facts, pack: RulePack) -> CaseAssessment:
    today = facts.assessment_date
    values = base_context(facts)
    confirmed = episode.current(facts, ("confirmed", "pcr-positive"))
    suspected = episode.current(facts, ("suspected",))
    classified = fire(pack.stage("case", today), values)
    kinds = [f.rule.rule.effect.classification for f in classified]
    classification = "confirmed" if "confirmed" in kinds else "suspected" if kinds else None
    classified = [f for f in classified if f.rule.rule.effect.classification == classification]
    values["classification"] = classification
    since = _since(confirmed if classification == "confirmed" else suspected)
    if classification is not None and since is None:
        since = today  # suspected by the case definition alone: suspected from today
    duties_fired = fire(pack.stage("duty", today), values)
    duties = tuple(_duty(f, since) for f in duties_fired)
    contacts = tuple(_contact(pack, values, exposure, today) for exposure in facts.exposures)
    reported = [*classified, *duties_fired]
    rules = [*_ids(reported), *(r for c in contacts for r in c.rules)]
    rules += _definitions(pack, reported)
    return CaseAssessment(
        jurisdiction=pack.jurisdiction,
        guidance=pack.version,
        assessment_date=today,
        classification=classification,
        criteria=tuple(c for f in classified if (c := f.rule.rule.effect.criterion)),
        since=since,
        duties=duties,
        contacts=contacts,
        rules=tuple(dict.fromkeys(rules)),
    )


def _since(records: Sequence[MpoxRecord]) -> datetime | date | None:
    moments = [m for r in records if (m := r.at or r.day) is not None]
    return min(moments, key=_sortable, default=None)


def _sortable(moment: datetime | date) -> tuple[date, str]:
    if isinstance(moment, datetime):
        return moment.date(), moment.isoformat()
    return moment, ""


def _duty(fired: Fired, since: datetime | date | None) -> Duty:
    duty = fired.rule.rule.effect.duty
    assert duty is not None  # the pack schema lets only duty rules into the duty stage
    due: datetime | date | None = None
    if since is not None:
        day = since.date() if isinstance(since, datetime) else since
        if duty.deadline == "immediately":
            due = since
        elif duty.deadline == "same-day":
            due = day
        elif duty.deadline == "within-24-hours":
            due = since + timedelta(hours=24) if isinstance(since, datetime) else day + timedelta(1)
    return Duty(fired.rule.id, duty.action, duty.recipient, duty.deadline, due)


def _contact(pack: RulePack, values: dict[str, Any], exposure: Exposure, today: date) -> Contact:
    # The windows belong to the exposure, whatever doses the contact already had.
    ctx = with_exposure({**values, "next_dose": 1, "valid_doses": 0}, exposure, today)
    typed = fire(pack.stage("contact", today), ctx)
    post = [r for r in pack.stage("eligibility", today) if r.rule.effect.pathway == "post-exposure"]
    option = pathway_option("post-exposure", fire(post, ctx), ctx, exposure)
    monitoring = max((f.rule.rule.effect.monitoring_days or 0 for f in typed), default=0)
    latest = option.latest if option.offered else None
    window = [f for f in option.fired if f.rule.rule.effect.status or f.rule.rule.effect.block]
    window += option.setters["latest"]
    return Contact(
        exposure=exposure,
        days_since_exposure=(today - exposure.last_day).days,
        close_contact=any(f.rule.rule.effect.close_contact for f in typed),
        monitoring_until=exposure.last_day + timedelta(monitoring) if monitoring else None,
        pep_possible=option.offered,
        pep_best_until=exposure.last_day + timedelta(BEST_EFFECT_DAYS) if option.offered else None,
        pep_latest=latest,
        pep_days_left=(latest - today).days if latest else None,
        rules=(*_ids(typed), *_ids(window), *_definitions(pack, [*typed, *window])),
    )


def _ids(fired: Iterable[Fired]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.rule.id for f in fired))


def _definitions(pack: RulePack, fired: Iterable[Fired]) -> list[str]:
    return [
        used
        for f in fired
        for used in sorted(f.rule.uses)
        if (d := pack.definitions.get(used)) is not None and d.condition.test(f.values)
    ]
