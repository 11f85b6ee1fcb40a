"""The committed conformance resources in mpox_adapter/profiles/: up to date with the FSH in
profiles/fsh, and sound.

The slow test rebuilds profiles/fsh with the pinned SUSHI and compares the result with the
committed JSON (skipped where Node is missing, failed instead when CI=true). The other tests
read the committed JSON only: every artefact is described, the examples in tests/data/profiles
are complete, and the profiles' invariants (FHIRPath, evaluated with fhirpathpy) accept the
valid examples and identity numbers and reject the invalid ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhirpathpy import evaluate
from fhirpathpy.models import models

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.engine import Validator
from tests.conftest import skip_or_fail
from tests.guideline_rules import guideline_rule_ids

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "mpox_adapter" / "profiles"
BUILD = ROOT / "profiles" / "build.sh"
EXAMPLES = ROOT / "tests" / "data" / "profiles"
CONFORMANCE = (
    "StructureDefinition-*.json",
    "ValueSet-*.json",
    "CodeSystem-*.json",
    "ConceptMap-*.json",
    "OperationDefinition-*.json",
)
CANONICAL = "http://mpox-adapter.org/fhir"
PROFILE_IDS = (
    "mpox-patient",
    "mpox-condition",
    "mpox-lab-result",
    "mpox-exposure",
    "mpox-risk-factor",
    "mpox-immunization",
)
KINDS = {
    "cardinality",
    "fixed-or-pattern",
    "binding",
    "invariant",
    "slicing",
    "type",
    "reference",
    "format",
}
ISSUE_CODES = {"required", "structure", "value", "code-invalid", "invariant"}
R4 = models["r4"]
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR = "urn:oid:2.16.578.1.12.4.1.4.2"
CPR = "urn:oid:1.2.208.176.1.2"
SCT = "http://snomed.info/sct"


def conformance_files(folder: Path) -> dict[str, Path]:
    return {p.name: p for pattern in CONFORMANCE for p in folder.glob(pattern)}


def load(path: Path, parse_float: Any = float) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=parse_float)


def structure_definition(profile_id: str) -> dict[str, Any]:
    sd: dict[str, Any] = load(PROFILES / f"StructureDefinition-{profile_id}.json")
    return sd


# ------------------------------------------------------------------ staleness (SUSHI)


@pytest.mark.slow
def test_committed_json_matches_a_fresh_sushi_build(tmp_path: Path) -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"{' and '.join(missing)} not installed: cannot rebuild the profiles")
    env = dict(os.environ)
    adapter = Path(sys.executable).parent / "mpox-adapter"
    if "MPOX_ADAPTER" not in env and adapter.exists():
        env["MPOX_ADAPTER"] = str(adapter)
    out = tmp_path / "profiles"
    result = subprocess.run(
        ["bash", str(BUILD), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"profiles/build.sh failed:\n{result.stdout}\n{result.stderr}"

    fresh, committed = conformance_files(out), conformance_files(PROFILES)
    assert fresh, "SUSHI generated nothing"
    stale = "mpox_adapter/profiles/ is stale: run `make profiles` and commit the JSON"
    assert sorted(fresh) == sorted(committed), stale
    different = [name for name in fresh if load(fresh[name]) != load(committed[name])]
    assert not different, f"{stale} ({', '.join(sorted(different))})"


# ------------------------------------------------------------------ the artefacts


def test_every_artefact_has_url_title_description_and_snapshot() -> None:
    files = conformance_files(PROFILES)
    assert len(files) > 40
    for name, path in files.items():
        resource = load(path)
        kind = resource["resourceType"]
        assert name == f"{kind}-{resource['id']}.json"
        assert resource["url"] == f"{CANONICAL}/{kind}/{resource['id']}", name
        assert resource.get("title"), name
        assert len(resource.get("description", "")) > 30, name
        assert resource["status"] == "active", name
        assert "date" not in resource, f"{name}: a build date would make the output unstable"
        if kind == "StructureDefinition":
            assert resource["snapshot"]["element"], name
        if kind == "CodeSystem":
            assert resource["content"] == "complete", name
            assert resource["caseSensitive"] is True, name
            for concept in resource["concept"]:
                assert concept.get("display"), (name, concept)
                assert concept.get("definition"), (name, concept)


def test_every_artefact_is_valid_against_base_r4(definitions: Definitions) -> None:
    """What the adapter publishes passes its own validator, with the core definitions only."""
    validator = Validator(definitions)
    for name, path in sorted(conformance_files(PROFILES).items()):
        issues = validator.validate(load(path))["issue"]
        errors = [i for i in issues if i["severity"] in ("error", "fatal")]
        assert not errors, f"{name}: {errors}"


def test_every_profile_is_there() -> None:
    for profile_id in PROFILE_IDS:
        sd = structure_definition(profile_id)
        assert sd["kind"] == "resource"
        assert sd["derivation"] == "constraint"


def test_rule_code_system_has_every_rule_of_the_guideline_digest() -> None:
    ids = guideline_rule_ids()
    assert all(re.fullmatch(r"(?:NO|DK|PROJ)-[A-Z0-9-]+", rule) for rule in ids), sorted(ids)
    codes = {c["code"] for c in load(PROFILES / "CodeSystem-rule.json")["concept"]}
    assert ids, "no rule ids found in tests/data/guideline-rules.tsv"
    assert ids <= codes, f"rules missing from CodeSystem rule: {sorted(ids - codes)}"


# ------------------------------------------------------------------ the examples


def test_examples_are_complete_and_expected_is_consistent() -> None:
    for profile_id in PROFILE_IDS:
        folder = EXAMPLES / profile_id
        valid = sorted(folder.glob("valid-*.json"))
        invalid = sorted(folder.glob("invalid-*.json"))
        expected = load(folder / "expected.json")
        assert len(valid) >= 2, profile_id
        assert len(invalid) >= 5, profile_id
        assert sorted(expected) == [p.name for p in invalid], profile_id
        for path in valid + invalid:
            resource = load(path)
            assert resource["meta"]["profile"] == [f"{CANONICAL}/StructureDefinition/{profile_id}"]
        for name, issue in expected.items():
            assert name.removeprefix("invalid-").removesuffix(".json") in KINDS, name
            assert issue["code"] in ISSUE_CODES, name
            assert issue["expression"].split(".")[0] == load(folder / name)["resourceType"], name


# ------------------------------------------------------------------ the invariants


def profile_constraints(profile_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The profile's own constraints (key mpox-*), with the element each sits on."""
    return [
        (element, constraint)
        for element in structure_definition(profile_id)["snapshot"]["element"]
        for constraint in element.get("constraint", [])
        if constraint["key"].startswith("mpox-")
    ]


def contexts(resource: dict[str, Any], element: dict[str, Any], profile_id: str) -> list[Any]:
    """The parts of `resource` a constraint on `element` applies to (the resource or a slice)."""
    if "." not in element["id"]:
        return [resource]
    assert element["id"].partition(":")[0] == "Patient.identifier", element["id"]
    system = next(
        e["fixedUri"]
        for e in structure_definition(profile_id)["snapshot"]["element"]
        if e["id"] == f"{element['id']}.system"
    )
    return [i for i in resource.get("identifier", []) if i.get("system") == system]


def failed_constraints(profile_id: str, resource: dict[str, Any]) -> list[str]:
    failed = []
    for element, constraint in profile_constraints(profile_id):
        for context in contexts(resource, element, profile_id):
            if evaluate(context, constraint["expression"], {}, R4) != [True]:
                failed.append(constraint["key"])
    return failed


EXAMPLE_FILES = sorted(
    (profile_id, path.name)
    for profile_id in PROFILE_IDS
    for path in (EXAMPLES / profile_id).glob("*.json")
    if path.name != "expected.json"
)


@pytest.mark.parametrize("parse_float", [float, Decimal], ids=["float", "decimal"])
@pytest.mark.parametrize(("profile_id", "name"), EXAMPLE_FILES)
def test_invariants_on_examples(profile_id: str, name: str, parse_float: Any) -> None:
    resource = load(EXAMPLES / profile_id / name, parse_float)
    failed = failed_constraints(profile_id, resource)
    if name == "invalid-invariant.json":
        assert len(failed) == 1, failed
    else:
        assert failed == [], f"{name} breaks {failed}"


def test_every_profile_invariant_is_evaluable() -> None:
    keys = {c["key"] for p in PROFILE_IDS for _, c in profile_constraints(p)}
    assert keys == {
        "mpox-fnr",
        "mpox-dnr",
        "mpox-cpr",
        "mpox-exposure-period",
        "mpox-risk-factor-value",
        "mpox-imm-route",
        "mpox-imm-dose",
        "mpox-imm-lot",
        "mpox-imm-dose-number",
        "mpox-imm-intradermal",
        "mpox-imm-subcutaneous",
    }


def patient_with(system: str, value: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": system, "value": value}],
        "birthDate": "1990-03-15",
    }


@pytest.mark.parametrize(
    ("system", "value", "ok"),
    [
        (FNR, "15839010009", True),  # synthetic (month 03 + 80)
        (FNR, "02918523084", True),  # synthetic (month 11 + 80)
        (FNR, "14879132178", True),  # from the sample case line list
        (FNR, "01019012480", True),  # ordinary month
        (FNR, "15839010008", False),  # second check digit wrong
        (FNR, "15839010019", False),  # first check digit wrong
        (FNR, "1583901000", False),  # 10 digits
        (FNR, "158390100091", False),  # 12 digits
        (FNR, "15839O10009", False),  # a letter O
        (FNR, "15939010009", False),  # month 93
        (FNR, "15139010009", False),  # month 13
        (FNR, "32039012345", False),  # day 32
        (FNR, "60869231080", False),  # a D-number is not a fødselsnummer
        (DNR, "60869231080", True),  # synthetic D-number, day 20 + 40
        (DNR, "41889010035", True),
        (DNR, "60869231081", False),  # check digit wrong
        (DNR, "72839010037", False),  # day 32 + 40
        (DNR, "15839010009", False),  # a fødselsnummer is not a D-number
        (CPR, "1502871237", True),
        (CPR, "0911832110", True),  # from the Danish sample export
        (CPR, "3112991234", True),
        (CPR, "150287-1237", False),  # with the hyphen
        (CPR, "31139912345", False),  # 11 digits (sample export, line 1)
        (CPR, "3213991234", False),  # month 13
        (CPR, "0000991234", False),  # day 00
    ],
)
def test_identifier_invariants(system: str, value: str, ok: bool) -> None:
    failed = failed_constraints("mpox-patient", patient_with(system, value))
    assert (failed == []) is ok, failed


def immunization(status: str, route: str | None, volume: Any) -> dict[str, Any]:
    resource = load(EXAMPLES / "mpox-immunization" / "valid-no-intradermal-ppv.json")
    resource["status"] = status
    if route is None:
        del resource["route"]
    else:
        resource["route"] = {"coding": [{"system": SCT, "code": route}]}
    if volume is None:
        del resource["doseQuantity"]
    else:
        resource["doseQuantity"]["value"] = volume
    return dict(resource)


INTRADERMAL, SUBCUTANEOUS = "372464004", "34206005"


@pytest.mark.parametrize(
    ("status", "route", "volume", "failed"),
    [
        ("completed", INTRADERMAL, 0.1, []),
        ("completed", INTRADERMAL, Decimal("0.10"), []),
        ("completed", SUBCUTANEOUS, 0.5, []),
        ("completed", SUBCUTANEOUS, Decimal("0.5"), []),
        ("completed", INTRADERMAL, 0.5, ["mpox-imm-intradermal", "mpox-imm-subcutaneous"]),
        ("completed", SUBCUTANEOUS, 0.1, ["mpox-imm-intradermal", "mpox-imm-subcutaneous"]),
        ("completed", INTRADERMAL, 5, ["mpox-imm-intradermal"]),  # sample line 36
        ("completed", SUBCUTANEOUS, 1.0, ["mpox-imm-subcutaneous"]),
        ("completed", None, 0.1, ["mpox-imm-route"]),
        ("completed", INTRADERMAL, None, ["mpox-imm-dose"]),
        ("entered-in-error", INTRADERMAL, 0.5, []),
        ("not-done", None, None, []),
    ],
)
def test_immunization_route_and_volume_invariants(
    status: str, route: str | None, volume: Any, failed: list[str]
) -> None:
    resource = immunization(status, route, volume)
    assert sorted(failed_constraints("mpox-immunization", resource)) == sorted(failed)


def test_completed_immunization_needs_lot_and_dose_number() -> None:
    resource = immunization("completed", INTRADERMAL, 0.1)
    del resource["lotNumber"], resource["protocolApplied"]
    assert sorted(failed_constraints("mpox-immunization", resource)) == [
        "mpox-imm-dose-number",
        "mpox-imm-lot",
    ]


@pytest.mark.parametrize(
    ("code", "value", "ok"),
    [
        ("male-partners", {"valueInteger": 0}, True),
        ("male-partners", {"valueBoolean": True}, False),
        ("msm", {"valueBoolean": False}, True),
        ("msm", {"valueInteger": 1}, False),
        ("msm", {}, True),  # a missing value is a cardinality error, not this invariant's
    ],
)
def test_risk_factor_value_invariant(code: str, value: dict[str, Any], ok: bool) -> None:
    resource = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": f"{CANONICAL}/CodeSystem/risk-factor", "code": code}]},
        **value,
    }
    assert (failed_constraints("mpox-risk-factor", resource) == []) is ok


@pytest.mark.parametrize(
    ("effective", "ok"),
    [
        ({"effectivePeriod": {"start": "2025-07-26", "end": "2025-08-01"}}, True),
        ({"effectivePeriod": {"start": "2025-07-26", "end": "2025-07-26"}}, True),
        ({"effectivePeriod": {"start": "2025-07-26"}}, True),
        ({"effectiveDateTime": "2025-07-26"}, True),
        ({"effectivePeriod": {"start": "2025-08-01", "end": "2025-07-26"}}, False),
    ],
)
def test_exposure_period_invariant(effective: dict[str, Any], ok: bool) -> None:
    resource = {"resourceType": "Observation", **effective}
    assert (failed_constraints("mpox-exposure", resource) == []) is ok
