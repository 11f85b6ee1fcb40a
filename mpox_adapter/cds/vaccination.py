"""`mpox-vaccination` (patient-view): what the guideline says about vaccinating this patient.

One card states the recommendation (eligibility and group, the dose due with route, volume and
dates, the post-exposure window, or why not), with the rules' own explanation as detail and,
when a dose can be given now, the order as a suggestion. Precautions that do not stop the
dose get a card of their own, so that they are not lost in the detail. A patient the mpox
rules have nothing to say about (no dose, exposure, mpox record or risk factor) gets no card.
"""

from __future__ import annotations

from collections.abc import Sequence

from mpox_adapter.cds import texts
from mpox_adapter.cds.cards import Action, Card, Indicator, Suggestion
from mpox_adapter.cds.forecast import Assessment, Forecast
from mpox_adapter.cds.situation import Situation
from mpox_adapter.cds.suggestions import next_dose
from mpox_adapter.cds.texts import text

ORDERABLE = frozenset({"due", "overdue", "assessment-required"})


def cards(situation: Situation, assessment: Assessment) -> list[Card]:
    forecast = assessment.forecast
    if forecast.status == "not-recommended" and not _concerns_mpox(assessment):
        return []
    language = situation.language
    card = Card(
        summary=summary(assessment, situation),
        indicator=_indicator(forecast, situation),
        source=texts.source(situation.jurisdiction, "vaccination"),
        detail=detail(assessment, situation),
        rules=forecast.rules,
        override_reasons=texts.override_reasons(language),
        links=texts.links(situation.jurisdiction),
    )
    order = _order(forecast, situation)
    if order is not None:
        card.suggestions.append(order)
    found = [card]
    precautions = [rule for rule in assessment.warnings if rule in forecast.rules]
    if precautions and forecast.status in ORDERABLE:
        found.append(
            Card(
                summary=text("precaution", language),
                indicator="warning",
                source=card.source,
                detail=_reasons(assessment, precautions),
                rules=precautions,
                override_reasons=texts.override_reasons(language, "clinical-judgement"),
                links=card.links,
            )
        )
    return found


def summary(assessment: Assessment, situation: Situation) -> str:
    forecast, language = assessment.forecast, situation.language
    status = forecast.status
    if status in ("due", "overdue") and forecast.dose_number and forecast.series_doses:
        values = {"dose": forecast.dose_number, "series": forecast.series_doses}
        if status == "overdue" and forecast.due:
            head = text("overdue", language, due=texts.day(forecast.due), **values)
        elif forecast.earliest and forecast.earliest > situation.today:
            head = text("due-from", language, earliest=texts.day(forecast.earliest), **values)
        else:
            head = text("due-now", language, **values)
        how = how_given(forecast, language)
        parts = [f"{head}, {how}" if how else head]
    elif f"status-{status}" in texts.TEXT:
        parts = [text(f"status-{status}", language)]
    else:
        # A status without words of ours (or a due dose without its number): the rules' own.
        parts = [assessment.summary]
    window = pep_window(forecast, situation)
    if window and status not in ("immune", "complete", "contraindicated"):
        parts.append(window)
    return "; ".join(parts)


def how_given(forecast: Forecast, language: str) -> str:
    if forecast.route is None or forecast.volume is None:
        return ""
    return text(
        "route-volume",
        language,
        volume=texts.volume(forecast.volume, language),
        route=texts.term(forecast.route, language),
    )


def pep_window(forecast: Forecast, situation: Situation) -> str:
    if forecast.pathway != "post-exposure" or forecast.latest is None:
        return ""
    left = (forecast.latest - situation.today).days
    latest = texts.day(forecast.latest)
    if left < 0:
        return text("pep-closed", situation.language, latest=latest)
    return text("pep-window", situation.language, latest=latest, days=left)


def detail(assessment: Assessment, situation: Situation) -> str:
    forecast, language = assessment.forecast, situation.language
    facts: list[tuple[str, str]] = []
    if forecast.pathway:
        facts.append(("pathway", texts.term(forecast.pathway, language)))
    if forecast.priority_group:
        facts.append(("priority-group", forecast.priority_group))
    if forecast.care_setting:
        facts.append(("care-setting", texts.term(forecast.care_setting, language)))
    if forecast.dose_number and forecast.series_doses:
        dose = text("dose-of", language, dose=forecast.dose_number, series=forecast.series_doses)
        facts.append(("dose", dose))
    if how := how_given(forecast, language):
        facts.append(("route", how))
    for key, value in (
        ("earliest", forecast.earliest),
        ("due", forecast.due),
        ("latest", forecast.latest),
    ):
        if value is not None:
            facts.append((key, texts.day(value)))
    if window := pep_window(forecast, situation):
        facts.append(("latest", window))
    lines = [f"**{assessment.summary}**", ""]
    lines += [f"- **{text(key, language)}:** {value}" for key, value in facts]
    lines += ["", f"**{text('why', language)}**", "", _reasons(assessment, forecast.rules)]
    given = _doses_given(assessment, situation)
    if given:
        lines += ["", f"**{text('doses-given', language)}**", "", *given]
    lines += ["", f"_{text('guidance', language)}: {assessment.guidance}_"]
    return "\n".join(lines)


def _reasons(assessment: Assessment, rules: Sequence[str]) -> str:
    wanted = set(rules)
    sentences = dict.fromkeys(
        f"- {sentence} (`{rule}`)" for rule, sentence in assessment.reasons if rule in wanted
    )
    return "\n".join(sentences) or "\n".join(f"- `{rule}`" for rule in rules)


def _doses_given(assessment: Assessment, situation: Situation) -> list[str]:
    dates = {
        f"Immunization/{r.get('id')}": str(r.get("occurrenceDateTime", ""))[:10]
        for r in situation.data.of("immunizations")
    }
    lines = []
    for evaluation in assessment.forecast.evaluations:
        when = dates.get(evaluation.event or "", "")
        verdict = text("valid" if evaluation.valid else "not-valid", situation.language)
        number = f" {evaluation.dose_number}" if evaluation.dose_number else ""
        lines.append(f"- {text('dose', situation.language)}{number} {when}: {verdict}".strip())
    return lines


def _indicator(forecast: Forecast, situation: Situation) -> Indicator:
    if forecast.status in ("contraindicated", "deferred", "overdue"):
        return "warning"
    window_open = forecast.latest is not None and forecast.latest >= situation.today
    if forecast.pathway == "post-exposure" and window_open and forecast.status in ORDERABLE:
        # The post-exposure window closes within days: this cannot wait for the next visit.
        return "warning"
    return "info"


def _order(forecast: Forecast, situation: Situation) -> Suggestion | None:
    today = situation.today
    if (
        forecast.status not in ORDERABLE
        or forecast.route is None
        or forecast.volume is None
        or forecast.dose_number is None
        or (forecast.earliest is not None and forecast.earliest > today)
        or (forecast.latest is not None and forecast.latest < today)
    ):
        return None
    language = situation.language
    how = how_given(forecast, language)
    resource = next_dose(
        situation.request.patient_id,
        forecast.route,
        forecast.volume,
        how,
        forecast.pathway,
        forecast.earliest,
        forecast.latest,
    )
    action = Action(
        "create", text("order-dose-action", language, dose=forecast.dose_number, how=how), resource
    )
    label = text("order-dose", language, dose=forecast.dose_number, how=how)
    # A physician's assessment comes first: offer the order, do not recommend it.
    return Suggestion(label, (action,), recommended=forecast.status != "assessment-required")


def _concerns_mpox(assessment: Assessment) -> bool:
    facts = assessment.facts
    return bool(
        facts.doses or facts.exposures or facts.mpox or facts.symptoms or facts.spans
        or any(facts.flags.values())
    )  # fmt: skip
