"""The CapabilityStatement: what this server offers, built from what is actually loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import mpox_adapter

CANONICAL_BASE = "http://mpox-adapter.org/fhir"


@dataclass
class Capabilities:
    """Filled in as the parts of the adapter register themselves with the app."""

    operations: dict[str, str] = field(default_factory=dict)
    """Operation name (without ``$``) -> canonical URL of its OperationDefinition."""
    system_interactions: set[str] = field(default_factory=set)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Resource type -> its ``rest.resource`` entry (profiles, interactions, operations)."""

    def add_profile(self, resource_type: str, profile_url: str) -> None:
        entry = self.resources.setdefault(resource_type, {"type": resource_type})
        profiles: list[str] = entry.setdefault("supportedProfile", [])
        if profile_url not in profiles:
            profiles.append(profile_url)

    def add_resource_interaction(self, resource_type: str, interaction: str) -> None:
        entry = self.resources.setdefault(resource_type, {"type": resource_type})
        interactions: list[dict[str, str]] = entry.setdefault("interaction", [])
        if {"code": interaction} not in interactions:
            interactions.append({"code": interaction})


def capability_statement(capabilities: Capabilities, started: datetime) -> dict[str, Any]:
    rest: dict[str, Any] = {"mode": "server"}
    if capabilities.resources:
        rest["resource"] = [capabilities.resources[t] for t in sorted(capabilities.resources)]
    if capabilities.system_interactions:
        rest["interaction"] = [{"code": c} for c in sorted(capabilities.system_interactions)]
    if capabilities.operations:
        rest["operation"] = [
            {"name": name, "definition": url}
            for name, url in sorted(capabilities.operations.items())
        ]
    return {
        "resourceType": "CapabilityStatement",
        "url": f"{CANONICAL_BASE}/CapabilityStatement/mpox-adapter",
        "version": mpox_adapter.__version__,
        "name": "MpoxAdapter",
        "title": "mpox FHIR adapter",
        "status": "active",
        "experimental": False,
        "date": started.astimezone(UTC).isoformat(timespec="seconds"),
        "publisher": "mpox-adapter contributors",
        "description": "Maps local mpox records to FHIR R4, validates them against the mpox "
        "profiles and serves the Norwegian and Danish vaccination rules.",
        "kind": "instance",
        "software": {"name": "mpox-adapter", "version": mpox_adapter.__version__},
        "implementation": {"description": "mpox FHIR adapter"},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [rest],
    }
