"""Applying a differential element's constraints onto the snapshot element it matches.

The rules follow FHIR R4 profiling (and the HL7 Java `updateFromDefinition`): a property the
differential states replaces the inherited one, except where inheriting matters for
validation: invariants and list-valued documentation accumulate, a binding or slicing that
restates only some fields keeps the others, and a restated type keeps its inherited profiles.
"""

from __future__ import annotations

import copy
from typing import Any

Element = dict[str, Any]

# Properties that identify an element or record where it came from: never taken from a diff.
_IDENTITY = frozenset({"id", "path", "base"})
# List properties where the derived profile adds to what it inherits.
_ACCUMULATED = frozenset({"alias", "condition", "code", "mapping", "example", "extension"})
_PARTIAL_OBJECTS = frozenset({"binding", "slicing"})
_INHERITED_TYPE_DETAILS = ("profile", "targetProfile", "aggregation", "versioning")


def merge_element(target: Element, diff: Element, source_url: str | None) -> None:
    """Apply `diff` onto `target` (the generator's own copy) in place."""
    for key, value in diff.items():
        if key in _IDENTITY:
            continue
        inherited = target.get(key)
        if key == "type" and isinstance(value, list):
            target["type"] = merge_types(inherited if isinstance(inherited, list) else [], value)
        elif key == "constraint" and isinstance(value, list):
            target["constraint"] = _merge_constraints(
                inherited if isinstance(inherited, list) else [], value, source_url
            )
        elif key in _PARTIAL_OBJECTS and isinstance(value, dict) and isinstance(inherited, dict):
            target[key] = {**inherited, **copy.deepcopy(value)}
        elif key in _ACCUMULATED and isinstance(value, list) and isinstance(inherited, list):
            target[key] = inherited + [copy.deepcopy(v) for v in value if v not in inherited]
        else:
            target[key] = copy.deepcopy(value)


def merge_types(inherited: list[dict[str, Any]], stated: list[dict[str, Any]]) -> list[Any]:
    """The stated types, each keeping the profiles of the inherited type with the same code.

    A differential often restates ``Reference`` only to add ``mustSupport`` or narrow a choice;
    dropping the base's ``targetProfile`` then would silently loosen the profile.
    """
    merged = []
    for entry in stated:
        result = copy.deepcopy(entry)
        match = next((t for t in inherited if t.get("code") == entry.get("code")), None)
        if match is not None:
            for key in _INHERITED_TYPE_DETAILS:
                if key not in result and key in match:
                    result[key] = copy.deepcopy(match[key])
        merged.append(result)
    return merged


def _merge_constraints(
    inherited: list[dict[str, Any]], stated: list[dict[str, Any]], source_url: str | None
) -> list[Any]:
    keys = {c.get("key") for c in inherited}
    merged = list(inherited)
    for constraint in stated:
        if constraint.get("key") in keys:
            continue
        added = copy.deepcopy(constraint)
        if source_url and "source" not in added:
            # The validator reports which profile an invariant came from.
            added["source"] = source_url
        merged.append(added)
        keys.add(constraint.get("key"))
    return merged
