from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_messages_keep_their_square_brackets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPOX_CONFIG", raising=False)
    config = tmp_path / "no-destinations.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "outbox.db"}"\n')
    push = ["push", "--config", str(config), "--mapping", "no-municipal-vaccinations", "in.csv"]
    assert main(push) == 2
    assert "add [destinations.NAME] to the settings" in capsys.readouterr().err
    assert main(["deliveries", "--config", str(tmp_path / "[draft].toml")]) == 2
    assert "[draft].toml" in capsys.readouterr().err


def test_rejected_records_stay_one_per_line_in_a_pipe(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "examples"
    environ = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    shown = subprocess.run(
        [sys.executable, "-m", "mpox_adapter", "convert", "--mapping", "no-municipal-vaccinations",
         str(sample / "no-municipal-vaccinations.csv"), "-o", str(tmp_path / "out.ndjson")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environ, check=False,
    )  # fmt: skip
    assert shown.returncode == 1
    *rejected, summary = shown.stderr.splitlines()
    assert len(rejected) == 5
    assert all(line.startswith("rejected no-municipal-vaccinations.csv:") for line in rejected)
    assert max(map(len, rejected)) > 80
    assert summary.startswith("46 record(s): 41 accepted, 5 rejected;")
    assert summary.endswith("41 Provenance")
