"""The four CDS services with full prefetch: what the cards say, in which language, with which
rule ids and suggestions; and every answer is valid by the spec's response rules."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.cds.cards import RULES_EXTENSION
from mpox_adapter.cds.conformance import response_problems
from tests.unit.test_cds_support import (
    SigningKey,
    bearer,
    cds_client,
    cds_settings,
    hook_request,
    invariants,
    make_key,
    prefetch_of,
    vignette,
    vignette_resources,
    write_jwks,
)

pytestmark = pytest.mark.anyio

SNOMED = "http://snomed.info/sct"
CVX = "http://hl7.org/fhir/sid/cvx"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
ID_ROUTE, SC_ROUTE = "372464004", "34206005"


class Services:
    """An app per (jurisdiction, date), called with signed tokens."""

    def __init__(self, make_settings: Any, tmp_path: Path) -> None:
        self.key: SigningKey = make_key("RS384")
        self.jwks = write_jwks(tmp_path / "jwks.json", self.key)
        self.make_settings = make_settings

    async def call(
        self,
        service: str,
        body: dict[str, Any],
        today: date,
        jurisdiction: str = "NO",
        headers: dict[str, str] | None = None,
        **cds: Any,
    ) -> httpx.Response:
        settings = cds_settings(self.make_settings, self.jwks, jurisdiction=jurisdiction, **cds)
        path = f"/cds-services/{service}"
        async with cds_client(settings, today) as (client, _):
            return await client.post(
                path, json=body, headers={**bearer(self.key, path), **(headers or {})}
            )

    async def vignette(
        self, name: str, service: str = "mpox-vaccination", language: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        patient, others, day, jurisdiction = vignette_resources(name)
        hook = {"mpox-order-select": "order-select", "mpox-order-sign": "order-sign"}.get(
            service, "patient-view"
        )
        body = hook_request(hook, patient["id"], prefetch_of(patient, others), **kw)
        headers = {"Accept-Language": language} if language else None
        answer = await self.call(service, body, day, jurisdiction, headers)
        assert answer.status_code == 200, answer.text
        return valid(answer.json())


@pytest.fixture
def services(make_settings: Any, tmp_path: Path) -> Services:
    return Services(make_settings, tmp_path)


def valid(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The cards, once the response passed every rule and invariant of the spec."""
    problems = response_problems(response, invariants("cds-resp"))
    assert not problems, [str(p) for p in problems]
    for card in response["cards"]:
        assert card["extension"][RULES_EXTENSION], card["summary"]
        assert card["source"]["url"].startswith("https://")
        assert {"system", "code", "display"} <= set(card["source"]["topic"])
        assert all(r["display"] for r in card["overrideReasons"])
        assert card["links"]
    cards: list[dict[str, Any]] = response["cards"]
    return cards


def rules(card: dict[str, Any]) -> list[str]:
    found: list[str] = card["extension"][RULES_EXTENSION]
    return found


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for s in card.get("suggestions", ()) for a in s["actions"]]


# -- mpox-vaccination ----------------------------------------------------------------------


async def test_dose_due_now_with_the_order_as_a_suggestion(services: Services) -> None:
    card, *_ = await services.vignette("no-ppv-g2-syphilis")
    assert card["summary"] == "Mpox vaccine: dose 1 of 2 due now, 0.1 mL intradermal"
    assert card["indicator"] == "info"
    assert "NO-PPV-G2" in rules(card)
    assert "**Priority group:** 2" in card["detail"]
    [action] = actions(card)
    order = action["resource"]
    assert (action["type"], order["resourceType"], order["status"]) == (
        "create", "MedicationRequest", "draft")  # fmt: skip
    dosage = order["dosageInstruction"][0]
    assert dosage["route"]["coding"][0]["code"] == ID_ROUTE
    quantity = dosage["doseAndRate"][0]["doseQuantity"]
    assert quantity == {"value": 0.1, "unit": "mL", "system": UCUM, "code": "mL"}
    assert {"system": CVX, "code": "206"}.items() <= order["medicationCodeableConcept"]["coding"][
        0
    ].items()
    assert card["suggestions"][0]["isRecommended"] is True


async def test_the_second_dose_not_yet_due_shows_its_date_and_no_order(services: Services) -> None:
    card, *_ = await services.vignette("no-dose2-not-yet-due")
    assert card["summary"] == "Mpox vaccine: dose 2 of 2 from 2024-05-18, 0.1 mL intradermal"
    assert "suggestions" not in card
    assert "**Earliest date:** 2024-05-18" in card["detail"]
    assert "Dose 1 2024-04-20: counts" in card["detail"]
    assert "NO-DOSE-PPV-2" in rules(card)


async def test_post_exposure_window_is_counted_down(services: Services) -> None:
    card, *_ = await services.vignette("no-age-17-pep-subcutaneous")
    assert card["indicator"] == "warning"
    assert "PEP window ends" in card["summary"]
    assert "d left" in card["summary"]
    [action] = actions(card)
    dosage = action["resource"]["dosageInstruction"][0]
    assert dosage["route"]["coding"][0]["code"] == SC_ROUTE
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 0.5
    # A physician's assessment comes first: the order is offered, not recommended.
    assert "isRecommended" not in card["suggestions"][0]


@pytest.mark.parametrize(
    ("name", "summary", "rule"),
    [
        ("no-ci-allergy-chicken-protein", "Mpox vaccine contraindicated", "NO-CI-ALLERGY"),
        ("no-ci-prior-mpox-immune", "Mpox vaccination not needed", "NO-CI-PRIOR-MPOX"),
        ("no-dose2-day28-valid-complete", "Mpox vaccination series complete", "NO-DOSE-PPV-2"),
        ("no-ci-fever-38-1-deferred", "Postpone the mpox vaccine dose", "NO-CI-FEVER"),
    ],
)
async def test_why_not_now(services: Services, name: str, summary: str, rule: str) -> None:
    [card] = await services.vignette(name)
    assert card["summary"].startswith(summary)
    assert rule in rules(card)
    assert "suggestions" not in card


async def test_a_precaution_gets_a_card_of_its_own(services: Services) -> None:
    main, *others = await services.vignette("no-atopic-eczema-warning")
    assert main["summary"].startswith("Mpox vaccine: dose 1 of 2 due now")
    [precaution] = others
    assert precaution["summary"] == "Mpox vaccine: points to heed for this patient"
    assert precaution["indicator"] == "warning"
    assert "NO-PREC-ATOPIC" in rules(precaution)
    assert "Atopic eczema" in precaution["detail"]


async def test_no_card_for_a_patient_the_mpox_rules_have_nothing_to_say_about(
    services: Services,
) -> None:
    patient = {"resourceType": "Patient", "id": "p9", "birthDate": "1980-01-01", "gender": "female"}
    body = hook_request("patient-view", "p9", prefetch_of(patient, []))
    answer = await services.call("mpox-vaccination", body, date(2024, 5, 1))
    assert answer.json() == {"cards": []}


@pytest.mark.parametrize(
    ("accept", "configured", "expected"),
    [
        (
            "nb-NO,nb;q=0.9,en;q=0.5",
            None,
            "Mpoxvaksine: dose 1 av 2 kan gis nå, 0,1 ml intradermalt",
        ),
        ("no", None, "Mpoxvaksine: dose 1 av 2 kan gis nå, 0,1 ml intradermalt"),
        ("da, en;q=0.1", None, "Mpox vaccine: dose 1 of 2 due now, 0.1 mL intradermal"),
        (None, "nb", "Mpoxvaksine: dose 1 av 2 kan gis nå, 0,1 ml intradermalt"),
        ("en", "nb", "Mpox vaccine: dose 1 of 2 due now, 0.1 mL intradermal"),
        ("nb;q=0, en", "nb", "Mpox vaccine: dose 1 of 2 due now, 0.1 mL intradermal"),
    ],
)
async def test_language_by_accept_language_then_settings(
    services: Services, accept: str | None, configured: str | None, expected: str
) -> None:
    patient, others, day, _ = vignette_resources("no-ppv-g2-syphilis")
    body = hook_request("patient-view", patient["id"], prefetch_of(patient, others))
    headers = {"Accept-Language": accept} if accept else None
    answer = await services.call("mpox-vaccination", body, day, "NO", headers, language=configured)
    card, *_ = valid(answer.json())
    assert card["summary"] == expected
    if expected.startswith("Mpoxvaksine"):
        # The rules' own explanation comes in the same language.
        assert "**Begrunnelse**" in card["detail"]
        assert card["overrideReasons"][0]["display"] == "Pasienten takket nei"


async def test_danish_cards_in_danish(services: Services) -> None:
    card, *_ = await services.vignette("dk-prep-msm-partners", language="da")
    assert card["summary"] == "Mpox-vaccine: dosis 1 af 2 kan gives nu, 0,5 ml subkutant"
    assert "DK-PREP-MSM-PARTNERS" in rules(card)
    assert card["source"]["label"].startswith("Sundhedsstyrelsen")


async def test_the_jurisdiction_extension_overrides_the_deployment(services: Services) -> None:
    patient, others, day, _ = vignette_resources("dk-prep-msm-partners")
    body = hook_request(
        "patient-view", patient["id"], prefetch_of(patient, others),
        extension={"org.mpox-adapter.jurisdiction": "DK"},
    )  # fmt: skip
    answer = await services.call("mpox-vaccination", body, day, jurisdiction="NO")
    card, *_ = valid(answer.json())
    assert all(rule.startswith(("DK-", "PROJ-")) for rule in rules(card))
    body["extension"] = {"org.mpox-adapter.jurisdiction": "SE"}
    refused = await services.call("mpox-vaccination", body, day)
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == ["extension.org.mpox-adapter.jurisdiction"]


# -- mpox-order-select / mpox-order-sign ---------------------------------------------------


def vaccine_order(route: str | None, volume: float | None, **extra: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": CVX, "code": "206"}]},
        "subject": {"reference": "Patient/patient"},
    }
    if route is not None and volume is not None:
        order["dosageInstruction"] = [
            {
                "route": {"coding": [{"system": SNOMED, "code": route}]},
                "doseAndRate": [{"doseQuantity": {"value": volume, "unit": "mL",
                                                  "system": "http://unitsofmeasure.org",
                                                  "code": "mL"}}],
            }
        ]  # fmt: skip
    order.update(extra)
    return order


def drafts(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}  # fmt: skip


async def order_cards(
    services: Services, name: str, *orders: dict[str, Any], service: str = "mpox-order-sign"
) -> list[dict[str, Any]]:
    context: dict[str, Any] = {"draftOrders": drafts(*orders)}
    if service == "mpox-order-select":
        context["selections"] = [f"{o['resourceType']}/{o['id']}" for o in orders]
    return await services.vignette(name, service, context=context)


@pytest.mark.parametrize("service", ["mpox-order-select", "mpox-order-sign"])
async def test_an_order_that_fits_gets_no_card(services: Services, service: str) -> None:
    assert await order_cards(services, "no-ppv-g2-syphilis", vaccine_order(ID_ROUTE, 0.1),
                             service=service) == []  # fmt: skip
    # Norway: a full subcutaneous dose is a valid alternative before exposure.
    assert await order_cards(services, "no-ppv-g2-syphilis", vaccine_order(SC_ROUTE, 0.5)) == []


async def test_a_wrong_route_or_volume_is_corrected_by_a_suggestion(services: Services) -> None:
    [card] = await order_cards(services, "no-ppv-g2-syphilis", vaccine_order(ID_ROUTE, 0.5))
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Mpox vaccine order: 0.5 mL intradermal is wrong for this patient; give 0.1 mL intradermal"
    )
    [action] = actions(card)
    assert (action["type"], action["resource"]["id"]) == ("update", "draft-1")
    assert (
        action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 0.1
    )


async def test_under_18_must_have_the_subcutaneous_full_dose(services: Services) -> None:
    cards = await order_cards(services, "no-age-17-pep-subcutaneous", vaccine_order(ID_ROUTE, 0.1))
    wrong = next(c for c in cards if "wrong for this patient" in c["summary"])
    fixed = actions(wrong)[0]["resource"]["dosageInstruction"][0]
    assert fixed["route"]["coding"][0]["code"] == SC_ROUTE
    assert any("assessment" in c["summary"] for c in cards)


async def test_dose_2_before_day_28(services: Services) -> None:
    [card] = await order_cards(services, "no-dose2-not-yet-due", vaccine_order(ID_ROUTE, 0.1))
    assert card["summary"] == "Mpox vaccine dose 2 ordered too early: not before 2024-05-18"
    assert "NO-DOSE-PPV-2" in rules(card)


@pytest.mark.parametrize(
    ("name", "summary", "indicator"),
    [
        ("no-dose2-day28-valid-complete", "Mpox vaccine order: the series is complete", "warning"),
        ("dk-two-doses-complete", "Mpox vaccine order: the series is complete", "warning"),
        ("no-ci-allergy-chicken-protein", "Mpox vaccine order: contraindicated", "critical"),
        ("no-ci-prior-mpox-immune", "Mpox vaccine order: not needed, the patient has had mpox",
         "warning"),
    ],
)  # fmt: skip
async def test_orders_that_should_not_go_ahead_are_offered_removal(
    services: Services, name: str, summary: str, indicator: str
) -> None:
    [card] = await order_cards(services, name, vaccine_order(SC_ROUTE, 0.5))
    assert card["summary"].startswith(summary)
    assert card["indicator"] == indicator
    assert actions(card) == [
        {"type": "delete", "description": "Delete the draft mpox vaccine order",
         "resourceId": "MedicationRequest/draft-1"}
    ]  # fmt: skip


async def test_the_vaccine_may_be_a_contained_or_a_bundled_medication_or_a_service_request(
    services: Services,
) -> None:
    medication = {"resourceType": "Medication", "id": "imvanex",
                  "code": {"coding": [{"system": ATC, "code": "J07BX01"}]}}  # fmt: skip
    contained = vaccine_order(ID_ROUTE, 0.5, contained=[medication],
                              medicationReference={"reference": "#imvanex"})  # fmt: skip
    del contained["medicationCodeableConcept"]
    bundled = copy.deepcopy(contained)
    del bundled["contained"]
    bundled["medicationReference"] = {"reference": "Medication/imvanex"}
    service_request = {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft",
                       "intent": "order", "code": medication["code"],
                       "subject": {"reference": "Patient/patient"}}  # fmt: skip
    name = "no-dose2-day28-valid-complete"
    for orders in ([contained], [bundled, medication], [service_request]):
        [card] = await order_cards(services, name, *orders)
        assert card["summary"].startswith("Mpox vaccine order: the series is complete")
    [card] = await order_cards(services, "no-ppv-g2-syphilis", contained)
    assert "wrong for this patient" in card["summary"]


async def test_orders_that_are_not_mpox_vaccines_are_not_looked_at(services: Services) -> None:
    other = vaccine_order(SC_ROUTE, 0.5)
    other["medicationCodeableConcept"] = {"coding": [{"system": CVX, "code": "88"}]}
    # No prefetch and no fhirServer: still an answer, since no patient data is needed.
    body = hook_request("order-sign", "patient", context={"draftOrders": drafts(other)})
    answer = await services.call("mpox-order-sign", body, date(2024, 5, 1))
    assert answer.json() == {"cards": []}


async def test_order_select_looks_at_the_selected_orders(services: Services) -> None:
    wrong = vaccine_order(ID_ROUTE, 0.5)
    right = vaccine_order(ID_ROUTE, 0.1, id="draft-2")
    context = {"draftOrders": drafts(wrong, right), "selections": ["MedicationRequest/draft-2"]}
    assert await services.vignette("no-ppv-g2-syphilis", "mpox-order-select", context=context) == []
    context["selections"] = ["MedicationRequest/draft-1"]
    cards = await services.vignette("no-ppv-g2-syphilis", "mpox-order-select", context=context)
    assert len(cards) == 1


# -- mpox-case -----------------------------------------------------------------------------


async def test_a_suspected_danish_case_gets_a_pcr_order(services: Services) -> None:
    cards = await services.vignette("dk-case-suspected-d-msm", "mpox-case")
    suspected = cards[0]
    assert suspected["summary"] == "Suspected mpox case: take an mpox PCR sample"
    assert "DK-CASE-SUSPECTED" in rules(suspected)
    [action] = actions(suspected)
    assert action["resource"]["resourceType"] == "ServiceRequest"
    coding = action["resource"]["code"]["coding"][0]
    assert (coding["system"], coding["code"]) == ("http://loinc.org", "100383-9")
    assert coding["display"].startswith("Monkeypox virus DNA [Presence]")
    # Denmark notifies confirmed cases only: no notification task for a suspected one.
    assert not any(a["resource"]["resourceType"] == "Task" for c in cards for a in actions(c))


async def test_a_confirmed_danish_case_lists_the_duties_with_deadlines(services: Services) -> None:
    confirmed, duties = await services.vignette("dk-case-confirmed-duties", "mpox-case", "da")
    assert confirmed["summary"] == "Påvist tilfælde af mpox"
    assert duties["indicator"] == "critical"
    assert {"DK-NOTIFY-PHONE", "DK-NOTIFY-SEI2"} <= set(rules(duties))
    assert "inden for 24 timer" in duties["detail"]
    tasks = [a["resource"] for a in actions(duties)]
    assert [t["resourceType"] for t in tasks] == ["Task", "Task"]
    assert all(t["restriction"]["period"]["end"] for t in tasks)
    assert duties["selectionBehavior"] == "any"


async def test_a_suspected_norwegian_case_is_alerted_at_once(services: Services) -> None:
    cards = await services.vignette("no-case-suspected-alert", "mpox-case", "nb")
    assert cards[0]["summary"] == "Mistenkt mpox: ta prøve til mpox-PCR"
    duties = cards[1]
    assert rules(duties) == ["NO-ALERT"]
    assert duties["summary"] == "Mpox-tilfelle: 1 plikt, umiddelbart"
    [task] = [a["resource"] for a in actions(duties)]
    assert "kommunelegen" in task["description"]


async def test_an_exposed_contact_sees_the_pep_window_and_the_end_of_monitoring(
    services: Services,
) -> None:
    [card] = await services.vignette("dk-pep-household-day2", "mpox-case")
    # Day 2 after the exposure; PEP up to day 14 in special cases; monitoring for 21 days.
    assert vignette("dk-pep-household-day2")["expected"]["latest"] == date(2025, 3, 22)
    assert card["summary"] == (
        "Mpox exposure 2025-03-08: PEP window 12 d left (until 2025-03-22); "
        "monitor until 2025-03-29"
    )
    assert card["indicator"] == "warning"
    assert "DK-CONTACT-HOUSEHOLD" in rules(card)


async def test_the_case_service_is_silent_without_case_or_exposure(services: Services) -> None:
    assert await services.vignette("no-ppv-g2-syphilis", "mpox-case") == []
