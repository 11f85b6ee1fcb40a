"""The ordered element list a snapshot is built in, with lookups by id.

A snapshot keeps every element's subtree contiguous: the element, then its children (each
followed by its own subtree), then its slices (each followed by its subtree and re-slices).
Every lookup here relies on that order, and every insertion keeps it.
"""

from __future__ import annotations

from typing import Any

from mpox_adapter.validation.snapshot_ids import is_within

Element = dict[str, Any]


class ElementList:
    def __init__(self, elements: list[Element]) -> None:
        self.items = elements
        self._index: dict[str, int] | None = None

    def position(self, element_id: str) -> int | None:
        if self._index is None:
            self._index = {str(e["id"]): i for i, e in enumerate(self.items)}
        return self._index.get(element_id)

    def get(self, element_id: str) -> Element | None:
        position = self.position(element_id)
        return None if position is None else self.items[position]

    def has_children(self, element_id: str) -> bool:
        position = self.position(element_id)
        if position is None or position + 1 >= len(self.items):
            return False
        return str(self.items[position + 1]["id"]).startswith(f"{element_id}.")

    def descendants(self, element_id: str) -> list[Element]:
        """Children and their subtrees, without the element's own slices."""
        position = self.position(element_id)
        if position is None:
            return []
        end = position + 1
        while end < len(self.items) and str(self.items[end]["id"]).startswith(f"{element_id}."):
            end += 1
        return self.items[position + 1 : end]

    def children(self, element_id: str) -> list[Element]:
        """Direct children, unsliced."""
        prefix = f"{element_id}."
        return [
            e
            for e in self.descendants(element_id)
            if "." not in (rest := str(e["id"])[len(prefix) :]) and ":" not in rest
        ]

    def group_end(self, element_id: str, *, with_slices: bool) -> int:
        """The position just past the element's subtree (and its slices, if asked)."""
        position = self.position(element_id)
        if position is None:
            raise KeyError(element_id)
        end = position + 1
        while end < len(self.items):
            following = str(self.items[end]["id"])
            inside = following.startswith(f"{element_id}.") or (
                with_slices and is_within(following, element_id)
            )
            if not inside:
                break
            end += 1
        return end

    def insert(self, position: int, elements: list[Element]) -> None:
        self.items[position:position] = elements
        self._index = None
