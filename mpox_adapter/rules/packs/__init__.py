"""Rule packs: one YAML file per jurisdiction in `packs/`, checked when loaded.

A pack that does not follow the schema (README.md) fails to load with every problem and
where it is (`no.yaml: rules[12] (NO-PEP-4D).condition.all[1]: unknown fact 'dayz'`), so a
broken pack never answers a single request.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import ValidationError

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.rules.conditions import Compiled, ConditionError, compile_condition
from mpox_adapter.rules.context import NAMES
from mpox_adapter.rules.packs.schema import PackFile, Rule, check_rule, placeholders

PACK_DIR: Traversable = resources.files(__name__)
"""The packs, as package data."""


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
    boundaries: tuple[date, ...]
    """The days on which some rule starts or stops applying, sorted."""
    _in_force: dict[tuple[str, int], tuple[PackRule, ...]] = field(default_factory=dict)

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
        # Between two boundaries the same rules apply: one cached answer per period.
        key = (name, bisect_right(self.boundaries, day))
        found = self._in_force.get(key)
        if found is None:
            found = tuple(r for r in self.by_stage.get(name, ()) if r.applies_on(day))
            self._in_force[key] = found
        return found


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
            problems.extend(placeholders(template, f"statuses.{status}.{language}"))
    for index, rule in enumerate(data.rules):
        problems.extend(f"rules[{index}] ({rule.id}): {p}" for p in check_rule(data, rule))
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
        boundaries=tuple(sorted({d for r in data.rules for d in _changes(r)})),
    )


def _changes(rule: Rule) -> list[date]:
    """The first day a rule applies, and the first day it no longer does."""
    days = [rule.effective_from] if rule.effective_from else []
    if rule.effective_to:
        days.append(rule.effective_to + timedelta(1))
    return days


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
