"""Conformance resources (StructureDefinition, ValueSet, CodeSystem, ...) by canonical URL.

The core package holds some 4,500 files; reading them all would cost seconds at start-up.
We read its ``.index.json`` once and parse a file only when its URL is first asked for.
Resources added from memory (the project's profiles, ``--ig`` packages) go into the same
index and win over the core package when they share a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from mpox_adapter.errors import DefinitionsUnavailableError
from mpox_adapter.fhir import corepackage

Resource = dict[str, Any]

CONFORMANCE_TYPES = frozenset(
    {"StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap", "NamingSystem",
     "OperationDefinition", "SearchParameter", "CapabilityStatement"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Entry:
    resource_type: str
    version: str | None
    path: Path | None
    resource: Resource | None


class Definitions:
    """An index of conformance resources, keyed by canonical URL (and ``url|version``)."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._loaded: dict[str, Resource] = {}
        self.global_profiles: dict[str, list[str]] = {}
        """Resource type -> profiles every resource of that type must meet (from the
        ``global`` of loaded ImplementationGuides)."""

    @classmethod
    def from_core_package(cls, cache_dir: Path) -> Definitions:
        """Index the verified core package in `cache_dir`; a clear error when it is absent."""
        definitions = cls()
        definitions.add_core_package(cache_dir)
        return definitions

    def add_core_package(self, cache_dir: Path) -> None:
        folder = corepackage.package_dir(cache_dir) / "package"
        if not corepackage.is_installed(cache_dir):
            raise DefinitionsUnavailableError(
                f"FHIR core package {corepackage.CORE_PACKAGE}#{corepackage.CORE_VERSION} "
                f"not found or not verified in {cache_dir}; {corepackage.FETCH_HINT}"
            )
        try:
            index = orjson.loads((folder / ".index.json").read_bytes())
            files = index["files"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise DefinitionsUnavailableError(
                f"FHIR core package in {folder} is damaged ({exc}); {corepackage.FETCH_HINT}"
            ) from exc
        for item in files:
            url = item.get("url")
            if url and item.get("resourceType") in CONFORMANCE_TYPES:
                entry = _Entry(
                    item["resourceType"], item.get("version"), folder / item["filename"], None
                )
                self._entries.setdefault(url, entry)
                if entry.version:
                    self._entries.setdefault(f"{url}|{entry.version}", entry)

    def add(self, resource: Resource) -> None:
        """Add a conformance resource held in memory; it replaces one with the same URL."""
        if resource.get("resourceType") == "ImplementationGuide":
            for item in resource.get("global", []):
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("type"), str)
                    and isinstance(item.get("profile"), str)
                ):
                    self.global_profiles.setdefault(item["type"], []).append(item["profile"])
            return
        url = resource.get("url")
        resource_type = resource.get("resourceType")
        if not isinstance(url, str) or resource_type not in CONFORMANCE_TYPES:
            return
        entry = _Entry(str(resource_type), resource.get("version"), None, resource)
        self._entries[url] = entry
        self._loaded.pop(url, None)
        if entry.version:
            self._entries[f"{url}|{entry.version}"] = entry
            self._loaded.pop(f"{url}|{entry.version}", None)

    def get(self, url: str, resource_type: str | None = None) -> Resource | None:
        """The resource at `url` (``url`` or ``url|version``), or None."""
        found = self._loaded.get(url)
        if found is None:
            entry = self._entries.get(url) or self._entries.get(url.split("|", 1)[0])
            if entry is None:
                return None
            found = entry.resource if entry.resource is not None else self._read(entry)
            self._loaded[url] = found
        if resource_type and found.get("resourceType") != resource_type:
            return None
        return found

    def structure_definition(self, url: str) -> Resource | None:
        return self.get(url, "StructureDefinition")

    def value_set(self, url: str) -> Resource | None:
        return self.get(url, "ValueSet")

    def code_system(self, url: str) -> Resource | None:
        return self.get(url, "CodeSystem")

    def urls(self, resource_type: str | None = None) -> Iterator[str]:
        """Every canonical URL (without version) of the given type."""
        for key, entry in self._entries.items():
            if "|" not in key and (resource_type is None or entry.resource_type == resource_type):
                yield key

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and (
            url in self._entries or url.split("|", 1)[0] in self._entries
        )

    def __len__(self) -> int:
        return sum(1 for key in self._entries if "|" not in key)

    @staticmethod
    def _read(entry: _Entry) -> Resource:
        assert entry.path is not None
        try:
            resource = orjson.loads(entry.path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise DefinitionsUnavailableError(
                f"cannot read {entry.path.name} from the FHIR core package ({exc}); "
                f"{corepackage.FETCH_HINT}"
            ) from exc
        if not isinstance(resource, dict):
            raise DefinitionsUnavailableError(f"{entry.path.name} is not a FHIR resource")
        return resource
