"""Rule packs: one YAML file per jurisdiction in `packs/`, checked when loaded.

A pack that does not follow the schema (README.md) fails to load with every problem and
where it is (`no.yaml: rules[12] (NO-PEP-4D).condition.all[1]: unknown fact 'dayz'`), so a
broken pack never answers a single request.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapter.errors import ConfigurationError
from adapter.rules.conditions import Compiled, ConditionError, compile_condition
from adapter.rules.context import NAMES

PACK_DIR = Path(__file__).parent

Stage = Literal[
    "definition",
    "history",
    "series",
    "completion",
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
    "history": {"status"},
    "series": {"series_doses", "min_interval_days"},
    "completion": {"status"},
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


@dataclass(frozen=True, slots=True)
class PackRule:
    """A rule with its condition compiled."""

    rule: Rule
    condition: Compiled
    uses: frozenset[str]
    """Definition rules reported with this one when it fires (`uses` and `{rule: ...}`)."""

    @property
    def id(self) -> str:
        return self.rule.id

    def applies_on(self, day: date) -> bool:
        start, end = self.rule.effective_from, self.rule.effective_to
        return (start is None or start <= day) and (end is None or day <= end)


@dataclass(frozen=True, slots=True)
class RulePack:
    data: PackFile
    rules: tuple[PackRule, ...]
    by_stage: Mapping[str, tuple[PackRule, ...]]
    definitions: Mapping[str, PackRule]
    titles: Mapping[str, str]

    @property
    def jurisdiction(self) -> str:
        return self.data.jurisdiction

    @property
    def version(self) -> str:
        return self.data.version

    def status_text(self, status: str, language: str) -> str | None:
        for known, texts in self.data.statuses.items():
            if known == status:
                return texts.get(language)
        return None

    def stage(self, name: str, day: date) -> tuple[PackRule, ...]:
        """The rules of a stage in force on `day`, in pack order."""
        return tuple(r for r in self.by_stage.get(name, ()) if r.applies_on(day))


@cache
def load_pack(jurisdiction: str) -> RulePack:
    """The pack of NO or DK, loaded and checked once per process."""
    path = PACK_DIR / f"{jurisdiction.lower()}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"rule pack {path.name}: cannot read: {exc}") from exc
    return build_pack(raw, path.name)


def build_pack(raw: Any, name: str) -> RulePack:
    try:
        data = PackFile.model_validate(raw)
    except ValidationError as exc:
        found = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"rule pack {name}: {found}") from exc
    problems: list[str] = []
    compiled = _compile(data, problems)
    for status, texts in data.statuses.items():
        for language, template in texts.items():
            problems.extend(_placeholders(template, f"statuses.{status}.{language}"))
    for index, rule in enumerate(data.rules):
        problems.extend(f"rules[{index}] ({rule.id}): {p}" for p in _check(data, rule))
    if problems:
        raise ConfigurationError(f"rule pack {name}: " + "; ".join(problems))
    by_stage: dict[str, list[PackRule]] = {}
    for packed in compiled:
        by_stage.setdefault(packed.rule.stage, []).append(packed)
    return RulePack(
        data=data,
        rules=tuple(compiled),
        by_stage={stage: tuple(rules) for stage, rules in by_stage.items()},
        definitions={r.id: r for r in compiled if r.rule.stage == "definition"},
        titles={r.id: r.rule.title for r in compiled},
    )


def _compile(data: PackFile, problems: list[str]) -> list[PackRule]:
    definitions = {r.id: r for r in data.rules if r.stage == "definition"}
    done: dict[str, Compiled] = {}
    busy: set[str] = set()

    def definition(rule_id: str) -> Compiled | None:
        if rule_id in done:
            return done[rule_id]
        rule = definitions.get(rule_id)
        if rule is None or rule_id in busy:
            return None  # unknown, or a definition that refers to itself
        busy.add(rule_id)
        done[rule_id] = compile_condition(rule.condition, NAMES, definition, rule_id)
        return done[rule_id]

    compiled: list[PackRule] = []
    for index, rule in enumerate(data.rules):
        try:
            condition = compile_condition(
                rule.condition, NAMES, definition, f"rules[{index}] ({rule.id}).condition"
            )
        except ConditionError as exc:
            problems.append(str(exc))
            continue
        uses = frozenset(rule.uses) | condition.rules
        compiled.append(PackRule(rule, condition, uses))
    return compiled


def _check(data: PackFile, rule: Rule) -> list[str]:
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
            problems.extend(_placeholders(template, f"text.{language}"))
    return problems


def _placeholders(template: str, where: str) -> list[str]:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        return [f"{where}: {exc}"]
    unknown = fields - PLACEHOLDERS
    return [f"{where}: unknown placeholder {{{f}}}" for f in sorted(unknown)]
