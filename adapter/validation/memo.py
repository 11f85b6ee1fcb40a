"""Verdicts on element subtrees already checked, replayed instead of walked again.

Records mapped from one export share most of their structure: the same vaccine coding, the
same performer, the same `meta`. Checking a complex element depends only on its JSON, the
element definition and its type, unless the check looked outside the subtree (a reference
resolved in the Bundle, an invariant on `%resource`, a contained resource, conformance to
another profile). The walker marks such checks as context-bound and they are not kept; any
other verdict is stored with its issue paths made relative, and replayed under a new path.
"""

from __future__ import annotations

from hashlib import blake2b

import orjson

from adapter.validation.issues import Issue, Severity

MAX_KEY_BYTES = 1024
"""Larger subtrees rarely repeat whole; their parts are kept instead."""
_CONTEXT_MARKERS = ("%resource", "%rootResource", "resolve(")

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
