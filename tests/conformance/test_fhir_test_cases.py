"""The HL7 validator's own R4 test cases (fhir-test-cases), compared with the Java outcomes.

For each case and each of its runs (against the core spec plus `meta.profile`, and again
against `profile.source` where the case has one) we compare our verdict (valid / invalid)
and our error count with the Java reference validator's. Disagreements we know of are kept,
with their reasons, in `known_disagreements.json`: a new disagreement fails the suite, and so
does a listed one that has gone away, so that the list can only shrink.

The cases are the extract in tests/data/conformance/fhir-test-cases (see its README.md). The
Java outcome of a run is the file the manifest names; where that name is out of date (as it is
upstream for some cases), the file upstream's naming gives, `java/R4.<case>-<base|profile>.json`.
Only runs with a Java outcome are compared; `NO_JAVA_OUTCOME` lists the others, with why, and
a test checks that list, so that a run cannot silently drop out of the comparison.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.fhir.packages import load_into
from mpox_adapter.fhir.xml import xml_to_json
from mpox_adapter.validation.engine import Validator

CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "conformance" / "fhir-test-cases"
KNOWN = Path(__file__).with_name("known_disagreements.json")
# Runs of the manifest that have no Java outcome to compare with, and why. Empty: every run
# of the extract has one.
NO_JAVA_OUTCOME: dict[str, str] = {}
TX_SERVER_EXTENSION = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-server"


@dataclass(frozen=True)
class Run:
    case: str
    kind: str  # "base" or "profile"
    input: str
    loads: tuple[str, ...]
    profiles: tuple[str, ...]
    expected: Any  # path of the Java outcome (relative to outcomes/), or {"errorCount": n}

    @property
    def id(self) -> str:
        return f"{self.case}:{self.kind}"


def _runs() -> list[Run]:
    manifest = json.loads((CASES_DIR / "manifest.json").read_text())
    runs = []
    for case in manifest["test-cases"]:
        loads = tuple(case.get("supporting", [])) + tuple(case.get("profiles", []))
        runs.append(Run(case["name"], "base", case["file"], loads, (), case.get("java")))
        profile = case.get("profile")
        if profile:
            source = profile["source"]
            profile_loads = (*loads, *profile.get("supporting", []), source)
            runs.append(
                Run(
                    case["name"],
                    "profile",
                    case["file"],
                    profile_loads,
                    (source,),
                    profile.get("java"),
                )
            )
    return runs


def _outcome(run: Run) -> Path | None:
    """The Java outcome file of a run: the manifest's, else upstream's naming, else None."""
    named = [run.expected] if isinstance(run.expected, str) else []
    for relative in (*named, f"java/R4.{run.case}-{run.kind}.json"):
        if (CASES_DIR / "outcomes" / relative).is_file():
            return CASES_DIR / "outcomes" / relative
    return None


def _comparable(run: Run) -> bool:
    return (isinstance(run.expected, dict) and "errorCount" in run.expected) or bool(_outcome(run))


ALL_RUNS = _runs()
RUNS = [run for run in ALL_RUNS if _comparable(run)]


def _known() -> dict[str, str]:
    return dict(json.loads(KNOWN.read_text())) if KNOWN.exists() else {}


def _java_errors(outcome: dict[str, Any]) -> int:
    return sum(
        1
        for issue in outcome.get("issue", [])
        if issue.get("severity") in ("error", "fatal")
        and not any(ext.get("url") == TX_SERVER_EXTENSION for ext in issue.get("extension", []))
    )


def _url_of(file_name: str, definitions: Definitions) -> str | None:
    path = CASES_DIR / file_name
    if not path.exists():
        return None
    if file_name.endswith(".xml"):
        resource = xml_to_json(path.read_bytes(), definitions)
    else:
        resource = json.loads(path.read_text())
    url = resource.get("url")
    return url if isinstance(url, str) else None


def evaluate(run: Run, core_cache_dir: Path) -> tuple[str, str]:
    """(status, detail): status is 'agree' or 'disagree'."""
    if isinstance(run.expected, dict) and "errorCount" in run.expected:
        expected = int(run.expected["errorCount"])
    else:
        outcome = _outcome(run)
        assert outcome is not None, f"{run.id} has no Java outcome"
        expected = _java_errors(json.loads(outcome.read_text()))
    definitions = Definitions.from_core_package(core_cache_dir)
    for name in run.loads:
        if (CASES_DIR / name).exists():
            load_into(definitions, CASES_DIR / name)
    input_path = CASES_DIR / run.input
    if not input_path.name.endswith(".json"):
        return "disagree", "input is XML"
    resource = json.loads(input_path.read_text())
    profiles = [url for name in run.profiles if (url := _url_of(name, definitions))]
    if len(profiles) != len(run.profiles):
        return "disagree", "the profile is missing"
    issues = Validator(definitions).issues(resource, profiles)
    ours = sum(1 for issue in issues if issue.is_error)
    same_verdict = (ours == 0) == (expected == 0)
    detail = (
        f"java {expected} error(s), ours {ours}: "
        + "; ".join(f"{i.expression}: {i.diagnostics}" for i in issues if i.is_error)[:400]
    )
    return ("agree" if same_verdict else "disagree"), detail


@pytest.fixture(scope="module")
def results(core_cache_dir: Path) -> dict[str, tuple[str, str]]:
    return {run.id: evaluate(run, core_cache_dir) for run in RUNS}


def test_every_run_without_a_java_outcome_is_listed() -> None:
    assert ALL_RUNS, f"no test cases in {CASES_DIR / 'manifest.json'}"
    without = {run.id for run in ALL_RUNS if not _comparable(run)}
    assert without == set(NO_JAVA_OUTCOME), (
        f"runs without a Java outcome: {sorted(without)}; listed: {sorted(NO_JAVA_OUTCOME)}"
    )


def test_known_disagreements_are_runs_of_the_extract() -> None:
    assert set(_known()) <= {run.id for run in RUNS}, sorted(set(_known()) - {r.id for r in RUNS})


@pytest.mark.parametrize("run", RUNS, ids=[r.id for r in RUNS])
def test_case(run: Run, results: dict[str, tuple[str, str]]) -> None:
    status, detail = results[run.id]
    known = _known()
    if status == "disagree":
        assert run.id in known, f"new disagreement with the Java validator: {detail}"
    else:
        assert run.id not in known, f"{run.id} now agrees with Java: remove it from {KNOWN.name}"


def test_agreement_figure(
    results: dict[str, tuple[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    compared = [status for status, _ in results.values()]
    agree = compared.count("agree")
    share = agree / len(compared)
    with capsys.disabled():
        print(
            f"\nfhir-test-cases: same verdict as the Java validator in "
            f"{agree}/{len(compared)} runs ({share:.1%}); "
            f"{len(ALL_RUNS) - len(RUNS)} runs have no Java outcome"
        )
    assert share >= 0.9
