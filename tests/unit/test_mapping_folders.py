"""Finding a mapping by name: the user's folder first, then the shipped mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.ingest.records import Record
from mpox_adapter.mapping.engine import load_named_mapping, resource_id
from mpox_adapter.mapping.folders import SHIPPED_MAPPINGS, MappingFolders

SHIPPED = [
    "case-linelist",
    "contact-linelist",
    "dk-regional-vaccinations",
    "no-municipal-vaccinations",
]
SHIPPED_CASE_SYSTEM = "urn:mpox-adapter:source:case-linelist"
# Refers to the Condition of a case-linelist record, whichever folder that mapping is in.
REFERRING = """
mapping: mine
version: "1"
source: {system: "urn:x", reader: {format: csv}}
key: "{a}"
fields:
  a: {from: a, required: true}
resources:
  obs:
    type: Basic
    key: "{a}"
    template:
      code: {text: "{a}"}
      subject: {reference: {ref: {mapping: case-linelist, resource: condition, key: "{a}"}}}
"""


def test_the_shipped_mappings_are_found_without_a_folder_of_ones_own() -> None:
    assert MappingFolders().names() == SHIPPED
    assert MappingFolders().spec("no-municipal-vaccinations").mapping == "no-municipal-vaccinations"


def test_a_users_mapping_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    shipped = (SHIPPED_MAPPINGS / "no-municipal-vaccinations.yaml").read_text()
    assert "\nversion: 1.0.0\n" in shipped
    (tmp_path / "no-municipal-vaccinations.yaml").write_text(
        shipped.replace("\nversion: 1.0.0\n", "\nversion: 9.9.9-local\n")
    )
    folders = MappingFolders(tmp_path)
    assert folders.find("no-municipal-vaccinations").folder == tmp_path
    assert folders.spec("no-municipal-vaccinations").version == "9.9.9-local"
    assert MappingFolders().spec("no-municipal-vaccinations").version == "1.0.0"


def test_an_unknown_name_lists_the_names_of_both_folders(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(REFERRING)
    with pytest.raises(ConfigurationError) as caught:
        MappingFolders(tmp_path).find("nope")
    assert f"(known: {', '.join(sorted([*SHIPPED, 'mine']))})" in str(caught.value)


@pytest.mark.parametrize(
    "name", ["../mappings/case-linelist", "case-linelist.yaml", "/etc/passwd", "Case-Linelist", ""]
)
def test_only_mapping_names_are_looked_up(name: str) -> None:
    with pytest.raises(ConfigurationError, match="unknown mapping"):
        MappingFolders().find(name)


def test_a_missing_folder_of_ones_own_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is not a folder"):
        MappingFolders(tmp_path / "absent").find("case-linelist")


def _subject_of_mine(folders: MappingFolders, definitions: Definitions) -> str:
    mapping = load_named_mapping("mine", folders, definitions)
    basic = mapping.map(Record("s.csv", 2, {"a": "K-1"})).resources[0][0]
    subject: str = basic["subject"]["reference"]
    return subject


def test_references_to_other_mappings_use_the_same_lookup(
    tmp_path: Path, mpox_definitions: Definitions
) -> None:
    (tmp_path / "mine.yaml").write_text(REFERRING)
    shipped_case = resource_id("case-linelist", SHIPPED_CASE_SYSTEM, "condition", "K-1")
    assert _subject_of_mine(MappingFolders(tmp_path), mpox_definitions) == (
        f"Condition/{shipped_case}"
    )

    case = (SHIPPED_MAPPINGS / "case-linelist.yaml").read_text()
    (tmp_path / "case-linelist.yaml").write_text(
        case.replace(SHIPPED_CASE_SYSTEM, "urn:local:cases")
    )
    local_case = resource_id("case-linelist", "urn:local:cases", "condition", "K-1")
    assert _subject_of_mine(MappingFolders(tmp_path), mpox_definitions) == f"Condition/{local_case}"
