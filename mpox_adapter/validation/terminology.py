"""Code membership in FHIR R4 ValueSets, decided locally from the loaded definitions.

Every ValueSet is expanded once into a three-valued code set (see `expansion`) and frozen into
a lookup table, because the validator asks about the same few value sets hundreds of
thousands of times: a member of an enumerable value set costs one set lookup. Whatever needs
a terminology server (SNOMED CT, LOINC, unsupported filters, missing or cyclic imports) comes
back UNKNOWN with a reason, never as a false NOT_MEMBER.

Shape-only systems: ``urn:ietf:bcp:13`` (MIME types) and ``urn:ietf:bcp:47`` (languages) are
checked against their syntax only, so a well-formed but unregistered code counts as a member.

Tables are cached for the life of the `Terminology`; build a new one after adding resources
to the `Definitions`.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.expansion import (
    MAYBE,
    NO,
    SHAPES,
    YES,
    YES_VERDICT,
    CodeSet,
    LocalCodeSystem,
    Pair,
    Resource,
    Rule,
    Verdict,
    difference,
    intersection,
    union,
)


class Membership(enum.Enum):
    MEMBER = "member"
    NOT_MEMBER = "not-member"
    UNKNOWN = "unknown"  # cannot be decided locally


@dataclass(frozen=True, slots=True)
class CodeCheck:
    membership: Membership
    reason: str | None = None  # why it is UNKNOWN or NOT_MEMBER, for the issue text


_MEMBER = CodeCheck(Membership.MEMBER)
_MAX_MISSES = 10_000  # per value set: bounds memory when a feed is full of free-text codes


class Expander:
    """Builds and caches a CodeSet per ValueSet URL and an index per CodeSystem URL."""

    def __init__(self, definitions: Definitions) -> None:
        self._definitions = definitions
        self._systems: dict[str, LocalCodeSystem | None] = {}
        self._sets: dict[str, CodeSet] = {}
        self.folded: set[str] = set()  # systems whose codes are stored lower-cased

    def code_system(self, url: str) -> LocalCodeSystem | None:
        if url not in self._systems:
            resource = self._definitions.code_system(url)
            self._systems[url] = LocalCodeSystem(resource) if resource is not None else None
        return self._systems[url]

    def value_set(self, url: str, trail: tuple[str, ...] = ()) -> CodeSet:
        found = self._sets.get(url)
        if found is not None:
            return found
        if url in trail:
            return CodeSet.unknown(f"ValueSet {url} imports itself: {' -> '.join((*trail, url))}")
        resource = self._definitions.value_set(url)
        if resource is None:
            result = CodeSet.unknown(f"ValueSet {url} is not known")
        else:
            from_expansion = self._from_expansion(url, resource)
            result = from_expansion or self._from_compose(url, resource, (*trail, url))
        self._sets[url] = result
        return result

    def _norm(self, system: str, code: str, cs: LocalCodeSystem | None) -> str:
        if cs is None or cs.case_sensitive:
            return code
        self.folded.add(system)
        return code.lower()

    def _local(self, system: str, cs: LocalCodeSystem, codes: Iterable[str]) -> Iterable[str]:
        """Codes taken from the index of `cs`, which already holds them folded."""
        if not cs.case_sensitive:
            self.folded.add(system)
        return codes

    def _from_expansion(self, url: str, resource: Resource) -> CodeSet | None:
        expansion = resource.get("expansion")
        if not isinstance(expansion, dict) or not expansion.get("contains"):
            return None
        listed: dict[Pair, Verdict] = {}
        count = 0
        todo = list(expansion["contains"])
        while todo:
            entry = todo.pop()
            todo.extend(entry.get("contains", ()))
            system, code = entry.get("system"), entry.get("code")
            if isinstance(system, str) and isinstance(code, str):
                count += 1
                if not entry.get("abstract"):  # abstract entries are for navigation only
                    code = self._norm(system, code, self.code_system(system))
                    listed[(system, code)] = YES_VERDICT
        total = expansion.get("total")
        parameters = {p.get("name"): p for p in expansion.get("parameter", ())}
        limited = parameters.get("limitedExpansion", {}).get("valueBoolean") is True
        paged = "count" in parameters and not isinstance(total, int)
        partial = (
            limited
            or paged
            or (isinstance(total, int) and total > count)
            or (expansion.get("offset") or 0) > 0
            or any("toocostly" in str(e.get("url")) for e in expansion.get("extension", ()))
        )
        if not partial:
            return CodeSet(listed)
        if "compose" in resource:
            return None
        rule = Rule(MAYBE, f"ValueSet {url} has only a partial expansion")
        return CodeSet(listed, {system: (rule,) for system, _ in listed})

    def _from_compose(self, url: str, resource: Resource, trail: tuple[str, ...]) -> CodeSet:
        compose = resource.get("compose")
        if not isinstance(compose, dict):
            return CodeSet.unknown(f"ValueSet {url} has neither a compose nor an expansion")
        result = CodeSet()
        for include in compose.get("include", ()):
            result = union(result, self._include(url, include, trail))
        for exclude in compose.get("exclude", ()):
            result = difference(result, self._include(url, exclude, trail))
        return result

    def _include(self, url: str, include: Resource, trail: tuple[str, ...]) -> CodeSet:
        parts = [self.value_set(imported, trail) for imported in include.get("valueSet", ())]
        if isinstance(include.get("system"), str):
            parts.insert(0, self._system_part(url, include))
        result = parts[0] if parts else CodeSet()
        for part in parts[1:]:
            result = intersection(result, part)
        return result

    def _system_part(self, url: str, include: Resource) -> CodeSet:
        raw: str = include["system"]
        system = raw.split("|", 1)[0]  # R4 core has CodeSystem URLs like ...v2-0360|2.7
        version = include.get("version")
        candidates = [raw, f"{system}|{version}"] if version else [raw]
        cs = next(filter(None, map(self.code_system, candidates)), None)
        if include.get("concept"):
            codes = (c["code"] for c in include["concept"] if isinstance(c.get("code"), str))
            return CodeSet.listing(system, (self._norm(system, code, cs) for code in codes))
        if include.get("filter"):
            return self._filtered(url, system, cs, include["filter"])
        if cs is not None and cs.complete:
            return CodeSet.listing(system, self._local(system, cs, cs.concepts))
        if cs is None and system in SHAPES:
            return CodeSet({}, {system: (Rule(YES, None, (SHAPES[system],)),)})
        reason = f"ValueSet {url} includes all of {system}, which cannot be expanded locally"
        # A fragment or example CodeSystem still proves that the codes it holds exist.
        known = self._local(system, cs, cs.concepts) if cs is not None else ()
        return CodeSet(CodeSet.listing(system, known).listed, {system: (Rule(MAYBE, reason),)})

    def _filtered(
        self, url: str, system: str, cs: LocalCodeSystem | None, filters: list[Resource]
    ) -> CodeSet:
        described = [
            (str(f.get("property")), str(f.get("op")), str(f.get("value"))) for f in filters
        ]
        text = " and ".join(" ".join(d) for d in described)
        if cs is not None and cs.complete:
            found: set[str] | None = None
            supported = True
            for prop, op, value in described:
                codes = cs.filter(prop, op, value)
                if codes is None:
                    supported = False
                else:
                    found = codes if found is None else found & codes
            selected = self._local(system, cs, set(cs.concepts) if found is None else found)
            if supported:
                return CodeSet.listing(system, selected)
            reason = f"ValueSet {url} filters {system} by {text}, which is not supported locally"
            return CodeSet.listing(system, selected, (MAYBE, reason))
        reason = f"ValueSet {url} filters {system} by {text}, which cannot be evaluated locally"
        # Even unevaluable, a code-regex filter still rules out codes of the wrong shape.
        flags = re.IGNORECASE if cs is not None and not cs.case_sensitive else 0
        patterns: list[re.Pattern[str]] = []
        for prop, op, value in described:
            if op == "regex" and prop in ("code", "concept"):
                with contextlib.suppress(re.error):
                    patterns.append(re.compile(value, flags))
        listed: dict[Pair, Verdict] = {}
        if len(described) == 1 and described[0][:2] in (("concept", "is-a"), ("concept", "=")):
            listed[(system, self._norm(system, described[0][2], cs))] = YES_VERDICT
        return CodeSet(listed, {system: (Rule(MAYBE, reason, tuple(patterns)),)})


@dataclass(frozen=True, slots=True)
class _Table:
    url: str
    members: frozenset[Pair]
    codes: frozenset[str]  # member codes whatever their system, for bare `code` elements
    folded: frozenset[str]  # case-insensitive systems: look up the lower-cased code
    systems: tuple[str, ...]  # every system the set mentions, for bare-code lookups
    rest: CodeSet  # the slow path: rules, undecidable and overriding entries
    # Invalid and undecidable codes recur too (one unknown SNOMED code per resource, say);
    # remembering the answer skips the rule walk and the reason formatting.
    misses: dict[Pair, CodeCheck]


class Terminology:
    """Answers "is this code in that ValueSet?" with MEMBER, NOT_MEMBER or UNKNOWN."""

    def __init__(self, definitions: Definitions) -> None:
        self._expander = Expander(definitions)
        self._tables: dict[str, _Table] = {}

    def check(self, value_set: str, system: str | None, code: str) -> CodeCheck:
        """Membership of (system, code); pass system=None only for a `code` primitive."""
        table = self._tables.get(value_set) or self._table(value_set)
        if system is None:
            return self._check_bare(table, code)
        key = code.lower() if table.folded and system in table.folded else code
        if (system, key) in table.members:
            return _MEMBER
        return self._check_slow(table, system, key, code)

    def check_codeable(
        self, value_set: str, codings: Sequence[tuple[str | None, str | None]]
    ) -> CodeCheck:
        """MEMBER if any coding is; NOT_MEMBER if every coding with a code surely is not.

        A list without any code is NOT_MEMBER (nothing could match); a coding without a
        system can match nothing, except in a value set that is undecidable as a whole.
        """
        unknown: CodeCheck | None = None
        reasons: list[str] = []
        for system, code in codings:
            if code is None:
                continue
            result = self.check(value_set, system or "", code)
            if result.membership is Membership.MEMBER:
                return result
            if result.membership is Membership.UNKNOWN:
                unknown = unknown or result
            elif result.reason:
                reasons.append(result.reason)
        if unknown is not None:
            return unknown
        if not reasons:
            return CodeCheck(
                Membership.NOT_MEMBER, f"no coding has a code from ValueSet {value_set}"
            )
        return CodeCheck(Membership.NOT_MEMBER, "; ".join(reasons))

    def code_system_concept(self, system: str, code: str) -> bool | None:
        """Whether a complete local CodeSystem defines `code`; None when we cannot know."""
        cs = self._expander.code_system(system)
        if cs is None or not cs.complete:
            return None
        return cs.norm(code) in cs.concepts

    def display(self, system: str, code: str) -> str | None:
        cs = self._expander.code_system(system)
        concept = cs.concepts.get(cs.norm(code)) if cs is not None else None
        display = concept.get("display") if concept is not None else None
        return display if isinstance(display, str) else None

    def _table(self, value_set: str) -> _Table:
        code_set = self._expander.value_set(value_set)
        members = frozenset(pair for pair, verdict in code_set.listed.items() if verdict[0] == YES)
        systems = {system for system, _ in code_set.listed} | code_set.rules.keys()
        table = _Table(
            url=value_set,
            members=members,
            codes=frozenset(code for _, code in members),
            folded=frozenset(self._expander.folded & systems),
            systems=tuple(sorted(systems)),
            rest=code_set,
            misses={},
        )
        self._tables[value_set] = table
        return table

    def _check_slow(self, table: _Table, system: str, key: str, code: str) -> CodeCheck:
        found = table.misses.get((system, code))
        if found is not None:
            return found
        verdict = table.rest.verdict(system, key)
        if verdict[0] == NO and "|" in system:
            # Codings carry no version, but be lenient with a `system|version` caller.
            return self.check(table.url, system.split("|", 1)[0], code)
        if verdict[0] == YES:
            result = _MEMBER
        elif verdict[0] == MAYBE:
            result = CodeCheck(Membership.UNKNOWN, verdict[1])
        else:
            source = f"from {system}" if system else "without a system"
            reason = f"code '{code}' {source} is not in ValueSet {table.url}"
            result = CodeCheck(Membership.NOT_MEMBER, reason)
        if len(table.misses) < _MAX_MISSES:
            table.misses[(system, code)] = result
        return result

    def _check_bare(self, table: _Table, code: str) -> CodeCheck:
        if code in table.codes:
            return _MEMBER
        best: Verdict = (NO, None)
        for system in table.systems:
            verdict = table.rest.verdict(system, code.lower() if system in table.folded else code)
            if verdict[0] > best[0]:
                best = verdict
        if best[0] == YES:
            return _MEMBER
        if best[0] == MAYBE:
            return CodeCheck(Membership.UNKNOWN, best[1])
        return CodeCheck(Membership.NOT_MEMBER, f"code '{code}' is not in ValueSet {table.url}")
