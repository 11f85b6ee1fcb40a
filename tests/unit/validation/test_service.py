"""Which conformance resources the validator gets: the core package and the shipped profiles,
or a folder of profiles named in the settings instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.settings import DefinitionsSettings
from mpox_adapter.validation.service import SHIPPED_PROFILES, load_definitions

CANONICAL = "http://mpox-adapter.org/fhir"
PATIENT = f"{CANONICAL}/StructureDefinition/mpox-patient"
FORECAST = f"{CANONICAL}/OperationDefinition/immds-forecast"


def test_the_shipped_profiles_are_loaded_by_default(
    core_cache_dir: Path, definitions: Definitions
) -> None:
    loaded, report = load_definitions(DefinitionsSettings(cache_dir=core_cache_dir))
    assert PATIENT in loaded
    assert FORECAST in loaded
    assert not report.skipped


def test_a_profiles_dir_replaces_the_shipped_profiles(
    tmp_path: Path, core_cache_dir: Path, definitions: Definitions
) -> None:
    name = "OperationDefinition-immds-forecast.json"
    (tmp_path / name).write_bytes((SHIPPED_PROFILES / name).read_bytes())
    settings = DefinitionsSettings(cache_dir=core_cache_dir, profiles_dir=tmp_path)
    loaded, _ = load_definitions(settings)
    assert FORECAST in loaded
    assert PATIENT not in loaded


def test_a_missing_profiles_dir_is_an_error(
    tmp_path: Path, core_cache_dir: Path, definitions: Definitions
) -> None:
    settings = DefinitionsSettings(cache_dir=core_cache_dir, profiles_dir=tmp_path / "absent")
    with pytest.raises(ConfigurationError, match="no such file or folder"):
        load_definitions(settings)
