"""Validation issues and how they become an OperationOutcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]

_RANK = {"fatal": 0, "error": 1, "warning": 2, "information": 3}


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Severity
    code: str
    """FHIR IssueType: required, structure, value, code-invalid, invariant, not-found, ..."""
    expression: str
    diagnostics: str
    invariant: str | None = None
    """For a failed invariant, its FHIRPath (lets a caller tell which elements were involved)."""

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")

    def to_fhir(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
            "expression": [self.expression],
        }


def too_few(name: str, minimum: int, found: int, source: str) -> str:
    return f"{name}: minimum required = {minimum}, but only found {found} (from {source})"


def too_many(name: str, maximum: int, found: int, source: str) -> str:
    return f"{name}: maximum allowed = {maximum}, but found {found} (from {source})"


def outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An OperationOutcome with duplicates removed and the most severe problems first.

    Within one severity the order is the order of the resource's JSON, so the same input
    always gives the same outcome.
    """
    unique = list(dict.fromkeys(issues))
    unique.sort(key=lambda item: _RANK[item.severity])
    if not unique:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": "No issues detected",
                }
            ],
        }
    return {"resourceType": "OperationOutcome", "issue": [item.to_fhir() for item in unique]}
