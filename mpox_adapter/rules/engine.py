"""The decision: one pass over a rule pack's stages, in a fixed order.

    1. evaluation   each dose given: valid or not (and the series it belongs to)
    2. history      a confirmed mpox                                 -> immune
    3. completion   enough valid doses for the series                -> complete
    4. screening    symptoms of possible mpox                        -> assessment-required
    5. eligibility  the pathway (post-exposure before pre-exposure)  -> or not-recommended
    6. series       how many doses the chosen pathway needs
    7. safety       a permanent contraindication                     -> contraindicated
    8. precaution   a temporary reason                               -> deferred
                    the guideline asks for a physician's assessment   -> assessment-required
                    otherwise                                        -> due
    9. administration  route, volume, care setting
   10. dates        earliest, due and latest (never "overdue": no guideline sets a date after
                    which a dose is late)

Each field of the `Decision` carries the ids of the rules that set it, and `rules` lists
every rule reported, with the project definitions those rules rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from mpox_adapter.rules.context import base_context, mpox_since
from mpox_adapter.rules.doses import (
    DoseEvaluation,
    Fired,
    History,
    Series,
    dose1_pathway,
    evaluate,
    fire,
    series,
)
from mpox_adapter.rules.eligibility import Option, choose
from mpox_adapter.rules.facts import Exposure, Facts
from mpox_adapter.rules.packs import PackRule, RulePack

T = TypeVar("T")
_EXPOSURE_NAMES = frozenset(
    {"days_since_exposure", "exposure_risk", "contact_type", "exposure_is_period",
     "exposure_graded", "index_status"}
)  # fmt: skip
_SOURCE = {
    "mpox_confirmed": "mpox",
    "mpox_after_dose1": "mpox",
    "dose_after_mpox": "mpox",
    "exposed": "exposure",
    "exposed_since_dose1": "exposure",
}


@dataclass(frozen=True, slots=True)
class Reasoned(Generic[T]):
    """A decided value and the ids of the rules that set it."""

    value: T
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    jurisdiction: str
    guidance: str
    assessment_date: date
    age: int
    status: Reasoned[str]
    pathway: Reasoned[str | None]
    priority_group: Reasoned[int | None]
    care_setting: Reasoned[str | None]
    route: Reasoned[str | None]
    volume: Reasoned[float | None]
    dose_number: int | None
    series_doses: Reasoned[int | None]
    earliest: Reasoned[date | None]
    due: Reasoned[date | None]
    latest: Reasoned[date | None]
    warnings: tuple[str, ...]
    exposure: Exposure | None
    evaluations: tuple[DoseEvaluation, ...]
    clauses: tuple[PackRule, ...]
    """The rule clauses reported, in pack order (their texts explain the decision)."""
    supporting: tuple[str, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule id reported: forecastReason."""
        return tuple(dict.fromkeys(c.id for c in self.clauses))


_NOTHING: Reasoned[Any] = Reasoned(None)


def _ids(fired: Iterable[Fired]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.rule.id for f in fired))


def decide(facts: Facts, pack: RulePack) -> Decision:
    today = facts.assessment_date
    values = base_context(facts)
    first = facts.doses[0].date if facts.doses else None
    mpox_day = mpox_since(facts)
    pathway1, recorded = dose1_pathway(facts)
    values.update(
        doses_given=len(facts.doses),
        dose1_pathway=pathway1,
        dose1_pathway_recorded=recorded,
        dose1_country=facts.doses[0].country if facts.doses else None,
        exposed_since_dose1=first is not None and any(e.last_day > first for e in facts.exposures),
        mpox_after_dose1=first is not None and mpox_day is not None and mpox_day > first,
    )
    plan: Series | None = None
    history = History((), 0, None, ())
    if facts.doses:
        plan = series(pack.stage("series", today), {**values, "pathway": pathway1})
        history = evaluate(facts, pack.stage("evaluation", today), values, plan)
    values.update(
        valid_doses=history.valid,
        next_dose=history.valid + 1,
        series_doses=plan.doses if plan else None,
        doses_remaining=plan.doses - history.valid if plan else None,
        days_since_anchor=(today - history.anchor).days if history.anchor else None,
    )
    outcome = _Outcome(facts, pack, history)
    history_fired = fire(pack.stage("history", today), values)
    immune = [f for f in history_fired if f.rule.rule.effect.status == "immune"]
    if immune:
        return outcome.final("immune", immune, history_fired)
    done = fire(pack.stage("completion", today), values) if plan else []
    if plan and done:
        return outcome.final("complete", [*done, *plan.fired], series_doses=plan)
    # Possible mpox now: whether vaccine is needed at all waits for a physician's assessment.
    screened = fire(pack.stage("screening", today), values)
    if screened:
        return outcome.final("assessment-required", screened)
    choice = choose(pack.stage("eligibility", today), values, facts)
    option = choice.chosen
    if option is None:
        return outcome.final(
            "not-recommended", [*choice.declined, *fire(pack.stage("fallback", today), values)]
        )
    plan = plan or series(pack.stage("series", today), option.values)
    ctx = {
        **option.values,
        "series_doses": plan.doses if plan else None,
        "doses_remaining": plan.doses - history.valid if plan else None,
    }
    safety = fire(pack.stage("safety", today), ctx)
    if safety:
        return outcome.final(
            "contraindicated", safety, option.fired, choice.declined, option=option
        )
    return outcome.offer(option, choice.declined, plan, ctx)


class _Outcome:
    """Builds the `Decision` once the pipeline knows its answer."""

    def __init__(self, facts: Facts, pack: RulePack, history: History) -> None:
        self.facts, self.pack, self.history = facts, pack, history
        self.today = facts.assessment_date

    def final(
        self,
        status: str,
        deciding: Sequence[Fired],
        *more: Sequence[Fired],
        series_doses: Series | None = None,
        option: Option | None = None,
    ) -> Decision:
        reported = [*deciding, *(f for group in more for f in group)]
        return self._decision(
            status=Reasoned(status, _ids(deciding)),
            reported=reported,
            option=option,
            series_doses=Reasoned(series_doses.doses, _ids(series_doses.fired))
            if series_doses
            else _NOTHING,
        )

    def offer(
        self, option: Option, declined: Sequence[Fired], plan: Series | None, ctx: dict[str, Any]
    ) -> Decision:
        today = self.today
        precaution = fire(self.pack.stage("precaution", today), ctx)
        admin = fire(self.pack.stage("administration", today), ctx)
        deferring = [f for f in precaution if f.rule.rule.effect.status == "deferred"]
        assessing = [f for f in precaution if f.rule.rule.effect.status == "assessment-required"]
        if option.status == "assessment-required":
            assessing = [*option.setters["status"], *assessing]
        earliest, due, timed_by = self._dates(plan, option)
        if deferring:
            status = Reasoned("deferred", _ids(deferring))
        elif assessing:
            status = Reasoned("assessment-required", _ids(assessing))
        else:
            # Never "overdue": no guideline sets a date after which a dose is late (there is
            # no maximum interval, PROJ-NO-SERIES-RESTART), so a late dose is still "due".
            status = Reasoned("due", _ids(option.setters["status"]))
        reported = [*option.fired, *declined, *(plan.fired if plan else ()), *precaution, *admin]
        return self._decision(
            status=status,
            reported=reported,
            option=option,
            series_doses=Reasoned(plan.doses, _ids(plan.fired)) if plan else _NOTHING,
            dose_number=self.history.valid + 1,
            admin=admin,
            dates=(
                Reasoned(earliest, _ids(timed_by)),
                Reasoned(due, _ids(timed_by)),
                Reasoned(option.latest, _ids(option.setters["latest"])),
            ),
        )

    def _dates(self, plan: Series | None, option: Option) -> tuple[date, date, list[Fired]]:
        """Earliest and due date of the next dose, and the rules that set them."""
        anchor, today = self.history.anchor, self.today
        if anchor is not None and plan is not None and plan.min_interval_days:
            by = [f for f in plan.fired if f.rule.rule.effect.min_interval_days]
            day = anchor + timedelta(plan.min_interval_days)
            return day, day, [*by, *self.history.anchor_fired]
        if option.exposure is not None and option.latest is not None:
            # A post-exposure window opens on day 0; the dose is due now, as early as possible.
            by = [*option.setters["status"], *option.setters["latest"]]
            return option.exposure.last_day, today, by
        return today, today, list(option.setters["status"])

    def _decision(
        self,
        *,
        status: Reasoned[str],
        reported: list[Fired],
        option: Option | None,
        series_doses: Reasoned[int | None],
        dose_number: int | None = None,
        admin: Sequence[Fired] = (),
        dates: tuple[Reasoned[date | None], ...] = (_NOTHING, _NOTHING, _NOTHING),
    ) -> Decision:
        reported += [f for e in self.history.evaluations for f in e.fired]
        reported += self._definitions(reported)
        order = {id(r): i for i, r in enumerate(self.pack.rules)}
        clauses = {id(f.rule): f.rule for f in reported}
        ordered = tuple(clauses[k] for k in sorted(clauses, key=lambda k: order.get(k, 0)))
        chosen = option or _no_option()
        return Decision(
            jurisdiction=self.pack.jurisdiction,
            guidance=self.pack.version,
            assessment_date=self.today,
            age=self.facts.age,
            status=status,
            pathway=Reasoned(option.pathway, _ids(option.fired)) if option else _NOTHING,
            priority_group=_field(chosen, "priority_group", chosen.priority_group),
            care_setting=_last(admin, "care_setting")
            or _field(chosen, "care_setting", chosen.care_setting),
            route=_last(admin, "route") or _NOTHING,
            volume=_last(admin, "volume") or _NOTHING,
            dose_number=dose_number,
            series_doses=series_doses,
            earliest=dates[0],
            due=dates[1],
            latest=dates[2],
            warnings=_ids(f for f in reported if f.rule.rule.effect.warn),
            # The exposure the decision rests on, else the latest one (it may explain a "no").
            exposure=(option.exposure if option else None)
            or (self.facts.exposures[-1] if self.facts.exposures else None),
            evaluations=self.history.evaluations,
            clauses=ordered,
            supporting=self._sources(reported, option),
        )

    def _definitions(self, reported: Sequence[Fired]) -> list[Fired]:
        found: list[Fired] = []
        for fired in reported:
            for used in sorted(fired.rule.uses):
                definition = self.pack.definitions.get(used)
                if definition is not None and definition.condition.test(fired.values):
                    found.append(Fired(definition, fired.values))
        return found

    def _sources(self, reported: Sequence[Fired], option: Option | None) -> tuple[str, ...]:
        refs: dict[str, None] = {}
        exposure = option.exposure if option else None
        for fired in reported:
            # `reads` is a set: sorted, so that the answer is the same in every process.
            for name in sorted(fired.rule.condition.reads):
                if name in _EXPOSURE_NAMES:
                    if exposure is not None and exposure.reference:
                        refs[exposure.reference] = None
                    continue
                key = _SOURCE.get(name) or name.removeprefix("last_")
                refs.update(dict.fromkeys(self.facts.sources.get(key, ())))
        return tuple(refs)


def _no_option() -> Option:
    return Option(pathway="", values={}, fired=())


def _field(option: Option, name: str, value: T) -> Reasoned[T]:
    return Reasoned(value, _ids(option.setters.get(name, ()))) if value is not None else _NOTHING


def _last(fired: Sequence[Fired], name: str) -> Reasoned[Any] | None:
    """The value the last rule setting `name` gives, with every rule that gives that value."""
    setters = [f for f in fired if getattr(f.rule.rule.effect, name) is not None]
    if not setters:
        return None
    value = getattr(setters[-1].rule.rule.effect, name)
    return Reasoned(value, _ids(f for f in setters if getattr(f.rule.rule.effect, name) == value))
