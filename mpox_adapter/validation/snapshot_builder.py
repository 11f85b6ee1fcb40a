"""Walking one differential over a copy of the base snapshot (see `validation.snapshot`).

Each differential element's id is resolved segment by segment against the growing snapshot:
a missing child is looked for as a choice type (``valueQuantity`` → ``value[x]``), then by
expanding the parent's datatype; a missing slice is created from the sliced element.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mpox_adapter.errors import InputError
from mpox_adapter.validation.snapshot_elements import ElementList
from mpox_adapter.validation.snapshot_ids import (
    Segment,
    choice_type_code,
    differential_id,
    is_within,
    parse_id,
    reroot,
    restrict_types,
    type_suffix,
)
from mpox_adapter.validation.snapshot_merge import merge_element

Element = dict[str, Any]
CORE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
# Extensions are always sliced by url; Java adds this when a profile slices without saying so.
_EXTENSION_SLICING = {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}
# Published R4 snapshots slice a renamed choice (Observation.valueQuantity) by type, closed.
_TYPE_SLICING = {
    "discriminator": [{"type": "type", "path": "$this"}],
    "ordered": False,
    "rules": "closed",
}


class SnapshotError(InputError):
    """A snapshot cannot be generated: unresolvable base, unmatched differential path, cycle."""


class SnapshotBuilder:
    def __init__(
        self,
        *,
        url: str,
        type_name: str,
        base_elements: list[Element],
        adds_elements: bool,
        resolve: Callable[[str, str], dict[str, Any]],
    ) -> None:
        self._url = url
        self._root = type_name
        self._adds_elements = adds_elements
        self._resolve = resolve
        base_root = str(base_elements[0]["path"])
        copied = [reroot(e, base_root, type_name, base_root, type_name) for e in base_elements]
        self._elements = ElementList(copied)
        # Each element as it was before this differential touched it: slices start from it,
        # as Java's slices start from the base cursor, not from the constrained element.
        self._pristine: dict[str, Element] = {str(e["id"]): copy.deepcopy(e) for e in copied}
        self._created_slices: set[str] = set()
        self._added: set[str] = set()
        self._implicit_type_slices: dict[str, set[str]] = {}
        self._location = type_name

    def build(self, differential: list[Element]) -> list[Element]:
        previous: list[Segment] | None = None
        for diff in differential:
            if not isinstance(diff, dict):
                raise self._error("differential element is not an object")
            try:
                element_id = differential_id(diff, previous)
            except ValueError as exc:
                raise self._error(str(exc)) from exc
            self._location = element_id
            segments = parse_id(element_id)
            target = self._resolve_id(segments, diff)
            merge_element(target, diff, self._url)
            if "type" in diff:
                self._add_profile_invariants(target)
            previous = segments
        return self._elements.items

    # --- resolving ids -------------------------------------------------------------------

    def _resolve_id(self, segments: list[Segment], diff: Element) -> Element:
        if segments[0].name != self._root or segments[0].slice:
            raise self._error(f"differential element is not under {self._root}")
        current = self._root
        for index, segment in enumerate(segments[1:], start=1):
            found = self._child(current, segment.name)
            if found is None:
                if self._adds_elements and index == len(segments) - 1 and not segment.slice:
                    return self._add_element(current, segment.name, diff)
                raise self._error(self._not_found(current, segment.name))
            current = self._slice(found, segment.slice) if segment.slice else found
        element = self._elements.get(current)
        assert element is not None
        return element

    def _not_found(self, parent_id: str, name: str) -> str:
        message = f"no element {name!r} under {parent_id} in the base definition"
        parent = self._elements.get(parent_id) or {}
        codes = sorted({str(t.get("code")) for t in parent.get("type", [])})
        if len(codes) < 2:
            return message
        stem = str(parent.get("path", "")).rsplit(".", 1)[-1].removesuffix("[x]")
        having = [
            f"{stem}{type_suffix(code)}.{name}"
            for code in codes
            if code[:1].isupper() and self._has(code, name)
        ]
        return (
            f"{message}: {parent_id} allows {len(codes)} types, so only what they all share "
            f"can be constrained; name the type instead ({' or '.join(having) or 'none has it'})"
        )

    def _has(self, code: str, name: str) -> bool:
        try:
            elements = self._resolve(CORE_PREFIX + code, self._url)["snapshot"]["element"]
        except SnapshotError:
            return False
        return any(e.get("id") == f"{code}.{name}" for e in elements)

    def _child(self, parent_id: str, name: str) -> str | None:
        child_id = f"{parent_id}.{name}"
        if self._elements.get(child_id) is not None:
            return child_id
        if not self._elements.has_children(parent_id) and parent_id not in self._added:
            self._expand(parent_id)
            if self._elements.get(child_id) is not None:
                return child_id
        return self._choice(parent_id, name)

    def _choice(self, parent_id: str, name: str) -> str | None:
        """Resolve a type-specific name (``valueQuantity``) to its choice element."""
        for element in self._elements.children(parent_id):
            choice_id = str(element["id"])
            code = choice_type_code(element, name)
            if code is None and choice_id in self._implicit_type_slices:
                # Our own closed type slicing narrowed the types; another type slice widens them.
                code = choice_type_code(self._pristine[choice_id], name)
            if code is None:
                continue
            if self._elements.get(f"{choice_id}:{name}") is not None:
                return f"{choice_id}:{name}"
            if ":" in parent_id:
                # Inside a slice the published R4 snapshots narrow the choice in place
                # (bp: Observation.component:SystolicBP.value[x]); elsewhere they slice it.
                restrict_types(element, {code})
                return choice_id
            return self._type_slice(choice_id, name, code)
        return None

    def _type_slice(self, choice_id: str, name: str, code: str) -> str:
        choice = self._elements.get(choice_id)
        assert choice is not None
        if "slicing" not in choice:
            choice["slicing"] = copy.deepcopy(_TYPE_SLICING)
            self._implicit_type_slices[choice_id] = set()
        implicit = self._implicit_type_slices.get(choice_id)
        if implicit is not None:
            # A closed slicing we made up: the unsliced element admits only the sliced types.
            implicit.add(code)
            choice["type"] = copy.deepcopy(self._pristine[choice_id].get("type", []))
            restrict_types(choice, implicit)
        slice_id = self._slice(choice_id, name)
        created = self._elements.get(slice_id)
        assert created is not None
        restrict_types(created, {code})
        return slice_id

    # --- slices -----------------------------------------------------------------------------

    def _slice(self, sliced_id: str, slice_name: str) -> str:
        slice_id = f"{sliced_id}:{slice_name}"
        if self._elements.get(slice_id) is not None:
            return slice_id
        if "/" in slice_name:
            # A re-slice starts from its parent slice as this profile constrains it.
            parent_id = f"{sliced_id}:{slice_name.rsplit('/', 1)[0]}"
            parent = self._elements.get(parent_id)
            if parent is None:
                raise self._error(f"re-slice {slice_name!r} of a slice {parent_id} that is absent")
            source_id = parent_id
            sources = [parent, *self._elements.descendants(parent_id)]
        else:
            sliced = self._elements.get(sliced_id)
            assert sliced is not None
            if "slicing" not in sliced and _is_extension(sliced):
                sliced["slicing"] = copy.deepcopy(_EXTENSION_SLICING)
            elif "slicing" not in sliced and choice_type_code(sliced, slice_name) is not None:
                sliced["slicing"] = {**copy.deepcopy(_TYPE_SLICING), "rules": "open"}
            source_id = sliced_id
            sources = [self._pristine[sliced_id]] + [
                self._pristine[str(e["id"])]
                for e in self._elements.descendants(sliced_id)
                if not any(is_within(str(e["id"]), s) for s in self._created_slices)
            ]
        position = self._elements.group_end(source_id, with_slices=True)
        copies = [reroot(e, source_id, slice_id, None, None) for e in sources]
        head = copies[0]
        head["sliceName"] = slice_name
        head.pop("slicing", None)
        head["min"] = 0
        if "/" not in slice_name and str(head["path"]).endswith("[x]"):
            code = choice_type_code(head, slice_name)
            if code is not None:
                restrict_types(head, {code})
        self._insert(position, copies)
        self._created_slices.add(slice_id)
        return slice_id

    # --- datatype children --------------------------------------------------------------------

    def _expand(self, parent_id: str) -> None:
        """Insert the children of `parent_id` from its datatype (or content reference)."""
        parent = self._elements.get(parent_id)
        assert parent is not None
        if parent.get("contentReference"):
            source_root, sources = self._content_reference(str(parent["contentReference"]))
        else:
            url = self._datatype_url(parent)
            elements = self._resolve(url, self._url)["snapshot"]["element"]
            source_root, sources = elements[0], elements[1:]
        old_id = str(source_root.get("id") or source_root["path"])
        children = [
            reroot(e, old_id, parent_id, str(source_root["path"]), str(parent["path"]))
            for e in sources
        ]
        position = self._elements.position(parent_id)
        assert position is not None
        self._insert(position + 1, children)

    def _datatype_url(self, parent: Element) -> str:
        types = parent.get("type", [])
        codes = {str(t.get("code")) for t in types}
        if not codes:
            raise self._error(f"cannot constrain inside {parent['id']}: it has no type")
        if len(codes) > 1:
            # Only what all the types share (id, extension) can be constrained, as in Java.
            return CORE_PREFIX + "Element"
        code = codes.pop()
        if ":" in code:
            raise self._error(f"cannot constrain inside {parent['id']}: type {code} is primitive")
        profiles = types[0].get("profile", []) if len(types) == 1 else []
        return str(profiles[0]) if len(profiles) == 1 else CORE_PREFIX + code

    def _content_reference(self, reference: str) -> tuple[Element, list[Element]]:
        """The referenced element and its subtree, as the type's own definition has them."""
        url, _, target = reference.partition("#")
        try:
            sd = self._resolve(url or CORE_PREFIX + target.split(".", 1)[0], self._url)
            elements: list[Element] = sd["snapshot"]["element"]
        except SnapshotError:
            if url:
                raise
            # A logical model refers to its own elements; they are in our base copy.
            elements = list(self._pristine.values())
        sources = [e for e in elements if is_within(str(e["id"]), target) and ":" not in e["id"]]
        if not sources:
            raise self._error(f"content reference {reference} matches no element")
        return sources[0], sources[1:]

    def _add_profile_invariants(self, element: Element) -> None:
        """Copy a datatype profile's root invariants (SimpleQuantity's sqty-1) onto the element
        whose type names it, as published snapshots do."""
        types = element.get("type", [])
        profiles = types[0].get("profile", []) if len(types) == 1 else []
        if len(profiles) != 1 or types[0].get("code") == "Extension":
            return
        try:
            profile = self._resolve(str(profiles[0]), self._url)
        except SnapshotError:
            return  # the validator resolves the profile itself, and reports it if it cannot
        if profile.get("kind") in ("complex-type", "primitive-type"):
            root = profile["snapshot"]["element"][0]
            merge_element(element, {"constraint": root.get("constraint", [])}, None)

    # --- specialization -----------------------------------------------------------------------

    def _add_element(self, parent_id: str, name: str, diff: Element) -> Element:
        parent = self._elements.get(parent_id)
        assert parent is not None
        path = f"{parent['path']}.{name}"
        cardinality = {"min": diff.get("min", 0), "max": diff.get("max", "*")}
        element: Element = {"id": f"{parent_id}.{name}", "path": path, **cardinality}
        element["base"] = {"path": path, **cardinality}
        self._insert(self._elements.group_end(parent_id, with_slices=False), [element])
        self._added.add(str(element["id"]))
        return element

    # --- helpers ------------------------------------------------------------------------------

    def _insert(self, position: int, elements: list[Element]) -> None:
        self._elements.insert(position, elements)
        for element in elements:
            self._pristine[str(element["id"])] = copy.deepcopy(element)

    def _error(self, message: str) -> SnapshotError:
        return SnapshotError(f"{message} (StructureDefinition {self._url})", self._location)


def _is_extension(element: Element) -> bool:
    return any(t.get("code") == "Extension" for t in element.get("type", []))
