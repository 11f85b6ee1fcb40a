"""`mpox-order-select` and `mpox-order-sign`: check draft mpox vaccine orders against what the
guideline says this patient should get next.

A draft order is an mpox vaccine when its medication (a code, a contained Medication or a
Medication elsewhere in the draft Bundle) or, for a ServiceRequest, its code is one of the
mpox vaccine codes. Each problem found gets a warning card: a contraindication or previous
mpox, a dose beyond the series (a third dose), a dose before its earliest date (dose 2 before
day 28), a route or volume wrong for the patient, or another reason the rules give not to
vaccinate now. An order that fits gets no card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mpox_adapter.cds import texts
from mpox_adapter.cds.cards import Action, Card, Indicator, Suggestion
from mpox_adapter.cds.forecast import Assessment, Forecast
from mpox_adapter.cds.order_texts import order_text
from mpox_adapter.cds.requests import HookRequest
from mpox_adapter.cds.services import ORDER_SELECT
from mpox_adapter.cds.situation import Situation
from mpox_adapter.cds.suggestions import corrected
from mpox_adapter.cds.vaccination import detail, how_given
from mpox_adapter.rules.codes import MPOX_VACCINES, ROUTES
from mpox_adapter.rules.fhirdata import codes

_VOLUME_TOLERANCE = 0.001
_STOP: dict[str, tuple[str, Indicator]] = {
    # status -> (text key, indicator): the order should not go ahead
    "contraindicated": ("contraindicated", "critical"),
    "immune": ("previous-mpox", "warning"),
    "complete": ("third-dose", "warning"),
    "not-recommended": ("not-recommended", "warning"),
    "deferred": ("deferred", "warning"),
}


@dataclass(frozen=True, slots=True)
class DraftOrder:
    resource: Mapping[str, Any]
    reference: str
    route: str | None
    volume: float | None


def has_draft_vaccine(request: HookRequest) -> bool:
    return bool(vaccine_orders(request))


def vaccine_orders(request: HookRequest) -> list[DraftOrder]:
    bundle = request.draft_orders
    resources = [e["resource"] for e in bundle.get("entry", ()) if isinstance(e, Mapping)]
    medications = {
        key: r
        for entry in bundle.get("entry", ())
        if isinstance(entry, Mapping)
        and (r := entry["resource"]).get("resourceType") == "Medication"
        for key in (entry.get("fullUrl"), f"Medication/{r.get('id')}")
        if key
    }
    orders = [
        DraftOrder(r, f"{r.get('resourceType')}/{r.get('id')}", *_route_and_volume(r))
        for r in resources
        if _is_vaccine_order(r, medications)
    ]
    if request.hook == ORDER_SELECT:
        # order-select is about the orders just selected, when they are among the drafts.
        chosen = [o for o in orders if o.reference in request.selections]
        return chosen or orders
    return orders


def cards(situation: Situation, assessment: Assessment) -> list[Card]:
    return [
        card
        for order in vaccine_orders(situation.request)
        for card in _check(order, situation, assessment)
    ]


def _check(order: DraftOrder, situation: Situation, assessment: Assessment) -> list[Card]:
    forecast, language = assessment.forecast, situation.language
    remove = Suggestion(
        order_text("remove", language),
        (Action("delete", order_text("remove-action", language), resource_id=order.reference),),
    )
    if forecast.status in _STOP:
        key, indicator = _STOP[forecast.status]
        return [_card(key, indicator, assessment, situation, [remove])]
    found: list[Card] = []
    if forecast.earliest is not None and forecast.earliest > situation.today:
        values = {"dose": forecast.dose_number or "?", "earliest": texts.day(forecast.earliest)}
        found.append(_card("too-early", "warning", assessment, situation, [], **values))
    if forecast.status == "assessment-required":
        found.append(_card("assessment", "info", assessment, situation, []))
    wrong = _wrong_administration(order, forecast, situation.jurisdiction)
    if wrong and forecast.route is not None and forecast.volume is not None:
        how = how_given(forecast, language)
        ordered = texts.text(
            "route-volume",
            language,
            volume=texts.volume(order.volume or 0, language),
            route=texts.term(order.route, language),
        )
        fixes: list[Suggestion] = []
        if order.resource.get("resourceType") == "MedicationRequest":
            fixed = corrected(order.resource, forecast.route, forecast.volume, how)
            action = Action("update", order_text("fix-action", language, how=how), fixed)
            fixes.append(Suggestion(order_text("fix", language, how=how), (action,), True))
        found.append(
            _card("wrong-route", "warning", assessment, situation, fixes, ordered=ordered, how=how)
        )
    return found


def _card(
    key: str,
    indicator: Indicator,
    assessment: Assessment,
    situation: Situation,
    suggestions: list[Suggestion],
    **values: object,
) -> Card:
    language = situation.language
    return Card(
        summary=order_text(key, language, **values),
        indicator=indicator,
        source=texts.source(situation.jurisdiction, "order"),
        detail=detail(assessment, situation),
        rules=assessment.forecast.rules,
        suggestions=suggestions,
        override_reasons=texts.override_reasons(
            language, "clinical-judgement", "record-incomplete", "patient-declined"
        ),
        links=texts.links(situation.jurisdiction),
    )


def _wrong_administration(order: DraftOrder, forecast: Forecast, jurisdiction: str) -> bool:
    if order.route is None or order.volume is None or forecast.route is None:
        return False  # nothing stated, or nothing recommended: not "wrong"
    allowed = {(forecast.route, forecast.volume)}
    if jurisdiction == "NO" and forecast.pathway == "pre-exposure":
        # NO-DOSE-PPV-ROUTE: a full 0.5 mL subcutaneous dose is a valid alternative.
        allowed.add(("subcutaneous", 0.5))
    return not any(
        order.route == route
        and volume is not None
        and abs(order.volume - volume) < _VOLUME_TOLERANCE
        for route, volume in allowed
    )


def _is_vaccine_order(resource: Mapping[str, Any], medications: Mapping[str, Any]) -> bool:
    kind = resource.get("resourceType")
    if kind == "ServiceRequest":
        return _is_vaccine(resource.get("code"))
    if kind != "MedicationRequest":
        return False
    if _is_vaccine(resource.get("medicationCodeableConcept")):
        return True
    reference = (resource.get("medicationReference") or {}).get("reference")
    if not isinstance(reference, str):
        return False
    if reference.startswith("#"):
        contained = resource.get("contained") or ()
        medication = next((c for c in contained if c.get("id") == reference[1:]), None)
    else:
        medication = medications.get(reference)
    return medication is not None and _is_vaccine(medication.get("code"))


def _is_vaccine(concept: Any) -> bool:
    return any(code in MPOX_VACCINES for code in codes(concept))


def _route_and_volume(resource: Mapping[str, Any]) -> tuple[str | None, float | None]:
    instructions = resource.get("dosageInstruction") or [{}]
    first = instructions[0] if isinstance(instructions[0], Mapping) else {}
    route = next((ROUTES[c] for c in codes(first.get("route")) if c in ROUTES), None)
    quantities: Iterable[Any] = [
        *(d.get("doseQuantity") for d in first.get("doseAndRate") or () if isinstance(d, Mapping)),
        first.get("doseQuantity"),  # the STU3 shape some EHRs still send
        resource.get("quantityQuantity"),  # a ServiceRequest's amount
    ]
    for quantity in quantities:
        if isinstance(quantity, Mapping) and _is_millilitres(quantity):
            value = quantity.get("value")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return route, float(value)
    return route, None


def _is_millilitres(quantity: Mapping[str, Any]) -> bool:
    return str(quantity.get("code") or quantity.get("unit") or "").lower() == "ml"
