"""The one settings object, built once at start-up and passed down.

Sources, strongest first: explicit overrides (command-line flags), environment variables
``MPOX_<SECTION>__<KEY>`` (mappings and lists as JSON), then the TOML file given by
``--config`` or ``MPOX_CONFIG``. Tests skip the environment and build settings from a
plain mapping with `Settings.from_mapping`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from adapter.errors import ConfigurationError

Jurisdiction = Literal["NO", "DK"]

CONFIG_ENV_VAR = "MPOX_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    ingest_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    """Largest export file `POST /ingest/{mapping}` accepts; it is streamed to disk."""


class StoreSettings(_Section):
    url: str = "sqlite:///var/adapter.db"


def _project_folder(name: str) -> Path:
    # Next to the package in a checkout; the container image sets its own path instead.
    return Path(__file__).resolve().parent.parent / name


class DefinitionsSettings(_Section):
    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("mpox-adapter")) / "fhir"
    )
    """Where the FHIR core package is unpacked (``<cache_dir>/hl7.fhir.r4.core#4.0.1``)."""
    profiles_dir: Path = Field(default_factory=lambda: _project_folder("profiles"))
    """The project's compiled profiles, extensions, terminology and ConceptMaps."""
    igs: tuple[Path, ...] = ()
    """More conformance resources to load: JSON files, folders or FHIR package .tgz files."""


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MPOX_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    jurisdiction: Jurisdiction = "NO"
    server: ServerSettings = Field(default_factory=ServerSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    definitions: DefinitionsSettings = Field(default_factory=DefinitionsSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    mappings_dir: Path = Field(default_factory=lambda: _project_folder("mappings"))
    """The mapping files (``<name>.yaml``) that `convert`, `push` and the ingest API use."""
    data_dir: Path = Path("var")
    """Where the adapter keeps its working files (ingest jobs under ``<data_dir>/ingest``)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what the caller passes: the environment is read by `load_settings` alone,
        # so that a test building settings from a mapping is never changed by the shell.
        return (init_settings,)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        try:
            return cls(**dict(data))
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc, "settings")) from exc


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from overrides, the environment and the TOML file."""
    environ = os.environ if environ is None else environ
    path = config_file or (Path(environ[CONFIG_ENV_VAR]) if environ.get(CONFIG_ENV_VAR) else None)
    file_data = _read_toml(path) if path else {}
    env_data = _EnvironmentSource(Settings, environ)()
    merged = _deep_merge(_deep_merge(file_data, env_data), dict(overrides or {}))
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, str(path) if path else "settings")) from exc


class _EnvironmentSource(EnvSettingsSource):
    """The ``MPOX_`` variables of a given environment, parsed as pydantic-settings does."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, where: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
    return f"{where}: invalid configuration: {problems}"
