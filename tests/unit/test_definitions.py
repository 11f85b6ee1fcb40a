from __future__ import annotations

from pathlib import Path

import pytest

from mpox_adapter.errors import DefinitionsUnavailableError
from mpox_adapter.fhir import corepackage
from mpox_adapter.fhir.definitions import Definitions

IMMUNIZATION = "http://hl7.org/fhir/StructureDefinition/Immunization"


def test_core_structure_definitions_value_sets_and_code_systems(definitions: Definitions) -> None:
    sd = definitions.structure_definition(IMMUNIZATION)
    assert sd is not None
    assert sd["snapshot"]["element"][0]["path"] == "Immunization"
    vs = definitions.value_set("http://hl7.org/fhir/ValueSet/immunization-status")
    assert vs is not None
    assert vs["resourceType"] == "ValueSet"
    cs = definitions.code_system("http://hl7.org/fhir/administrative-gender")
    assert cs is not None
    assert {c["code"] for c in cs["concept"]} >= {"male", "female", "other", "unknown"}


def test_lookup_by_versioned_url_and_wrong_type(definitions: Definitions) -> None:
    assert definitions.get(f"{IMMUNIZATION}|4.0.1") is not None
    assert definitions.value_set(IMMUNIZATION) is None
    assert definitions.get("http://example.org/nothing") is None
    assert IMMUNIZATION in definitions
    assert len(definitions) > 4000


def test_added_resources_replace_core_ones(core_cache_dir: Path) -> None:
    local = Definitions.from_core_package(core_cache_dir)
    replacement = {
        "resourceType": "ValueSet",
        "url": "http://hl7.org/fhir/ValueSet/immunization-status",
        "id": "x",
    }
    local.add(replacement)
    assert local.value_set("http://hl7.org/fhir/ValueSet/immunization-status") is replacement
    local.add({"resourceType": "Patient", "url": "http://example.org/p"})
    assert "http://example.org/p" not in local


def test_missing_package_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(DefinitionsUnavailableError, match="make definitions"):
        Definitions.from_core_package(tmp_path)


def test_damaged_index_is_reported(tmp_path: Path) -> None:
    folder = corepackage.package_dir(tmp_path)
    (folder / "package").mkdir(parents=True)
    (folder / ".verified-sha256").write_text(corepackage.TGZ_SHA256)
    (folder / "package" / ".index.json").write_text("{broken")
    with pytest.raises(DefinitionsUnavailableError, match="damaged"):
        Definitions.from_core_package(tmp_path)
