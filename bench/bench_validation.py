"""Validator speed: a valid mpox-immunization against its profile, and start-up cost.

Figure to reach (issue 3): at least 5,000 resources/s on one core; definitions and profiles
loaded in under 1 s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapter.fhir.definitions import Definitions
from adapter.settings import Settings
from adapter.validation.engine import Validator
from adapter.validation.service import load_definitions

EXAMPLE = (
    Path(__file__).resolve().parents[1]
    / "tests/data/profiles/mpox-immunization/valid-no-intradermal-ppv.json"
)
PROFILE = "http://mpox-adapter.org/fhir/StructureDefinition/mpox-immunization"


def test_validate_mpox_immunization(benchmark: Any, mpox_definitions: Definitions) -> None:
    validator = Validator(mpox_definitions)
    resource = json.loads(EXAMPLE.read_text())
    assert not [i for i in validator.issues(resource, [PROFILE]) if i.is_error]
    benchmark(validator.issues, resource, [PROFILE])


def test_startup_load_definitions_and_compile_profiles(
    benchmark: Any, core_cache_dir: Path
) -> None:
    settings = Settings.from_mapping({"definitions": {"cache_dir": str(core_cache_dir)}})

    def start() -> Validator:
        definitions, _ = load_definitions(settings.definitions)
        validator = Validator(definitions)
        validator.issues(json.loads(EXAMPLE.read_text()), [PROFILE])
        return validator

    benchmark.pedantic(start, rounds=5, iterations=1)
