"""Plain-language explanations of a decision, in English and the jurisdiction's language.

The words are data: each pack holds a sentence per status and per rule clause, in `en` and
in `nb` (Norway) or `da` (Denmark), with placeholders such as {latest} filled in here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mpox_adapter.rules.engine import Decision
from mpox_adapter.rules.packs import RulePack, load_pack

ENGLISH = "en"


@dataclass(frozen=True, slots=True)
class Explanation:
    language: str
    summary: str
    reasons: tuple[tuple[str, str], ...]
    """(rule id, sentence), in the order of the pack."""

    @property
    def text(self) -> str:
        return " ".join([self.summary, *dict.fromkeys(sentence for _, sentence in self.reasons)])


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "-"


def languages(pack: RulePack) -> tuple[str, str]:
    return ENGLISH, pack.data.language


def explain(decision: Decision, language: str, pack: RulePack | None = None) -> Explanation:
    """The explanation of `decision` in `language` (en, or the pack's nb / da)."""
    pack = pack or load_pack(decision.jurisdiction)
    values = _values(decision, pack, language)
    status = decision.status.value
    summary = pack.status_text(status, language) or pack.status_text(status, ENGLISH) or status
    reasons = tuple(
        (clause.id, fill(clause.rule.text.get(language) or clause.rule.text[ENGLISH], values))
        for clause in decision.clauses
    )
    return Explanation(language, fill(summary, values), reasons)


def explanations(decision: Decision) -> dict[str, Explanation]:
    """English and the local language, keyed by language code."""
    pack = load_pack(decision.jurisdiction)
    return {language: explain(decision, language, pack) for language in languages(pack)}


def fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)


def _values(decision: Decision, pack: RulePack, language: str) -> _Values:
    terms = pack.data.terms

    def term(value: str | None) -> str | None:
        return terms.get(value, {}).get(language, value) if value else None

    exposure = decision.exposure
    raw: dict[str, Any] = {
        "age": decision.age,
        "priority_group": decision.priority_group.value,
        "earliest": decision.earliest.value,
        "due": decision.due.value,
        "latest": decision.latest.value,
        "exposure_day": exposure.last_day if exposure else None,
        "days_since_exposure": (decision.assessment_date - exposure.last_day).days
        if exposure
        else None,
        "series_doses": decision.series_doses.value,
        "dose_number": decision.dose_number,
        "route": term(decision.route.value),
        "volume": _number(decision.volume.value, language),
        "care_setting": term(decision.care_setting.value),
        "guidance": decision.guidance,
    }
    return _Values(
        {
            k: v.isoformat() if isinstance(v, date) else str(v)
            for k, v in raw.items()
            if v is not None
        }
    )


def _number(value: float | None, language: str) -> str | None:
    if value is None:
        return None
    text = f"{value:g}"
    return text if language == ENGLISH else text.replace(".", ",")
