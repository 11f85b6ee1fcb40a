"""Every mpox profile's valid and invalid examples, through the Python API, HTTP and the CLI.

The examples live in tests/data/profiles/<profile-id>/; each invalid example has exactly one
defect and `expected.json` names the error it must produce (FHIRPath and IssueType).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.cli.main import main
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.engine import Validator

DATA = Path(__file__).resolve().parents[2] / "data" / "profiles"
BASE = "http://mpox-adapter.org/fhir/StructureDefinition/"


def _examples() -> list[tuple[str, Path, dict[str, str] | None]]:
    cases = []
    for folder in sorted(p for p in DATA.iterdir() if p.is_dir()):
        expected = json.loads((folder / "expected.json").read_text())
        for path in sorted(folder.glob("*.json")):
            if path.name != "expected.json":
                cases.append((folder.name, path, expected.get(path.name)))
    return cases


EXAMPLES = _examples()
IDS = [f"{profile}/{path.stem}" for profile, path, _ in EXAMPLES]


def test_every_profile_has_valid_examples_and_five_kinds_of_invalid_ones() -> None:
    by_profile: dict[str, list[str]] = {}
    for profile, path, _ in EXAMPLES:
        by_profile.setdefault(profile, []).append(path.stem)
    assert set(by_profile) == {
        "mpox-patient",
        "mpox-condition",
        "mpox-lab-result",
        "mpox-exposure",
        "mpox-risk-factor",
        "mpox-immunization",
    }
    for profile, names in by_profile.items():
        assert any(n.startswith("valid") for n in names), profile
        assert sum(n.startswith("invalid-") for n in names) >= 5, profile


@pytest.fixture(scope="module")
def validator(mpox_definitions: Definitions) -> Validator:
    return Validator(mpox_definitions)


def _check(errors: list[tuple[str, str]], expected: dict[str, str] | None) -> None:
    if expected is None:
        assert errors == [], errors
    else:
        assert (expected["code"], expected["expression"]) in errors, errors


@pytest.mark.parametrize(("profile", "path", "expected"), EXAMPLES, ids=IDS)
def test_python_api(
    validator: Validator, profile: str, path: Path, expected: dict[str, str] | None
) -> None:
    issues = validator.issues(json.loads(path.read_text()), [BASE + profile])
    _check([(i.code, i.expression) for i in issues if i.is_error], expected)


@pytest.mark.anyio
@pytest.mark.parametrize(("profile", "path", "expected"), EXAMPLES, ids=IDS)
async def test_http_validate(
    client: httpx.AsyncClient, profile: str, path: Path, expected: dict[str, str] | None
) -> None:
    resource = json.loads(path.read_text())
    response = await client.post(
        f"/fhir/{resource['resourceType']}/$validate",
        params={"profile": BASE + profile},
        content=path.read_bytes(),
        headers={"content-type": "application/fhir+json"},
    )
    assert response.status_code == 200
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    errors = [
        (i["code"], i["expression"][0])
        for i in outcome["issue"]
        if i["severity"] in ("error", "fatal")
    ]
    _check(errors, expected)


@pytest.mark.parametrize(("profile", "path", "expected"), EXAMPLES, ids=IDS)
def test_cli(
    profile: str, path: Path, expected: dict[str, str] | None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", str(path), "--profile", BASE + profile, "--json"])
    line: dict[str, Any] = json.loads(capsys.readouterr().out.splitlines()[0])
    errors = [
        (i["code"], i["expression"][0])
        for i in line["outcome"]["issue"]
        if i["severity"] in ("error", "fatal")
    ]
    _check(errors, expected)
    assert code == (0 if expected is None else 1)
    assert line["source"] == str(path)
