"""The validator as the rest of the adapter uses it: built once from settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapter.fhir.definitions import Definitions
from adapter.fhir.packages import LoadReport, load_into
from adapter.settings import DefinitionsSettings
from adapter.validation.engine import Validator
from adapter.validation.issues import Issue, outcome

PROJECT_CANONICAL = "http://mpox-adapter.org/fhir/"


def load_definitions(
    settings: DefinitionsSettings, extra: Sequence[Path] = ()
) -> tuple[Definitions, LoadReport]:
    """The core package, the project's profiles and any further guides, in that order
    (later sources win when they define the same URL)."""
    definitions = Definitions.from_core_package(settings.cache_dir)
    report = LoadReport()
    for source in (settings.profiles_dir, *settings.igs, *extra):
        if source == settings.profiles_dir and not source.exists():
            continue
        part = load_into(definitions, source)
        report.loaded.extend(part.loaded)
        report.skipped.extend(part.skipped)
    return definitions, report


def project_profiles(definitions: Definitions) -> list[dict[str, Any]]:
    """The StructureDefinitions this project publishes (profiles and extensions)."""
    found = []
    for url in definitions.urls("StructureDefinition"):
        if url.startswith(PROJECT_CANONICAL):
            sd = definitions.structure_definition(url)
            if sd is not None:
                found.append(sd)
    return sorted(found, key=lambda sd: str(sd.get("id")))


def validate(validator: Validator, resource: Any, profiles: Sequence[str] = ()) -> dict[str, Any]:
    """Validate one resource (or a Bundle, entry by entry); answer an OperationOutcome."""
    return outcome(validator.issues(resource, profiles))


def error_count(issues: Sequence[Issue]) -> int:
    return sum(1 for issue in issues if issue.is_error)
