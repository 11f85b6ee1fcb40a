"""`POST /fhir/$immds-forecast` and `mpox-adapter forecast`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.cli.main import main
from tests.unit.test_rules_support import condition, dose, parameters, patient, risk

pytestmark = pytest.mark.anyio

FHIR_JSON = {"content-type": "application/fhir+json"}


def body() -> dict[str, Any]:
    return parameters(
        patient(),
        risk("msm"),
        condition("86406008"),
        dose("2024-01-01", "pre-exposure"),
        on="2024-03-01",
    )


def status_of(output: dict[str, Any]) -> str:
    entry = output["parameter"][0]["resource"]["recommendation"][0]
    code: str = entry["forecastStatus"]["coding"][0]["code"]
    return code


async def test_forecast_over_http(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/$immds-forecast", json=body(), headers=FHIR_JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    output = response.json()
    assert [p["name"] for p in output["parameter"]] == ["recommendation", "evaluation"]
    assert status_of(output) == "due"
    authority = output["parameter"][0]["resource"]["authority"]["display"]
    assert authority.startswith("Folkehelseinstituttet")  # the settings' default jurisdiction


async def test_bad_input_is_a_located_400(client: httpx.AsyncClient) -> None:
    no_birth = parameters({"resourceType": "Patient", "id": "p1"}, on="2024-03-01")
    response = await client.post("/fhir/$immds-forecast", json=no_birth, headers=FHIR_JSON)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Parameters.parameter[1].resource.birthDate"]
    not_parameters = await client.post("/fhir/$immds-forecast", json=[1, 2], headers=FHIR_JSON)
    assert not_parameters.status_code == 400
    assert not_parameters.json()["resourceType"] == "OperationOutcome"


async def test_the_operation_is_in_the_capability_statement(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    operations = {o["name"]: o["definition"] for o in statement["rest"][0]["operation"]}
    assert (
        operations["immds-forecast"]
        == "http://mpox-adapter.org/fhir/OperationDefinition/immds-forecast"
    )


def write(tmp_path: Path, content: Any, name: str = "in.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def test_cli_prints_the_output_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", write(tmp_path, body())]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["resourceType"] == "Parameters"
    assert status_of(output) == "due"


def test_cli_date_and_jurisdiction_override_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, body())
    assert main(["forecast", path, "--date", "2024-01-10", "--jurisdiction", "DK"]) == 0
    output = json.loads(capsys.readouterr().out)
    recommendation = output["parameter"][0]["resource"]
    assert recommendation["date"] == "2024-01-10"
    assert recommendation["recommendation"][0]["description"] == "SST v7.1 2025-02-18"


def test_cli_assesses_a_bundle_today(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": "http://ehr.example/fhir/Patient/p1", "resource": patient()},
            {"resource": risk("msm")},
        ],
    }
    assert main(["forecast", write(tmp_path, bundle)]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["parameter"][0]["resource"]["date"] == date.today().isoformat()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (parameters({"resourceType": "Patient"}, on="2024-03-01"), "birthDate"),
        (
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "patient", "resource": patient()}],
            },
            "assessmentDate",
        ),
        ({"resourceType": "Observation"}, "Parameters or Bundle"),
    ],
)
def test_cli_unusable_input_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, message: str
) -> None:
    assert main(["forecast", write(tmp_path, content)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_cli_unreadable_files_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["forecast", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", str(broken), "--date", "1 March"])
    assert exit_info.value.code == 2


def test_the_answer_is_the_same_in_every_process(tmp_path: Path) -> None:
    # Sets iterate in a per-process order: nothing in the answer may follow it.
    import os
    import subprocess
    import sys

    request = tmp_path / "in.json"
    request.write_text(json.dumps(body()))
    answers = set()
    for seed in range(4):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        command = [sys.executable, "-m", "mpox_adapter", "forecast", str(request)]
        answers.add(subprocess.run(command, capture_output=True, check=True, env=env).stdout)
    assert len(answers) == 1
