"""Load conformance resources from JSON files, folders and FHIR package ``.tgz`` files.

This is what ``--ig`` reads (like the HL7 validator's ``-ig``) and how the project's own
profiles are loaded: a source is a file or folder on disk, or one inside the installed package
(an `importlib.resources` Traversable, which need not be on disk). Loose ``.xml`` files are
converted to JSON with the core definitions; one that cannot be converted is skipped with the
reason.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import Any

import orjson

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.fhir.definitions import CONFORMANCE_TYPES, Definitions
from mpox_adapter.fhir.xml import xml_to_json

MAX_PACKAGE_MEMBER_BYTES = 50 * 1024 * 1024


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    """Canonical URLs of the resources added."""
    skipped: list[str] = field(default_factory=list)
    """Files not read, each with the reason."""


def load_into(definitions: Definitions, source: Traversable) -> LoadReport:
    """Add every conformance resource found at `source` to `definitions`."""
    report = LoadReport()
    if not (source.is_dir() or source.is_file()):
        raise ConfigurationError(f"{source}: no such file or folder")
    for name, resource in _resources(source, report, definitions):
        if resource.get("resourceType") == "ImplementationGuide":
            definitions.add(resource)
            report.loaded.append(str(resource.get("url", name)))
        elif resource.get("resourceType") in CONFORMANCE_TYPES and isinstance(
            resource.get("url"), str
        ):
            definitions.add(resource)
            report.loaded.append(resource["url"])
        elif resource.get("resourceType") == "Bundle":
            for entry in resource.get("entry", []):
                item = entry.get("resource") if isinstance(entry, dict) else None
                if (
                    isinstance(item, dict)
                    and item.get("resourceType") in CONFORMANCE_TYPES
                    and isinstance(item.get("url"), str)
                ):
                    definitions.add(item)
                    report.loaded.append(item["url"])
        else:
            report.skipped.append(f"{name}: not a conformance resource")
    return report


def _resources(
    source: Traversable, report: LoadReport, definitions: Definitions
) -> Iterator[tuple[str, dict[str, Any]]]:
    if source.is_dir():
        # Only the folder's own files, as the HL7 validator's -ig does: build trees
        # (fsh-generated/, node_modules/) below it hold copies and tooling, not the guide.
        for path in sorted(source.iterdir(), key=lambda entry: entry.name):
            if path.is_file():
                yield from _file(path, report, definitions)
    else:
        yield from _file(source, report, definitions)


def _file(
    path: Traversable, report: LoadReport, definitions: Definitions
) -> Iterator[tuple[str, dict[str, Any]]]:
    name = path.name
    if name.endswith((".tgz", ".tar.gz")):
        yield from _package(path, report)
    elif name.endswith(".json") and not name.startswith("."):
        parsed = _parse(path.read_bytes(), str(path), report)
        if parsed is not None:
            yield str(path), parsed
    elif name.endswith(".xml") and not name.startswith("."):
        try:
            converted = xml_to_json(path.read_bytes(), definitions)
        except InputError as exc:
            report.skipped.append(f"{path}: {exc}")
        else:
            yield str(path), converted


def _package(path: Traversable, report: LoadReport) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as archive:
            for member in archive:
                if (
                    not member.isfile()
                    or not member.name.endswith(".json")
                    or member.size > MAX_PACKAGE_MEMBER_BYTES
                ):
                    continue
                base = member.name.rsplit("/", 1)[-1]
                if base.startswith(".") or base == "package.json" or "/example" in member.name:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                parsed = _parse(handle.read(), f"{path}:{member.name}", report)
                if parsed is not None:
                    yield f"{path}:{member.name}", parsed
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ConfigurationError(f"{path}: not a readable FHIR package ({exc})") from exc


def _parse(data: bytes, where: str, report: LoadReport) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        report.skipped.append(f"{where}: not valid JSON ({exc})")
        return None
    if not isinstance(parsed, dict):
        report.skipped.append(f"{where}: not a FHIR resource")
        return None
    return parsed
