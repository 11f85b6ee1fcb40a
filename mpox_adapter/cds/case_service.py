"""`mpox-case` (patient-view): case classification, reporting duties with deadlines, and for an
exposed contact the post-exposure window and the end of monitoring.

All decisions come from `mpox_adapter.rules.cases.assess_case`; this module only writes them as
cards: one for the classification (a suspected case gets a PCR order to sign), one listing
the duties with a task to create for each, and one per exposure still being followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mpox_adapter.cds import texts
from mpox_adapter.cds.cards import Action, Card, Indicator, Suggestion
from mpox_adapter.cds.case_texts import case_text
from mpox_adapter.cds.forecast import Assessment
from mpox_adapter.cds.situation import Situation
from mpox_adapter.cds.suggestions import notify_task, pcr_order
from mpox_adapter.rules.cases import CaseAssessment, Contact, Duty, assess_case
from mpox_adapter.rules.packs import RulePack

_URGENT = frozenset({"immediately", "same-day"})
# The duties that are reports to an authority (sections 5 and 7 of the guideline digest,
# docs/rule-sources.md): each gets a task to create. The others (tracing, isolation advice,
# samples) are listed, not turned into tasks.
NOTIFICATIONS = frozenset({"NO-ALERT", "NO-MSIS-A", "DK-NOTIFY-PHONE", "DK-NOTIFY-SEI2"})
_ZONES = {"NO": "Europe/Oslo", "DK": "Europe/Copenhagen"}


def cards(situation: Situation, assessment: Assessment) -> list[Card]:
    case = assess_case(assessment.facts, assessment.pack)
    found: list[Card] = []
    if case.classification is not None:
        found.append(_classification(case, situation, assessment))
    if case.duties:
        found.append(_duties(case, situation, assessment.pack))
    found += [
        _contact(contact, situation, assessment.pack)
        for contact in case.contacts
        if _followed(contact, situation.today)
    ]
    return found


def _card(
    situation: Situation, summary: str, indicator: Indicator, detail: str, rules: Iterable[str]
) -> Card:
    return Card(
        summary=summary,
        indicator=indicator,
        source=texts.source(situation.jurisdiction, "case"),
        detail=detail,
        rules=tuple(rules),
        override_reasons=texts.override_reasons(
            situation.language, "clinical-judgement", "record-incomplete", "not-applicable"
        ),
        links=texts.links(situation.jurisdiction),
    )


def _classification(case: CaseAssessment, situation: Situation, assessment: Assessment) -> Card:
    language = situation.language
    kind = case.classification or "suspected"
    others = {d.rule for d in case.duties} | {r for c in case.contacts for r in c.rules}
    rules = [r for r in case.rules if r not in others]
    lines = [f"**{case_text(kind, language)}**", ""]
    lines += _sentences(assessment.pack, rules, language, case.criteria)
    if case.since is not None:
        lines += ["", f"- **{case_text('since', language)}:** {_moment(case.since, situation)}"]
    if case.criteria:
        lines.append(f"- **{case_text('criteria', language)}:** {', '.join(case.criteria)}")
    card = _card(
        situation, case_text(kind, language), "warning", "\n".join(lines), rules or case.rules
    )
    if kind == "suspected":
        condition = next(
            (r.reference for r in assessment.facts.mpox if r.kind == "suspected" and r.reference),
            None,
        )
        action = Action(
            "create",
            case_text("pcr-action", language),
            pcr_order(situation.request.patient_id, condition),
        )
        card.suggestions.append(Suggestion(case_text("pcr", language), (action,), recommended=True))
    return card


def _duties(case: CaseAssessment, situation: Situation, pack: RulePack) -> Card:
    language = situation.language
    ordered = sorted(case.duties, key=_urgency)
    lines = [
        f"- **{_when(duty, situation)}:** {_text(pack, duty.rule, language)} (`{duty.rule}`)"
        for duty in ordered
    ]
    urgent = case.classification == "confirmed" and any(d.deadline in _URGENT for d in ordered)
    card = _card(
        situation,
        case_text(
            "duty" if len(ordered) == 1 else "duties",
            language,
            count=len(ordered),
            when=_when(ordered[0], situation),
        ),
        "critical" if urgent else "warning",
        "\n".join(lines),
        [d.rule for d in ordered],
    )
    card.selection_behavior = "any"  # each notification is a task of its own
    for duty in ordered:
        if duty.rule not in NOTIFICATIONS:
            continue
        task = notify_task(
            situation.request.patient_id,
            _text(pack, duty.rule, language),
            f"{duty.action}: {duty.recipient}",
            _due(duty, situation),
        )
        when = _when(duty, situation)
        action = Action("create", case_text("task-action", language, when=when), task)
        label = case_text("task", language, recipient=duty.recipient)
        card.suggestions.append(Suggestion(label, (action,)))
    return card


def _contact(contact: Contact, situation: Situation, pack: RulePack) -> Card:
    language, today = situation.language, situation.today
    day = contact.exposure.last_day.isoformat()
    until = contact.monitoring_until.isoformat() if contact.monitoring_until else "-"
    window_open = contact.pep_latest is not None and contact.pep_latest >= today
    if window_open and contact.pep_latest is not None:
        summary = case_text(
            "contact-pep",
            language,
            day=day,
            days=contact.pep_days_left,
            latest=contact.pep_latest.isoformat(),
        )
        if contact.monitoring_until is not None:
            summary += "; " + case_text("and-monitor", language, until=until)
    else:
        summary = case_text("contact-monitor", language, day=day, until=until)
    yes_no = case_text("yes" if contact.close_contact else "no", language)
    lines = [
        f"- **{case_text('exposure-day', language)}:** {day}",
        f"- **{case_text('close-contact', language)}:** {yes_no}",
        f"- **{case_text('monitor-until', language)}:** {until}",
        f"- **{case_text('pep-until', language)}:** {contact.pep_latest.isoformat()}"
        if window_open and contact.pep_latest
        else f"- {case_text('pep-not-possible', language)}",
        "",
        *_sentences(pack, contact.rules, language, ()),
    ]
    indicator: Indicator = "warning" if window_open else "info"
    return _card(situation, summary, indicator, "\n".join(lines), contact.rules)


def _followed(contact: Contact, today: date) -> bool:
    """Worth a card while the window is open or monitoring lasts."""
    open_window = contact.pep_latest is not None and contact.pep_latest >= today
    monitoring = contact.monitoring_until is not None and contact.monitoring_until >= today
    return open_window or monitoring


def _sentences(
    pack: RulePack, rules: Iterable[str], language: str, criteria: Iterable[str]
) -> list[str]:
    wanted, met = list(dict.fromkeys(rules)), set(criteria)
    lines: dict[str, None] = {}
    for rule_id in wanted:
        for rule in pack.rules:
            criterion = rule.rule.effect.criterion
            if rule.id == rule_id and (criterion is None or criterion in met):
                lines[f"- {rule.rule.text.get(language) or rule.rule.text['en']} (`{rule_id}`)"] = (
                    None
                )
    return list(lines)


def _text(pack: RulePack, rule_id: str, language: str) -> str:
    for rule in pack.rules:
        if rule.id == rule_id:
            return rule.rule.text.get(language) or rule.rule.text["en"]
    return rule_id


def _urgency(duty: Duty) -> tuple[int, str]:
    order = ("immediately", "same-day", "within-24-hours", "as-soon-as-possible")
    rank = order.index(duty.deadline) if duty.deadline in order else len(order)
    return rank, duty.rule


def _when(duty: Duty, situation: Situation) -> str:
    language = situation.language
    word = case_text(duty.deadline, language) if duty.deadline else ""
    if duty.due is None or duty.deadline == "immediately":
        return word
    return f"{word}, {case_text('by', language, when=_moment(duty.due, situation))}"


def _due(duty: Duty, situation: Situation) -> datetime | None:
    if isinstance(duty.due, datetime):
        return _aware(duty.due, situation)
    if isinstance(duty.due, date):
        return _aware(
            datetime.combine(duty.due, datetime.max.time()).replace(microsecond=0), situation
        )
    return None


def _moment(moment: datetime | date, situation: Situation) -> str:
    if isinstance(moment, datetime):
        return _aware(moment, situation).strftime("%Y-%m-%d %H:%M %z")
    return moment.isoformat()


def _aware(moment: datetime, situation: Situation) -> datetime:
    """A FHIR dateTime with a time needs a zone; a record without one is taken as local."""
    if moment.tzinfo is not None:
        return moment
    try:
        return moment.replace(tzinfo=ZoneInfo(_ZONES[situation.jurisdiction]))
    except ZoneInfoNotFoundError:
        return moment
