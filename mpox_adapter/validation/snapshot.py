"""Snapshot generation for StructureDefinitions that carry only a differential.

Profiles loaded with ``--ig`` (and most HL7 validator test cases) often ship a differential
alone; the validator walks snapshots. `generate_snapshot` builds one the way FHIR R4
profiling defines it (and the HL7 Java ``ProfileUtilities.generateSnapshot`` does it), in a
simplified form: start from the base's snapshot, walk the differential in order, and for
each differential element find (or create, for slices, or expand, for datatype children)
the snapshot element it constrains and merge the constraints onto it.

Base definitions and datatype profiles without a snapshot are generated on the way, with a
guard against cycles. Supported: ``derivation: constraint``; ``specialization`` of the same
type, or one that only adds elements below existing ones.
"""

from __future__ import annotations

import copy
from typing import Any

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.snapshot_builder import SnapshotBuilder, SnapshotError

__all__ = ["SnapshotError", "ensure_snapshot", "generate_snapshot", "has_snapshot"]

Resource = dict[str, Any]


def has_snapshot(sd: Resource) -> bool:
    snapshot = sd.get("snapshot")
    return isinstance(snapshot, dict) and bool(snapshot.get("element"))


def generate_snapshot(sd: Resource, definitions: Definitions) -> Resource:
    """Return a copy of `sd` with `snapshot.element` generated from its base definition's
    snapshot and its differential.

    The base (`baseDefinition`) is resolved through `definitions`; if the base itself has no
    snapshot, it is generated first (recursively; a cycle raises `SnapshotError`).
    """
    return _Generator(definitions).generate(sd)


def ensure_snapshot(sd: Resource, definitions: Definitions) -> Resource:
    """`sd` itself if it already has a snapshot, else a copy with one generated."""
    return sd if has_snapshot(sd) else generate_snapshot(sd, definitions)


class _Generator:
    """One generation run: the cycle guard and the snapshots generated on the way."""

    def __init__(self, definitions: Definitions) -> None:
        self._definitions = definitions
        self._in_progress: list[str] = []
        self._generated: dict[str, Resource] = {}

    def generate(self, sd: Resource) -> Resource:
        url = str(sd.get("url") or sd.get("id") or "<StructureDefinition without url>")
        if url in self._in_progress:
            chain = " -> ".join([*self._in_progress, url])
            raise SnapshotError(f"StructureDefinitions derive from each other in a cycle: {chain}")
        self._in_progress.append(url)
        try:
            return self._generate(sd, url)
        finally:
            self._in_progress.pop()

    def with_snapshot(self, url: str, needed_by: str) -> Resource:
        """The StructureDefinition at `url`, with a snapshot (generated if it has none)."""
        found = self._definitions.structure_definition(url)
        if found is None:
            raise SnapshotError(f"cannot resolve StructureDefinition {url} (needed by {needed_by})")
        if has_snapshot(found):
            return found
        key = str(found.get("url") or url)
        if key not in self._generated:
            self._generated[key] = self.generate(found)
        return self._generated[key]

    def _generate(self, sd: Resource, url: str) -> Resource:
        if sd.get("resourceType") != "StructureDefinition":
            raise SnapshotError(f"{url} is not a StructureDefinition")
        base_url = sd.get("baseDefinition")
        if not isinstance(base_url, str) or not base_url:
            raise SnapshotError(f"StructureDefinition {url} has no baseDefinition to build on")
        if base_url.split("|", 1)[0] == url:
            raise SnapshotError(f"StructureDefinition {url} names itself as its baseDefinition")
        base = self.with_snapshot(base_url, url)
        type_name = str(sd.get("type") or "")
        derivation = sd.get("derivation", "constraint")
        base_root = str(base["snapshot"]["element"][0]["path"])
        if derivation not in ("constraint", "specialization"):
            raise SnapshotError(f"StructureDefinition {url}: derivation {derivation!r} unsupported")
        if derivation == "constraint" and type_name and type_name != base_root:
            raise SnapshotError(
                f"StructureDefinition {url} constrains type {type_name} "
                f"but its base {base_url} defines {base_root}"
            )
        builder = SnapshotBuilder(
            url=url,
            type_name=type_name or base_root,
            base_elements=base["snapshot"]["element"],
            adds_elements=derivation == "specialization" and type_name != base_root,
            resolve=self.with_snapshot,
        )
        differential = sd.get("differential", {}).get("element", [])
        if not isinstance(differential, list):
            raise SnapshotError(f"StructureDefinition {url}: differential.element is not a list")
        result = copy.deepcopy(sd)
        result["snapshot"] = {"element": builder.build(differential)}
        return result
