"""The vaccination history: which doses count, and the series they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mpox_adapter.rules.context import mpox_since
from mpox_adapter.rules.facts import Dose, Facts
from mpox_adapter.rules.packs import PackRule

PEP_LOOKBACK_DAYS = 14  # the longest post-exposure window of either country


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired, and the values it fired on (for definitions and sources)."""

    rule: PackRule
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DoseEvaluation:
    dose: Dose
    status: str  # valid / notvalid (HL7 immunization-evaluation-dose-status)
    dose_number: int  # the place in the series it counts for, or was given for
    fired: tuple[Fired, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule.id for f in self.fired))


@dataclass(frozen=True, slots=True)
class Series:
    doses: int
    min_interval_days: int
    fired: tuple[Fired, ...]


@dataclass(frozen=True, slots=True)
class History:
    evaluations: tuple[DoseEvaluation, ...]
    valid: int
    anchor: date | None
    """The dose the next interval counts from: the last valid dose, or a later dose that
    was given too early and restarts the interval (PROJ-DOSE2-EARLY)."""
    anchor_fired: tuple[Fired, ...]


def fire(rules: Sequence[PackRule], values: dict[str, Any]) -> list[Fired]:
    return [Fired(rule, values) for rule in rules if rule.condition.test(values)]


def dose1_pathway(facts: Facts) -> tuple[str | None, bool]:
    """The pathway of the first dose, and whether the record said so.

    Unrecorded, a dose within the post-exposure window after an exposure was post-exposure.
    """
    if not facts.doses:
        return None, False
    first = facts.doses[0]
    if first.pathway is not None:
        return first.pathway, True
    window = timedelta(PEP_LOOKBACK_DAYS)
    after_exposure = any(e.last_day <= first.date <= e.last_day + window for e in facts.exposures)
    return ("post-exposure" if after_exposure else "pre-exposure"), False


def series(rules: Sequence[PackRule], values: dict[str, Any]) -> Series | None:
    """The number of doses in the series and the minimum interval, from the series rules."""
    fired = fire(rules, values)
    counts = [f.rule.rule.effect.series_doses for f in fired]
    intervals = [f.rule.rule.effect.min_interval_days for f in fired]
    known = [c for c in counts if c is not None]
    if not known:
        return None
    # Rules are written not to disagree; if they ever do, the longer series protects more.
    return Series(max(known), max((i for i in intervals if i), default=0), tuple(fired))


def evaluate(
    facts: Facts,
    rules: Sequence[PackRule],
    values: dict[str, Any],
    plan: Series | None,
) -> History:
    mpox_day = mpox_since(facts)
    valid = 0
    anchor: date | None = None
    anchor_fired: tuple[Fired, ...] = ()
    evaluations: list[DoseEvaluation] = []
    for dose in facts.doses:
        dose_values = {
            **values,
            "series_doses": plan.doses if plan else None,
            "dose_valid_before": valid,
            "dose_remaining": plan.doses - valid if plan else None,
            "days_since_anchor": (dose.date - anchor).days if anchor else None,
            "dose_after_mpox": mpox_day is not None and dose.date > mpox_day,
        }
        fired = tuple(fire(rules, dose_values))
        effects = [f.rule.rule.effect for f in fired]
        if any(e.dose_status == "notvalid" for e in effects):
            # Not counted, but numbered by the place in the series it was given for.
            evaluations.append(DoseEvaluation(dose, "notvalid", valid + 1, fired))
            if any(e.resets_interval for e in effects):
                anchor = dose.date
                anchor_fired = tuple(f for f in fired if f.rule.rule.effect.resets_interval)
            continue
        valid += 1
        anchor, anchor_fired = dose.date, ()
        evaluations.append(DoseEvaluation(dose, "valid", valid, fired))
    return History(tuple(evaluations), valid, anchor, anchor_fired)
