"""The schema of a rule pack file, and the checks pydantic cannot express.

Pydantic checks the shape (fields, types, allowed values); `check_rule` checks what depends
on the rest of the pack or on the stage: id prefixes, rationales, sources, effective dates,
which effects a stage may set, `uses`, and the explanation templates.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal[
    "definition",
    "history",
    "series",
    "completion",
    "screening",
    "evaluation",
    "eligibility",
    "fallback",
    "safety",
    "precaution",
    "administration",
    "case",
    "duty",
    "contact",
]
Status = Literal[
    "due",
    "overdue",
    "immune",
    "contraindicated",
    "complete",
    "not-recommended",
    "deferred",
    "assessment-required",
]
Pathway = Literal["pre-exposure", "post-exposure"]
CareSetting = Literal["specialist", "municipal", "infectious-disease-department"]
Deadline = Literal["immediately", "same-day", "within-24-hours", "as-soon-as-possible"]

# Which effect fields a rule of each stage may set, and the statuses it may give.
_STAGE_FIELDS: dict[str, set[str]] = {
    "definition": set(),
    "history": {"status", "warn"},
    "series": {"series_doses", "min_interval_days"},
    "completion": {"status"},
    "screening": {"status"},
    "evaluation": {"dose_status", "resets_interval"},
    "eligibility": {"pathway", "status", "block", "priority_group", "care_setting", "latest_days"},
    "fallback": {"status"},
    "safety": {"status"},
    "precaution": {"status", "warn"},
    "administration": {"route", "volume", "care_setting"},
    "case": {"classification", "criterion"},
    "duty": {"duty"},
    "contact": {"close_contact", "monitoring_days"},
}
_STAGE_STATUSES: dict[str, set[str]] = {
    "history": {"immune"},
    "completion": {"complete"},
    "screening": {"assessment-required"},
    "eligibility": {"due", "assessment-required"},
    "fallback": {"not-recommended"},
    "safety": {"contraindicated"},
    "precaution": {"deferred", "assessment-required"},
}
PLACEHOLDERS = frozenset(
    {
        "age",
        "priority_group",
        "earliest",
        "due",
        "latest",
        "exposure_day",
        "days_since_exposure",
        "series_doses",
        "dose_number",
        "route",
        "volume",
        "care_setting",
        "guidance",
    }
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    document: str
    section: str


class Duty(_Model):
    action: str
    recipient: str
    deadline: Deadline


class Effect(_Model):
    status: Status | None = None
    pathway: Pathway | None = None
    block: bool = False
    priority_group: Literal[1, 2, 3] | None = None
    care_setting: CareSetting | None = None
    latest_days: int | None = Field(default=None, ge=0)
    series_doses: Literal[1, 2] | None = None
    min_interval_days: int | None = Field(default=None, ge=1)
    route: Literal["intradermal", "subcutaneous"] | None = None
    volume: float | None = Field(default=None, gt=0)
    dose_status: Literal["valid", "notvalid"] | None = None
    resets_interval: bool = False
    warn: bool = False
    classification: Literal["confirmed", "suspected"] | None = None
    criterion: str | None = None
    duty: Duty | None = None
    close_contact: bool = False
    monitoring_days: int | None = Field(default=None, ge=0)


class Rule(_Model):
    id: str = Field(pattern=r"^(NO|DK|PROJ)(-[A-Z0-9]+)+$")
    title: str
    stage: Stage
    source: Source
    effective_from: date | None
    effective_to: date | None
    condition: dict[str, Any]
    effect: Effect
    uses: tuple[str, ...] = ()
    rationale: str | None = None
    text: dict[str, str]


class PackFile(_Model):
    jurisdiction: Literal["NO", "DK"]
    version: str
    authority: str
    language: Literal["nb", "da"]
    documents: dict[str, str]
    statuses: dict[Status, dict[str, str]]
    terms: dict[str, dict[str, str]]
    shared: dict[str, Any] = {}
    """Sub-conditions that rules repeat, written once with a YAML anchor (&name, *name)."""
    rules: tuple[Rule, ...]


def check_rule(data: PackFile, rule: Rule) -> list[str]:
    problems: list[str] = []
    prefix = rule.id.split("-", 1)[0]
    if prefix not in ("PROJ", data.jurisdiction):
        problems.append(f"a {data.jurisdiction} pack holds {data.jurisdiction}- and PROJ- rules")
    if prefix == "PROJ" and not rule.rationale:
        problems.append("a project rule needs a rationale")
    if rule.source.document not in data.documents:
        problems.append(f"source.document {rule.source.document!r} is not in documents")
    if rule.effective_from and rule.effective_to and rule.effective_from > rule.effective_to:
        problems.append("effective_from is after effective_to")
    set_fields = rule.effect.model_dump(exclude_defaults=True)
    wrong = set(set_fields) - _STAGE_FIELDS[rule.stage]
    if wrong:
        problems.append(f"a {rule.stage} rule cannot set {', '.join(sorted(wrong))}")
    if rule.effect.status and rule.effect.status not in _STAGE_STATUSES.get(rule.stage, set()):
        problems.append(f"a {rule.stage} rule cannot give status {rule.effect.status}")
    if rule.stage == "eligibility" and rule.effect.pathway is None:
        problems.append("an eligibility rule names its pathway")
    for used in rule.uses:
        if not any(r.id == used and r.stage == "definition" for r in data.rules):
            problems.append(f"uses {used!r}, which is not a definition rule of this pack")
    for language in ("en", data.language):
        template = rule.text.get(language)
        if template is None:
            problems.append(f"text has no {language!r} explanation")
        else:
            problems.extend(placeholders(template, f"text.{language}"))
    return problems


def placeholders(template: str, where: str) -> list[str]:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        return [f"{where}: {exc}"]
    unknown = fields - PLACEHOLDERS
    return [f"{where}: unknown placeholder {{{f}}}" for f in sorted(unknown)]
