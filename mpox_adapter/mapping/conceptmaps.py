"""Code translation through ConceptMaps, the project's or a CSV table turned into one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions

CONCEPT_MAP_BASE = "http://mpox-adapter.org/fhir/ConceptMap/"
_UNMAPPED = frozenset({"unmatched", "disjoint"})
CSV_COLUMNS = ("source_code", "target_system", "target_code", "target_display")


@dataclass(frozen=True, slots=True)
class Translation:
    system: str
    code: str
    display: str | None

    def coding(self) -> dict[str, str]:
        coding = {"system": self.system, "code": self.code}
        if self.display:
            coding["display"] = self.display
        return coding


class ConceptMapIndex:
    """Source code -> target coding, per ConceptMap, built once from its groups."""

    def __init__(self, concept_map: dict[str, Any]) -> None:
        self.url = str(concept_map.get("url", ""))
        self._exact: dict[str, Translation] = {}
        self._folded: dict[str, Translation] = {}
        for group in concept_map.get("group", []):
            target_system = group.get("target", "")
            for element in group.get("element", []):
                targets = [
                    t for t in element.get("target", [])
                    if t.get("code") and t.get("equivalence") not in _UNMAPPED
                ]  # fmt: skip
                if not targets or "code" not in element:
                    continue
                first = targets[0]
                translation = Translation(target_system, first["code"], first.get("display"))
                self._exact.setdefault(element["code"], translation)
                self._folded.setdefault(element["code"].casefold(), translation)

    def translate(self, code: str) -> Translation | None:
        """The target for `code`; exact match first, then ignoring case (local systems
        are rarely consistent about case)."""
        return self._exact.get(code) or self._folded.get(code.casefold())


def resolve(name: str, definitions: Definitions, base_dir: Traversable) -> ConceptMapIndex:
    """A ConceptMap by id (``no-administrasjonsmate-to-snomed``), canonical URL, or a CSV
    file relative to the mapping file (columns: source_code, target_system, target_code,
    target_display)."""
    if name.endswith(".csv"):
        return ConceptMapIndex(concept_map_from_csv(base_dir / name))
    url = name if "://" in name else CONCEPT_MAP_BASE + name
    found = definitions.get(url, "ConceptMap")
    if found is None:
        raise ConfigurationError(f"ConceptMap {name!r} not found (looked for {url})")
    return ConceptMapIndex(found)


def concept_map_from_csv(path: Traversable) -> dict[str, Any]:
    """Turn a translation table into a ConceptMap, one group per target system."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigurationError(f"cannot read code table {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"code table {path} is not UTF-8: {exc.reason}") from exc
    # newline="": quoted cells keep their own line breaks, as csv expects.
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows or any(column not in rows[0] for column in CSV_COLUMNS[:3]):
        raise ConfigurationError(f"{path}: a code table needs the columns {', '.join(CSV_COLUMNS)}")
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        target = {"code": row["target_code"], "equivalence": "equivalent"}
        if row.get("target_display"):
            target["display"] = row["target_display"]
        element = {"code": row["source_code"], "target": [target]}
        groups.setdefault(row["target_system"], []).append(element)
    return {
        "resourceType": "ConceptMap",
        "url": f"urn:mpox-adapter:code-table:{path.name.rsplit('.', 1)[0]}",
        "status": "active",
        "group": [{"target": system, "element": elements} for system, elements in groups.items()],
    }
