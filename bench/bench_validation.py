"""Validator speed: a valid mpox-immunization against its profile, and start-up cost.

Figure to reach (issue 3): at least 5,000 resources/s on one core; definitions and profiles
loaded in under 1 s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.settings import Settings
from mpox_adapter.validation.engine import Validator
from mpox_adapter.validation.memo import InvariantMemo, SubtreeMemo
from mpox_adapter.validation.service import load_definitions

EXAMPLE = (
    Path(__file__).resolve().parents[1]
    / "tests/data/profiles/mpox-immunization/valid-no-intradermal-ppv.json"
)
PROFILE = "http://mpox-adapter.org/fhir/StructureDefinition/mpox-immunization"


def distinct_immunizations(count: int) -> list[dict[str, Any]]:
    """The example as many different doses: each with its own id, patient, date and lot, as
    the mappings produce them (a validator that remembers verdicts must not be timed on one
    resource over and over)."""
    example = json.loads(EXAMPLE.read_text())
    out = []
    for n in range(count):
        resource = json.loads(json.dumps(example))
        resource["id"] = f"imm-{n}"
        resource["patient"] = {"reference": f"Patient/p-{n}"}
        resource["lotNumber"] = f"LOT{n:06d}"
        resource["occurrenceDateTime"] = f"2023-{1 + n % 12:02d}-{1 + n % 28:02d}T10:15:00+02:00"
        out.append(resource)
    return out


@pytest.mark.parametrize("remember", [True, False], ids=["replaying-verdicts", "walking-all"])
def test_validate_mpox_immunization(
    benchmark: Any, mpox_definitions: Definitions, remember: bool
) -> None:
    """Per call: 1,000 distinct Immunizations (divide the time by 1,000)."""
    validator = Validator(mpox_definitions)
    if not remember:
        validator.memo = SubtreeMemo(capacity=0)
        validator.invariant_memo = InvariantMemo(capacity=0)
    resources = distinct_immunizations(1_000)
    assert not [i for r in resources for i in validator.issues(r, [PROFILE]) if i.is_error]

    def validate_all() -> None:
        for resource in resources:
            validator.issues(resource, [PROFILE])

    benchmark.pedantic(validate_all, rounds=5, iterations=1)


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
