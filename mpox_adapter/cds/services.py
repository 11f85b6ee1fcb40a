"""The four CDS services and what discovery (`GET /cds-services`) says about them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PATIENT_VIEW = "patient-view"
ORDER_SELECT = "order-select"
ORDER_SIGN = "order-sign"

# Prefetch key -> (template, FHIR type of what it yields). The keys are the names the
# services read; `patient` and `conditions` are also what Epic's examples use.
PREFETCH: Mapping[str, tuple[str, str]] = {
    "patient": ("Patient/{{context.patientId}}", "Patient"),
    "conditions": ("Condition?patient={{context.patientId}}", "Condition"),
    "observations": ("Observation?patient={{context.patientId}}", "Observation"),
    "immunizations": ("Immunization?patient={{context.patientId}}", "Immunization"),
    "allergies": ("AllergyIntolerance?patient={{context.patientId}}", "AllergyIntolerance"),
    "medications": ("MedicationStatement?patient={{context.patientId}}", "MedicationStatement"),
}


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    prefetch: tuple[str, ...] = field(default=tuple(PREFETCH))
    """Prefetch keys the service declares; every one is needed to answer (412 without)."""

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": {key: PREFETCH[key][0] for key in self.prefetch},
            "usageRequirements": (
                "Needs every prefetch key, or a fhirServer the service is configured to "
                "query. Set the extension org.mpox-adapter.jurisdiction to NO or DK to "
                "override the deployment's jurisdiction."
            ),
        }


_ORDER_CHECKS = (
    "Checks a draft mpox vaccine order (MedicationRequest or ServiceRequest): dose number, "
    "interval since the last dose, route and volume for this patient, contraindications "
    "and previous mpox."
)

SERVICES: Mapping[str, Service] = {
    service.id: service
    for service in (
        Service(
            id="mpox-vaccination",
            hook=PATIENT_VIEW,
            title="Mpox vaccination",
            description=(
                "Pre-exposure eligibility and priority group, post-exposure window, next dose "
                "due with route and volume, and contraindications, by the Norwegian or Danish "
                "guidelines."
            ),
        ),
        Service(
            id="mpox-order-select",
            hook=ORDER_SELECT,
            title="Mpox vaccine order check",
            description=_ORDER_CHECKS,
        ),
        Service(
            id="mpox-order-sign",
            hook=ORDER_SIGN,
            title="Mpox vaccine order check at signing",
            description=_ORDER_CHECKS,
        ),
        Service(
            id="mpox-case",
            hook=PATIENT_VIEW,
            title="Mpox case management",
            description=(
                "Classifies a suspected or confirmed mpox case, states the reporting duties "
                "and their deadlines, and for an exposed contact the post-exposure vaccination "
                "window and the end of the 21-day monitoring."
            ),
        ),
    )
}


def discovery() -> dict[str, Any]:
    return {"services": [service.discovery() for service in SERVICES.values()]}
