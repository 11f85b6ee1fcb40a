"""Start-up cost of the FHIR core definitions: index the package, then first lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mpox_adapter.fhir.definitions import Definitions


def test_index_core_package(benchmark: Any, core_cache_dir: Path) -> None:
    definitions = benchmark(Definitions.from_core_package, core_cache_dir)
    assert len(definitions) > 4000


def test_first_structure_definition_lookup(benchmark: Any, core_cache_dir: Path) -> None:
    def index_and_read() -> Any:
        definitions = Definitions.from_core_package(core_cache_dir)
        return definitions.structure_definition(
            "http://hl7.org/fhir/StructureDefinition/Immunization"
        )

    assert benchmark(index_and_read) is not None
