"""Element ids for snapshot generation: parsing, inferring, re-rooting, choice-type names.

An id is a dotted list of segments ``name[:sliceName]`` (``Observation.component:systolic.code``);
slice names never contain dots, so splitting on ``.`` is safe. Re-slices use ``/`` inside the
slice name (``extension:a/b``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

Element = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    slice: str | None = None

    def __str__(self) -> str:
        return f"{self.name}:{self.slice}" if self.slice else self.name


def parse_id(element_id: str) -> list[Segment]:
    segments = []
    for part in element_id.split("."):
        name, sep, slice_name = part.partition(":")
        segments.append(Segment(name, slice_name if sep else None))
    return segments


def join_id(segments: list[Segment]) -> str:
    return ".".join(str(segment) for segment in segments)


def differential_id(element: Element, previous: list[Segment] | None) -> str:
    """The id a differential element means, inferring it from `path` when the id is missing.

    Old differentials carry only paths; an element then belongs to the slice most recently
    opened on each of its ancestors, which is the previous element's id as far as the two
    paths agree (never the element itself: a bare path there names the unsliced element).
    """
    slice_name = element.get("sliceName")
    given = element.get("id")
    if isinstance(given, str) and given:
        last = parse_id(given)[-1]
        if not slice_name or last.slice == slice_name:
            return given
    path = element.get("path")
    if not isinstance(path, str) or not path:
        raise ValueError("differential element has neither id nor path")
    names = path.split(".")
    segments: list[Segment] = []
    inheriting = previous is not None
    for index, name in enumerate(names):
        is_last = index == len(names) - 1
        if inheriting and previous is not None and index < len(previous):
            inheriting = previous[index].name == name
        else:
            inheriting = False
        if inheriting and not is_last and previous is not None:
            segments.append(previous[index])
        else:
            segments.append(Segment(name))
    if slice_name:
        segments[-1] = Segment(segments[-1].name, str(slice_name))
    return join_id(segments)


def is_within(element_id: str, ancestor: str) -> bool:
    """True for the element itself, its descendants and its slices (and re-slices)."""
    return element_id == ancestor or element_id.startswith(
        (f"{ancestor}.", f"{ancestor}:", f"{ancestor}/")
    )


def reroot(
    element: Element, old_id: str, new_id: str, old_path: str | None, new_path: str | None
) -> Element:
    """A deep copy of `element` with its id (and path, when given) moved under a new root."""
    moved = copy.deepcopy(element)
    element_id = str(moved.get("id") or moved["path"])
    if is_within(element_id, old_id):
        moved["id"] = new_id + element_id[len(old_id) :]
    if old_path is not None and new_path is not None:
        path = str(moved["path"])
        if path == old_path or path.startswith(f"{old_path}."):
            moved["path"] = new_path + path[len(old_path) :]
    return moved


def type_suffix(code: str) -> str:
    """The suffix a type gives a choice element's JSON name (``dateTime`` → ``DateTime``)."""
    return code[:1].upper() + code[1:]


def choice_type_code(element: Element, name: str) -> str | None:
    """For a choice `element` (``value[x]``) and a type-specific `name` (``valueQuantity``),
    the type code the name selects, if the element allows it."""
    last = str(element["path"]).rsplit(".", 1)[-1]
    if not last.endswith("[x]"):
        return None
    stem = last[:-3]
    suffix = name[len(stem) :]
    if not name.startswith(stem) or not suffix[:1].isupper():
        return None
    for entry in element.get("type", []):
        code = str(entry.get("code", ""))
        if type_suffix(code) == suffix:
            return code
    return None


def restrict_types(element: Element, codes: set[str]) -> None:
    element["type"] = [entry for entry in element.get("type", []) if entry.get("code") in codes]
