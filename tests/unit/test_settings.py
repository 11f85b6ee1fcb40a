from __future__ import annotations

from pathlib import Path

import pytest

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import Settings, load_settings


def test_from_mapping_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPOX_JURISDICTION", "DK")
    assert Settings.from_mapping({}).jurisdiction == "NO"
    assert Settings.from_mapping({"jurisdiction": "DK"}).jurisdiction == "DK"


def test_defaults_are_the_embedded_sqlite_store() -> None:
    settings = Settings.from_mapping({})
    assert settings.store.url == "sqlite:///var/adapter.db"
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)


def test_environment_beats_file_and_overrides_beat_both(tmp_path: Path) -> None:
    config = tmp_path / "adapter.toml"
    config.write_text(
        'jurisdiction = "NO"\n[store]\nurl = "sqlite:///from-file.db"\n[server]\nport = 9000\n'
    )
    environ = {"MPOX_STORE__URL": "postgresql://u@h/db", "MPOX_CONFIG": str(config)}
    settings = load_settings(environ=environ, overrides={"jurisdiction": "DK"})
    assert settings.store.url == "postgresql://u@h/db"
    assert settings.server.port == 9000
    assert settings.jurisdiction == "DK"


def test_explicit_config_file_beats_mpox_config(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.toml"
    chosen.write_text('jurisdiction = "DK"\n')
    settings = load_settings(chosen, environ={"MPOX_CONFIG": str(tmp_path / "absent.toml")})
    assert settings.jurisdiction == "DK"


def test_environment_values_may_be_json(tmp_path: Path) -> None:
    settings = load_settings(environ={"MPOX_SERVER": '{"port": 8123}'})
    assert settings.server.port == 8123


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MPOX_JURISDICTION": "SE"}, "jurisdiction"),
        ({"MPOX_SERVER__PORT": "0"}, "server.port"),
    ],
)
def test_invalid_settings_name_the_field(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ=environ)


def test_missing_and_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_settings(tmp_path / "absent.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("jurisdiction = \n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(broken, environ={})


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[stor]\nurl = 'sqlite:///x.db'\n")
    with pytest.raises(ConfigurationError, match="stor"):
        load_settings(config, environ={})
