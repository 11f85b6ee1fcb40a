"""Slicing: which slice each item of a sliced element belongs to, and the slice rules.

Discriminators (value, pattern, exists, type, profile) are evaluated against the expected
value read from the slice's definition: a fixed or pattern value, or a required binding, at
the discriminator's path. Paths are the FHIRPath subset slicing uses: member names,
``$this``, ``extension('url')``, ``ofType(Type)`` and ``resolve()``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mpox_adapter.validation.fhirpath import EvalContext
from mpox_adapter.validation.issues import too_few, too_many
from mpox_adapter.validation.structure import Discriminator, ElementNode, TypeRef
from mpox_adapter.validation.terminology import Membership
from mpox_adapter.validation.values import equals_fixed, matches_pattern

if TYPE_CHECKING:
    from mpox_adapter.validation.engine import _Run

Item = tuple[Any, Any, TypeRef | None, str]

_EXTENSION_CALL = re.compile(r"extension\('([^']*)'\)")
_OF_TYPE = re.compile(r"ofType\((\w+)\)")


def assign_slices(
    run: _Run, node: ElementNode, items: list[Item], path: str, context: EvalContext
) -> list[ElementNode | None]:
    assert node.slicing is not None
    slicing = node.slicing
    assigned: list[ElementNode | None] = []
    counts = dict.fromkeys((s.id for s in node.slices), 0)
    position = {s.id: i for i, s in enumerate(node.slices)}
    last_position = -1
    seen_unmatched = False
    for value, _, type_ref, item_path in items:
        match = next(
            (
                s
                for s in node.slices
                if _matches(run, s, value, type_ref, slicing.discriminators, context)
            ),
            None,
        )
        assigned.append(match)
        if match is None:
            seen_unmatched = True
            if slicing.rules == "closed":
                run.report(
                    "error",
                    "structure",
                    item_path,
                    f"does not match any slice of {node.name} (closed slicing in "
                    f"{node.profile_url})",
                )
            continue
        counts[match.id] += 1
        if slicing.rules == "openAtEnd" and seen_unmatched:
            run.report(
                "error",
                "structure",
                item_path,
                f"slice {match.slice_name} must come before unmatched items (openAtEnd)",
            )
        if slicing.ordered and position[match.id] < last_position:
            run.report(
                "error",
                "structure",
                item_path,
                f"slice {match.slice_name} is out of order (ordered slicing)",
            )
        last_position = max(last_position, position[match.id])
    for slice_node in node.slices:
        count = counts[slice_node.id]
        where = f"{path}:{slice_node.slice_name}"
        if count < slice_node.min:
            run.report(
                "error",
                "required",
                where,
                too_few(
                    f"slice {slice_node.slice_name}", slice_node.min, count, slice_node.profile_url
                ),
            )
        if slice_node.max is not None and count > slice_node.max:
            run.report(
                "error",
                "structure",
                where,
                too_many(
                    f"slice {slice_node.slice_name}", slice_node.max, count, slice_node.profile_url
                ),
            )
    return assigned


def _matches(
    run: _Run,
    slice_node: ElementNode,
    value: Any,
    type_ref: TypeRef | None,
    discriminators: tuple[Discriminator, ...],
    context: EvalContext,
) -> bool:
    if value is None or not discriminators:
        return False
    return all(_matches_one(run, slice_node, value, type_ref, d, context) for d in discriminators)


def _matches_one(
    run: _Run,
    slice_node: ElementNode,
    value: Any,
    type_ref: TypeRef | None,
    discriminator: Discriminator,
    context: EvalContext,
) -> bool:
    path = discriminator.path
    actual = _values_at(run, value, path, context)
    if discriminator.type in ("value", "pattern"):
        expected = _expected_at(run, slice_node, path)
        if expected is None:
            # The slice says nothing about this path, so the discriminator does not exclude it.
            return True
        kind, wanted = expected
        if kind == "fixed":
            return any(equals_fixed(v, wanted) for v in actual)
        if kind == "pattern":
            return any(matches_pattern(v, wanted) for v in actual)
        return any(_in_value_set(run, v, wanted) for v in actual)
    if discriminator.type == "exists":
        target = _node_at(run, slice_node, path)
        if target is None:
            return False
        return bool(actual) if target.min >= 1 else not actual if target.max == 0 else True
    if discriminator.type == "type":
        target = _node_at(run, slice_node, path) or slice_node
        wanted_types = {t.code for t in target.types}
        if path == "$this" and type_ref is not None:
            return type_ref.code in wanted_types
        return any(isinstance(v, dict) and v.get("resourceType") in wanted_types for v in actual)
    if discriminator.type == "profile":
        target = _node_at(run, slice_node, path) or slice_node
        urls = [
            u
            for t in target.types
            for u in (t.target_profiles if path.endswith("resolve()") else t.profiles)
        ]
        return any(isinstance(v, dict) and run.conforms(v, url) for v in actual for url in urls)
    return False


def _in_value_set(run: _Run, value: Any, value_set: str) -> bool:
    if isinstance(value, str):
        return run.terminology.check(value_set, None, value).membership is Membership.MEMBER
    if isinstance(value, dict):
        codings = value.get("coding") if "coding" in value else [value]
        pairs = [(c.get("system"), c.get("code")) for c in codings or [] if isinstance(c, dict)]
        return run.terminology.check_codeable(value_set, pairs).membership is Membership.MEMBER
    return False


def _segments(path: str) -> list[str]:
    return [s for s in re.split(r"\.(?![^(]*\))", path) if s and s != "$this"]


def _values_at(run: _Run, value: Any, path: str, context: EvalContext) -> list[Any]:
    current = [value]
    for segment in _segments(path):
        found: list[Any] = []
        call = _EXTENSION_CALL.fullmatch(segment)
        for item in current:
            item_list = item if isinstance(item, list) else [item]
            for entry in item_list:
                if not isinstance(entry, dict) and segment != "resolve()":
                    continue
                if call:
                    found.extend(
                        e
                        for e in entry.get("extension", [])
                        if isinstance(e, dict) and e.get("url") == call.group(1)
                    )
                elif _OF_TYPE.fullmatch(segment):
                    found.append(entry)
                elif segment == "resolve()":
                    run.context_bound = True
                    reference = entry.get("reference") if isinstance(entry, dict) else None
                    target = (
                        run.references.resolve(reference, context)
                        if isinstance(reference, str)
                        else None
                    )
                    if target is not None:
                        found.append(target)
                elif segment in entry:
                    child = entry[segment]
                    found.extend(child if isinstance(child, list) else [child])
                else:
                    found.extend(
                        v
                        for k, v in entry.items()
                        if k.startswith(segment) and k[len(segment) : len(segment) + 1].isupper()
                    )
        current = found
    return current


def _node_at(run: _Run, slice_node: ElementNode, path: str) -> ElementNode | None:
    node: ElementNode | None = slice_node
    for segment in _segments(path):
        if node is None:
            return None
        if segment == "resolve()" or _OF_TYPE.fullmatch(segment):
            continue
        call = _EXTENSION_CALL.fullmatch(segment)
        source = run.registry.children_source(
            node, node.types[0].code if len(node.types) == 1 else ""
        )
        if source is None:
            return None
        if call:
            extension = source.children.get("extension")
            node = next(
                (
                    s
                    for s in (extension.slices if extension else [])
                    if call.group(1) in {p for t in s.types for p in t.profiles}
                ),
                None,
            )
        else:
            node = source.children.get(segment)
    return node


def _expected_at(run: _Run, slice_node: ElementNode, path: str) -> tuple[str, Any] | None:
    """('fixed' | 'pattern' | 'binding', value) that the slice requires at `path`."""
    node: ElementNode | None = slice_node
    remaining = _segments(path)
    while node is not None:
        if node.fixed is not None:
            dug = _dig(node.fixed, remaining)
            return ("fixed", dug) if dug is not None else None
        if node.pattern is not None:
            dug = _dig(node.pattern, remaining)
            return ("pattern", dug) if dug is not None else None
        if not remaining:
            if node.binding is not None and node.binding.strength == "required":
                return "binding", node.binding.value_set
            return None
        segment, remaining = remaining[0], remaining[1:]
        node = _node_at(run, node, segment)
    return None


def _dig(value: Any, segments: list[str]) -> Any:
    for segment in segments:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(segment)
    return value
