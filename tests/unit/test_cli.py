from __future__ import annotations

from pathlib import Path

import pytest

from adapter.cli.main import main


@pytest.mark.parametrize(
    "argv",
    [
        ["forecast", "p.json"],
    ],
)
def test_commands_of_later_issues_say_not_yet_available(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "not yet available" in capsys.readouterr().err


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
