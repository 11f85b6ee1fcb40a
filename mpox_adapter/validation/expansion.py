"""Three-valued code sets and local CodeSystem indexes, the parts ValueSet expansion is built of.

A code set answers YES, NO or MAYBE for a (system, code) pair. MAYBE stands for whatever a
terminology server would be needed for: a system with no complete local CodeSystem, a filter
we cannot evaluate, an unknown or cyclic import. MAYBE is carried through union, exclusion
and intersection rather than collapsed into NO, so the validator can say "cannot check"
instead of raising a false error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

Resource = dict[str, Any]
Pair = tuple[str, str]
Verdict = tuple[int, str | None]  # (NO | MAYBE | YES, why it is MAYBE)

NO, MAYBE, YES = 0, 1, 2
ANY_SYSTEM = "*"  # not a valid URI, so it cannot clash with a real system
_NO: Verdict = (NO, None)
YES_VERDICT: Verdict = (YES, None)

# Shape-only checks: neither system can be enumerated, but a malformed code is certainly
# not a member, and a well-formed one is accepted (we do not hold the IANA registries).
_MIME = r"[A-Za-z0-9][\w!#$&^.+-]{0,126}/[A-Za-z0-9][\w!#$&^.+-]{0,126}"
_MIME_PARAMS = r'(\s*;\s*[\w!#$&^.+-]+=("[^"]*"|[^;\s"]+))*'
_BCP47 = (
    r"([A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(-[A-Za-z]{4})?(-([A-Za-z]{2}|\d{3}))?"
    r"(-([A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*(-[0-9A-WYZa-wyz](-[A-Za-z0-9]{2,8})+)*"
    r"(-[Xx](-[A-Za-z0-9]{1,8})+)?|[Xx](-[A-Za-z0-9]{1,8})+|[Ii]-[A-Za-z]{2,8}"
)
SHAPES: dict[str, re.Pattern[str]] = {
    "urn:ietf:bcp:13": re.compile(_MIME + _MIME_PARAMS),
    "urn:ietf:bcp:47": re.compile(_BCP47),
}
_HIERARCHY_OPS = frozenset({"is-a", "descendent-of", "is-not-a", "generalizes"})
_CODE_PROPERTIES = frozenset({"concept", "code", "parent", "child"})


@dataclass(frozen=True, slots=True)
class Rule:
    """Codes of a system that belong by default or by shape rather than by being listed."""

    outcome: int
    reason: str | None = None
    patterns: tuple[re.Pattern[str], ...] = ()

    def verdict(self, code: str) -> Verdict:
        for pattern in self.patterns:
            if pattern.fullmatch(code) is None:
                return _NO
        return (self.outcome, self.reason)


@dataclass(frozen=True, slots=True)
class CodeSet:
    """Listed pairs win over rules; NO entries are listed only to override a rule."""

    listed: dict[Pair, Verdict] = field(default_factory=dict)
    rules: dict[str, tuple[Rule, ...]] = field(default_factory=dict)

    @classmethod
    def unknown(cls, reason: str) -> CodeSet:
        return cls({}, {ANY_SYSTEM: (Rule(MAYBE, reason),)})

    @classmethod
    def listing(cls, system: str, codes: Iterable[str], verdict: Verdict = YES_VERDICT) -> CodeSet:
        return cls(dict.fromkeys(((system, code) for code in codes), verdict))

    def verdict(self, system: str, code: str) -> Verdict:
        found = self.listed.get((system, code))
        if found is not None:
            return found
        best = _NO
        for rule in self.rules.get(system, ()) + self.rules.get(ANY_SYSTEM, ()):
            verdict = rule.verdict(code)
            if verdict[0] > best[0]:
                best = verdict
        return best


def union(a: CodeSet, b: CodeSet) -> CodeSet:
    if not a.listed and not a.rules:
        return b
    rules = dict(a.rules)
    for system, extra in b.rules.items():
        rules[system] = rules.get(system, ()) + extra
    return _merge(a, b, lambda x, y: x if x[0] >= y[0] else y, rules)


def intersection(a: CodeSet, b: CodeSet) -> CodeSet:
    rules: dict[str, tuple[Rule, ...]] = {}
    for system in a.rules.keys() | b.rules.keys():
        left, right = _rules_for(a, system), _rules_for(b, system)
        crossed = tuple(
            Rule(
                min(x.outcome, y.outcome),
                x.reason if x.outcome <= y.outcome else y.reason,
                x.patterns + y.patterns,
            )
            for x in left
            for y in right
        )
        if crossed:
            rules[system] = crossed
    return _merge(a, b, lambda x, y: x if x[0] <= y[0] else y, rules)


def difference(a: CodeSet, b: CodeSet) -> CodeSet:
    rules: dict[str, tuple[Rule, ...]] = {}
    for system, own in a.rules.items():
        clash = _rules_for(b, system) if system != ANY_SYSTEM else tuple(chain(*b.rules.values()))
        # Rule-minus-rule is not representable without negated patterns; stay honest.
        why = (clash[0].reason if clash else None) or f"exclusions from {system} are undecidable"
        rules[system] = tuple(
            Rule(MAYBE, r.reason if r.outcome == MAYBE else why, r.patterns) if clash else r
            for r in own
        )
    return _merge(a, b, _but_not, rules)


def _but_not(x: Verdict, y: Verdict) -> Verdict:
    if x[0] == NO or y[0] == YES:
        return _NO
    if y[0] == NO:
        return x
    return y if x[0] == YES else x


def _rules_for(code_set: CodeSet, system: str) -> tuple[Rule, ...]:
    own = code_set.rules.get(system, ())
    return own if system == ANY_SYSTEM else own + code_set.rules.get(ANY_SYSTEM, ())


def _merge(
    a: CodeSet,
    b: CodeSet,
    combine: Callable[[Verdict, Verdict], Verdict],
    rules: dict[str, tuple[Rule, ...]],
) -> CodeSet:
    listed: dict[Pair, Verdict] = {}
    for pair in a.listed.keys() | b.listed.keys():
        verdict = combine(a.verdict(*pair), b.verdict(*pair))
        if verdict[0] != NO or pair[0] in rules or ANY_SYSTEM in rules:
            listed[pair] = verdict
    return CodeSet(listed, rules)


def _property_value(prop: Resource) -> str | None:
    for key, value in prop.items():
        if key.startswith("value"):
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, dict):
                code = value.get("code")
                return code if isinstance(code, str) else None
            return str(value)
    return None


class LocalCodeSystem:
    """A CodeSystem indexed by code, with a hierarchy from nesting and parent/child properties."""

    def __init__(self, resource: Resource) -> None:
        self.content = resource.get("content")
        self.complete = self.content == "complete"
        self.case_sensitive = resource.get("caseSensitive") is not False
        self.declared = {p.get("code") for p in resource.get("property", ())}
        self.concepts: dict[str, Resource] = {}
        self.parents: dict[str, set[str]] = {}
        self.children: dict[str, set[str]] = {}
        self._walk(resource.get("concept", ()), None)

    def norm(self, code: str) -> str:
        return code if self.case_sensitive else code.lower()

    def _link(self, parent: str, child: str) -> None:
        self.children.setdefault(parent, set()).add(child)
        self.parents.setdefault(child, set()).add(parent)

    def _walk(self, concepts: Iterable[Resource], parent: str | None) -> None:
        for concept in concepts:
            code = concept.get("code")
            if not isinstance(code, str):
                continue
            code = self.norm(code)
            self.concepts.setdefault(code, concept)
            if parent is not None:
                self._link(parent, code)
            for prop in concept.get("property", ()):
                value = _property_value(prop)
                if value is not None and prop.get("code") == "child":
                    self._link(code, self.norm(value))
                elif value is not None and prop.get("code") in ("parent", "subsumedBy"):
                    self._link(self.norm(value), code)
            self._walk(concept.get("concept", ()), code)

    def closure(self, code: str, edges: dict[str, set[str]]) -> set[str]:
        """Every code reachable from `code` (not itself); the visited set survives cycles."""
        seen: set[str] = set()
        todo = list(edges.get(code, ()))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(edges.get(current, ()))
        seen.discard(code)
        return seen

    def values(self, code: str, prop: str) -> Sequence[str]:
        if prop in ("concept", "code"):
            return (code,)
        if prop in ("parent", "child"):
            return tuple((self.parents if prop == "parent" else self.children).get(code, ()))
        concept = self.concepts[code]
        if prop == "display":
            return (concept["display"],) if isinstance(concept.get("display"), str) else ()
        found = (_property_value(p) for p in concept.get("property", ()) if p.get("code") == prop)
        return tuple(value for value in found if value is not None)

    def filter(self, prop: str, op: str, value: str) -> set[str] | None:
        """Codes meeting one compose filter, or None when we cannot evaluate it."""
        if prop == "concept" and op in _HIERARCHY_OPS:
            root = self.norm(value)
            if root not in self.concepts:
                return set()
            if op == "generalizes":
                return self.closure(root, self.parents) | {root}
            below = self.closure(root, self.children)
            if op == "is-not-a":
                return self.concepts.keys() - below - {root}
            return below if op == "descendent-of" else below | {root}
        if prop not in _CODE_PROPERTIES and prop != "display" and prop not in self.declared:
            return None
        wanted = self.norm(value) if prop in _CODE_PROPERTIES else value
        if op == "=":
            return {c for c in self.concepts if wanted in self.values(c, prop)}
        if op in ("in", "not-in"):
            listed = {
                self.norm(v.strip()) if prop in _CODE_PROPERTIES else v for v in value.split(",")
            }
            keep = op == "in"
            return {c for c in self.concepts if listed.isdisjoint(self.values(c, prop)) != keep}
        if op == "regex":
            try:
                pattern = re.compile(value, 0 if self.case_sensitive else re.IGNORECASE)
            except re.error:
                return None
            return {c for c in self.concepts if any(map(pattern.fullmatch, self.values(c, prop)))}
        if op == "exists":
            return {c for c in self.concepts if bool(self.values(c, prop)) == (value == "true")}
        return None
