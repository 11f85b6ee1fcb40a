"""The definitions a validator works with, assembled from settings at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.fhir.packages import LoadReport, load_into
from mpox_adapter.settings import DefinitionsSettings

PROJECT_CANONICAL = "http://mpox-adapter.org/fhir/"

SHIPPED_PROFILES: Traversable = resources.files("mpox_adapter") / "profiles"
"""The project's compiled profiles, extensions, terminology, ConceptMaps and
OperationDefinitions, as package data (built from profiles/fsh by `make profiles`)."""


def load_definitions(
    settings: DefinitionsSettings, extra: Sequence[Path] = ()
) -> tuple[Definitions, LoadReport]:
    """The core package, the project's profiles and any further guides, in that order
    (later sources win when they define the same URL)."""
    definitions = Definitions.from_core_package(settings.cache_dir)
    report = LoadReport()
    profiles = settings.profiles_dir or SHIPPED_PROFILES
    for source in (profiles, *settings.igs, *extra):
        part = load_into(definitions, source)
        report.loaded.extend(part.loaded)
        report.skipped.extend(part.skipped)
    return definitions, report
