from __future__ import annotations

import json
from pathlib import Path

import pytest

from mpox_adapter.cli.main import main


def test_forecast_runs_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "assessmentDate", "valueDate": "2024-03-01"},
            {"name": "patient", "resource": {"resourceType": "Patient", "birthDate": "1990-01-01"}},
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(request))
    assert main(["forecast", str(path), "--jurisdiction", "NO"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["parameter"][0]["resource"]["resourceType"] == "ImmunizationRecommendation"


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_bad_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('jurisdiction = "SE"\n')
    assert main(["forecast", "p.json", "--config", str(config)]) == 2
    assert "jurisdiction" in capsys.readouterr().err


def test_definitions_path_reports_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPOX_DEFINITIONS__CACHE_DIR", raising=False)
    config = tmp_path / "c.toml"
    config.write_text(f'[definitions]\ncache_dir = "{tmp_path}"\n')
    assert main(["definitions", "path", "--config", str(config)]) == 1
    assert str(tmp_path) in capsys.readouterr().out
