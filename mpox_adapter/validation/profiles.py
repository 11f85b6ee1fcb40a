"""Compiled StructureDefinitions by canonical URL, compiled once and kept."""

from __future__ import annotations

from mpox_adapter.errors import InputError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.snapshot import ensure_snapshot
from mpox_adapter.validation.structure import (
    STRUCTURE_DEFINITION_BASE,
    CompiledProfile,
    ElementNode,
    compile_structure,
)


class ProfileRegistry:
    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self._compiled: dict[str, CompiledProfile | None] = {}
        self._resource_types: dict[str, bool] = {}
        self.problems: dict[str, str] = {}
        """Why a known StructureDefinition could not be used (e.g. its snapshot failed)."""

    def get(self, url: str) -> CompiledProfile | None:
        if url in self._compiled:
            return self._compiled[url]
        compiled: CompiledProfile | None = None
        sd = self.definitions.structure_definition(url)
        if sd is not None:
            try:
                compiled = compile_structure(ensure_snapshot(sd, self.definitions))
            except (InputError, ValueError, KeyError) as exc:
                self.problems[url] = str(exc)
        self._compiled[url] = compiled
        return compiled

    def type_root(self, type_code: str) -> ElementNode | None:
        compiled = self.get(STRUCTURE_DEFINITION_BASE + type_code)
        return compiled.root if compiled else None

    def resource_type(self, type_code: str) -> CompiledProfile | None:
        compiled = self.get(STRUCTURE_DEFINITION_BASE + type_code)
        return compiled if compiled is not None and compiled.kind == "resource" else None

    def is_resource(self, type_code: str) -> bool:
        known = self._resource_types.get(type_code)
        if known is None:
            known = (
                bool(type_code)
                and type_code[0].isupper()
                and self.resource_type(type_code) is not None
            )
            self._resource_types[type_code] = known
        return known

    def children_source(self, node: ElementNode, type_code: str) -> ElementNode | None:
        """The node whose children describe `node`'s content: its own when the snapshot
        lists them, the element a contentReference points at, or the type's definition."""
        if node.children:
            return node
        if node.content_reference:
            owner = self.get(node.profile_url)
            target = owner.by_id.get(node.content_reference.rsplit("#", 1)[-1]) if owner else None
            if target is not None:
                return target
        if not type_code and len(node.types) == 1:
            type_code = node.types[0].code
        return self.type_root(type_code) if type_code else None
