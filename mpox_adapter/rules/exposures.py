"""Read an mpox exposure Observation (docs/data-dictionary.md, "Exposure")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from mpox_adapter.rules import codes as vocab
from mpox_adapter.rules.facts import Exposure
from mpox_adapter.rules.fhirdata import (
    Resource,
    code_in,
    codes,
    effective_span,
    reference_target,
    status_code,
)

SUSPECTED = frozenset({"provisional", "unconfirmed", "differential"})


def read_exposure(
    obs: Resource, ref: str | None, conditions: Mapping[str, Resource], today: date
) -> Exposure | None:
    """The exposure, or None when it has no date or its index case was ruled out.

    `conditions` are the Conditions of the input by reference, where the index case's
    Condition (the Observation's `focus`) may be found.
    """
    first, last = effective_span(obs)
    if first is None or last is None:
        return None
    contact = risk = None
    for component in obs.get("component") or ():
        if not isinstance(component, dict):
            continue
        pairs = set(codes(component.get("code")))
        value = component.get("valueCodeableConcept")
        if vocab.CONTACT_TYPE_COMPONENT in pairs:
            contact = code_in(value, vocab.CONTACT_TYPE_SYSTEM)
        elif vocab.EXPOSURE_RISK_COMPONENT in pairs:
            risk = code_in(value, vocab.EXPOSURE_RISK_SYSTEM)
    index = "unknown"
    for focus in obs.get("focus") or ():
        target = reference_target(focus)
        found = conditions.get(target) if target else None
        if found is not None:
            status = status_code(found.get("verificationStatus"), "condition-ver-status")
            if status in ("refuted", "entered-in-error"):
                return None  # the index case turned out not to have mpox
            index = "suspected" if status in SUSPECTED else "confirmed"
    # Table 1 grades the contact types; a recorded grade wins over the derived one.
    derived = vocab.CONTACT_RISK.get(contact) if contact else None
    return Exposure(first, min(last, today), contact, risk or derived, risk is not None, index, ref)
