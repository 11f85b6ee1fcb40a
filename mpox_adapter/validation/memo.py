"""Verdicts on element subtrees and resource invariants already checked, replayed instead of
walked or evaluated again.

Records mapped from one export share most of their structure: the same vaccine coding, the
same performer, the same `meta`. Checking a complex element depends only on its JSON, the
element definition and its type, unless the check looked outside the subtree (a reference
resolved in the Bundle, an invariant on `%resource`, a contained resource, conformance to
another profile). The walker marks such checks as context-bound and they are not kept; any
other verdict is stored with its issue paths made relative, and replayed under a new path.

A resource itself is unique (its id, its dates), so its own invariants are kept differently:
an invariant that names only some of the resource's elements (`status`, `route`,
`doseQuantity`) has the same outcome for every resource whose named elements are equal.
"""

from __future__ import annotations

import re
from hashlib import blake2b

import orjson

from mpox_adapter.validation.issues import Issue, Severity

MAX_KEY_BYTES = 1024
"""Larger subtrees rarely repeat whole; their parts are kept instead."""
_CONTEXT_MARKERS = ("%resource", "%rootResource", "resolve(", "today(", "now(", "timeOfDay(")
_WHOLE_FOCUS = ("children(", "descendants(", "repeat(", "conformsTo(", "htmlChecks(", "trace(")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CHEAP_EXPRESSION = 60
"""Shorter invariants (dom-2, ele-1) cost less to evaluate than to look up."""

Key = tuple[int, str, bytes]
Kept = tuple[tuple[Severity, str, str, str, str | None], ...]


def uses_context(expression: str) -> bool:
    """Whether a FHIRPath invariant can see more than the element it is written on."""
    return any(marker in expression for marker in _CONTEXT_MARKERS)


def fingerprint(encoded: bytes) -> bytes:
    """16 bytes standing for a JSON text: orjson's own buffers carry kilobytes of slack, and a
    128-bit BLAKE2 digest will not collide among the few million texts a run sees."""
    return blake2b(encoded, digest_size=16).digest()


class SubtreeMemo:
    """A bounded store of verdicts, emptied when full: the hot subtrees come back at once."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._kept: dict[Key, Kept] = {}

    def key(self, node_id: int, type_code: str, value: object) -> Key | None:
        try:
            encoded = orjson.dumps(value)
        except TypeError:  # not plain JSON (a Decimal, a date): walk it every time
            return None
        if len(encoded) > MAX_KEY_BYTES:
            return None
        return node_id, type_code, fingerprint(encoded)

    def replay(self, key: Key, path: str) -> list[Issue] | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        return [
            Issue(severity, code, path + suffix, diagnostics, invariant)
            for severity, code, suffix, diagnostics, invariant in kept
        ]

    def keep(self, key: Key, path: str, issues: list[Issue]) -> None:
        relative = []
        for issue in issues:
            if not issue.expression.startswith(path) or path in issue.diagnostics:
                return  # a message naming its absolute place cannot be moved
            relative.append(
                (
                    issue.severity,
                    issue.code,
                    issue.expression[len(path) :],
                    issue.diagnostics,
                    issue.invariant,
                )
            )
        if len(self._kept) >= self.capacity:
            self._kept.clear()
        self._kept[key] = tuple(relative)


class InvariantMemo:
    """Outcomes of resource-level invariants, by the JSON of the elements they name."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._names: dict[str, frozenset[str] | None] = {}
        self._relevant: dict[tuple[str, str], bool] = {}
        self._held: dict[tuple[str, bytes], bool] = {}

    def key(self, expression: str, focus: dict[str, object]) -> tuple[str, bytes] | None:
        if expression not in self._names:
            self._names[expression] = _names_in(expression)
        names = self._names[expression]
        if names is None:
            return None
        relevant = self._relevant
        projected = {}
        for element, value in focus.items():
            wanted = relevant.get((expression, element))
            if wanted is None:
                wanted = relevant[(expression, element)] = _named(element, names)
            if wanted:
                projected[element] = value
        try:
            return expression, fingerprint(orjson.dumps(projected))
        except TypeError:
            return None

    def get(self, key: tuple[str, bytes]) -> bool | None:
        return self._held.get(key)

    def keep(self, key: tuple[str, bytes], holds: bool) -> None:
        if len(self._held) >= self.capacity:
            self._held.clear()
        self._held[key] = holds


def _names_in(expression: str) -> frozenset[str] | None:
    """The words of an invariant, or None when its outcome can depend on elements it does
    not name (or on the clock, or on other resources)."""
    if len(expression) < CHEAP_EXPRESSION or uses_context(expression):
        return None
    if any(marker in expression for marker in _WHOLE_FOCUS):
        return None
    return frozenset(_WORD.findall(expression))


def _named(element: str, names: frozenset[str]) -> bool:
    bare = element.lstrip("_")
    return (
        bare == "resourceType"
        or bare in names
        # valueQuantity is what `value` (or value.ofType(Quantity)) reaches
        or any(bare.startswith(n) and bare[len(n) : len(n) + 1].isupper() for n in names)
    )
