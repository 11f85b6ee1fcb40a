"""docs/configuration.md is generated from the settings model and must not fall behind it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mpox_adapter import settings_reference
from mpox_adapter.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CONFIGURATION_MD = REPO / "docs" / "configuration.md"


def test_configuration_md_is_up_to_date() -> None:
    expected = settings_reference.render()
    actual = CONFIGURATION_MD.read_text(encoding="utf-8") if CONFIGURATION_MD.exists() else ""
    if actual != expected:
        pytest.fail(
            "docs/configuration.md is out of date with mpox_adapter/settings.py; regenerate it "
            f"from the repository root with:\n\n    .venv/bin/{settings_reference.REGENERATE}\n",
            pytrace=False,
        )


def test_every_setting_is_documented() -> None:
    """Each key of every section appears with its environment variable."""
    text = settings_reference.render()
    for section in settings_reference.sections():
        assert f"## {section.title}" in text
        for key in section.keys:
            assert f"`{key.env}`" in text
    assert "`MPOX_SERVER__PORT`" in text
    assert "`MPOX_DESTINATIONS__NAME__AUTH__TOKEN_URL`" in text
    assert "`MPOX_CDS__TRUSTED_ISSUERS`" in text


def test_the_text_names_no_path_of_this_machine() -> None:
    text = settings_reference.render()
    for folder in {REPO, Path.home(), Path(settings_reference.mpox_adapter.__file__).parent}:
        assert str(folder) not in text


def test_the_example_is_a_valid_configuration() -> None:
    settings = Settings.from_mapping(tomllib.loads(settings_reference.EXAMPLE))
    assert "registry" in settings.destinations
