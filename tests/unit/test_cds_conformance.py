"""The CDS Hooks service against third-party conformance material (tests/data/conformance/
cds-hooks, see its README.md for where each file comes from).

* Every request example (spec 2.0.1 and 3.0 ballot, hooks library, Da Vinci CRD, Inferno,
  Epic, HAPI, the HL7 validator's vectors) is accepted or rejected as the spec says.
* The response checker (`mpox_adapter.cds.conformance`: the logical model's structure plus the
  FHIRPath invariants of invariants-from-fsh.json) agrees with the known verdicts on the
  third-party response examples, and every response the service produces passes it.
* Feedback examples, the spec's and Epic's, are accepted and stored.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from mpox_adapter.cds.conformance import (
    INVARIANT_CONTEXTS,
    discovery_problems,
    invariant_problems,
    response_problems,
)
from mpox_adapter.cds.requests import REQUIRED_CONTEXT, parse_request
from mpox_adapter.cds.services import SERVICES, discovery
from mpox_adapter.errors import InputError
from tests.unit.test_cds_support import (
    VIGNETTES,
    bearer,
    cds_client,
    cds_settings,
    conformance_dir,
    hook_request,
    invariants,
    load_json,
    make_key,
    prefetch_of,
    vignette_resources,
    write_jwks,
)

pytestmark = pytest.mark.anyio

SERVICE_FOR_HOOK = {
    "patient-view": "mpox-vaccination",
    "order-select": "mpox-order-select",
    "order-sign": "mpox-order-sign",
}
# FHIR servers of the examples that may be allowlisted (https); the rest are plain http.
HTTPS_SERVERS = (
    "https://example/r4",
    "https://example.com/interconnect-instance-oauth/api/FHIR/R4",
    "https://ehr.example.org/fhir",
)

# Request examples and what the spec says of them: (hook, accepted?, why).
REQUESTS: dict[str, tuple[str, bool, str]] = {
    "spec-2.0.1/02-request-patient-view.json": ("patient-view", True, "spec example"),
    "spec-2.0.1/26-request-with-extension.json": (
        "patient-view", False, "context lacks patientId (an extension example, trimmed)"),
    "spec-3.0.0-ballot/02-example.json": ("patient-view", True, "spec example"),
    "spec-3.0.0-ballot/04-example-of-pagination-in-prefetch.json": (
        "order-sign", True, "prefetch with a next page"),
    "spec-3.0.0-ballot/29-extensions.json": ("patient-view", False, "context lacks patientId"),
    "fhir-tools-ig-logical-models/binary-CDSHooksRequestPV.json": ("patient-view", True, "HL7"),
    "fhir-test-cases-validator/cdshooks-request-patient-view-good.json": (
        "patient-view", True, "validator's good vector"),
    "fhir-test-cases-validator/cdshooks-request-patient-view-bad.RECONSTRUCTED.json": (
        "patient-view", False, "pre-1.0 {response, resource} prefetch wrapper"),
    "hapi/CdsServiceRequestJson.NOT-SPEC-VALID.json": (
        "Hook Name", False, "no hookInstance, hook 'Hook Name'"),
    "epic-doc/request-patient-view-epic-shape.TRIMMED.json": (
        "patient-view", True, "Epic extensions, OperationOutcome in a prefetch Bundle"),
    "davinci-crd/CRDServiceRequest.json": ("order-sign", True, "CRD order-sign"),
    "davinci-crd/CRDServiceRequest2.json": ("order-dispatch", False, "hook not served"),
    "davinci-crd/CRDServiceRequest3.json": ("order-sign", True, "CRD order-sign"),
    "davinci-crd/CRDServiceRequest4.json": ("appointment-book", False, "hook not served"),
    "inferno-crd-test-kit/appointment_book_hook_request.json": (
        "appointment-book", False, "hook not served"),
    "inferno-crd-test-kit/encounter_discharge_hook_request.json": (
        "encounter-discharge", False, "hook not served"),
    "inferno-crd-test-kit/encounter_start_hook_request.json": (
        "encounter-start", False, "hook not served"),
    "inferno-crd-test-kit/fancy_structure_hook_request.json": (
        "fancy-structure", False, "not a CDS hook"),
    "inferno-crd-test-kit/order_dispatch_hook_request.json": (
        "order-dispatch", False, "hook not served"),
    "inferno-crd-test-kit/order_select_hook_request.json": ("order-select", True, "Inferno"),
    "inferno-crd-test-kit/order_sign_hook_request.json": ("order-sign", True, "Inferno"),
    # Context fragments, sent as a whole request for the hook the file is about.
    "inferno-crd-test-kit/order_select_context.json": ("order-select", True, "context"),
    "hooks-library/patient-view-01-examples.context.json": ("patient-view", True, "context"),
    "hooks-library/patient-view-02-examples.context.json": ("patient-view", True, "context"),
    "hooks-library/order-select-01-example-r4.json": ("order-select", True, "context"),
    "hooks-library/order-select-02-example-stu3.json": ("order-select", True, "context"),
    "hooks-library/order-select-03-example-dstu2.json": ("order-select", True, "context"),
    "hooks-library/order-sign-01-example-r4.json": ("order-sign", True, "context"),
    "hooks-library/order-sign-02-example-stu3.json": ("order-sign", True, "context"),
    "hooks-library/order-sign-03-example-dstu2.context.json": ("order-sign", True, "context"),
    "hooks-library/appointment-book-01-examples-stu3.context.json": (
        "appointment-book", False, "hook not served"),
    "hooks-library/appointment-book-02-examples-stu3.context.json": (
        "appointment-book", False, "hook not served"),
    "hooks-library/encounter-discharge-01-examples.context.json": (
        "encounter-discharge", False, "hook not served"),
    "hooks-library/encounter-start-01-examples.context.json": (
        "encounter-start", False, "hook not served"),
    "hooks-library/medication-prescribe-01-example-stu3.json": (
        "medication-prescribe", False, "retired hook, not served"),
    "hooks-library/medication-prescribe-02-example-dstu2.json": (
        "medication-prescribe", False, "retired hook, not served"),
    "hooks-library/order-dispatch-01-example-r4.context.json": (
        "order-dispatch", False, "hook not served"),
}  # fmt: skip

# Third-party responses: the problems the checker must find (empty: valid).
RESPONSES: dict[str, set[str]] = {
    "spec-2.0.1/10-response-empty-cards.json": set(),
    "spec-2.0.1/16-response-systemActions.json": {"$.systemActions[0].description"},
    "spec-2.0.1/17-response-cards-links-overrideReasons.json": set(),
    "spec-2.0.1/18-response-autolaunchable.json": {"$.cards[0].indicator"},
    "spec-3.0.0-ballot/13-http-response.json": set(),
    "spec-3.0.0-ballot/19-system-action.json": {"$.systemActions[0].description"},
    "spec-3.0.0-ballot/20-example.json": set(),
    "spec-3.0.0-ballot/21-example.json": {"$.cards[0].indicator"},
    "fhir-test-cases-validator/cdshooks-response-empty.json": set(),
    "fhir-test-cases-validator/cdshooks-response-link.json": set(),
    "fhir-test-cases-validator/cdshooks-response-two-cards.json": set(),
    "fhir-test-cases-validator/cdshooks-response-empty-source.json": {
        "$.cards[0].source.label", "$.cards[0].links[0].type"},
    "fhir-test-cases-validator/cdshooks-response-source-link.json": {
        "$.cards[0].summary", "$.cards[0].links[0].type"},
    "fhir-test-cases-validator/cdshooks-response-suggestion.json": {
        "$.cards[0].summary", "$.cards[0] cds-resp-6"},
    "fhir-tools-ig-logical-models/binary-CDSHooksResponse.json": set(),
    "davinci-crd/CRDServiceResponse.json": {"$.systemActions[0].description"},
    "davinci-crd/CRDServiceResponse2.json": set(),
    "davinci-crd/CRDServiceResponse3.json": {"$.systemActions[0].description"},
    "inferno-crd-test-kit/crd_authorization_hook_response.json": set(),
}  # fmt: skip
# Inferno's single cards (wrapped in a response) and its "valid_cards".
CARDS: dict[str, set[str]] = {
    "inferno-crd-test-kit/card_responses__companions_prerequisites.json": set(),
    "inferno-crd-test-kit/card_responses__create_update_coverage_information.json": set(),
    "inferno-crd-test-kit/card_responses__external_reference.json": set(),
    "inferno-crd-test-kit/card_responses__instructions.json": set(),
    "inferno-crd-test-kit/card_responses__launch_smart_app.json": {"$.cards[0].links[0].url"},
    "inferno-crd-test-kit/card_responses__propose_alternate_request.json": set(),
    "inferno-crd-test-kit/card_responses__request_form_completion.json": set(),
}
FEEDBACK = (
    "spec-2.0.1/19-example-suggestion-accepted.json",
    "spec-2.0.1/20-example-overridden-guidance-without-overridereason.json",
    "spec-2.0.1/21-example-overridden-guidance-with-overridereason.json",
    "spec-3.0.0-ballot/22-example-suggestion-accepted.json",
    "spec-3.0.0-ballot/23-example-overridden-guidance-without-overridereason.json",
    "spec-3.0.0-ballot/24-example-overridden-guidance-with-overridereason.json",
    "epic-doc/feedback-accepted.json",
    "epic-doc/feedback-overridden-with-extension.EPIC-SHAPE.json",
    "epic-doc/feedback-overridden-with-reason.EPIC-SHAPE.json",
)


def request_body(relative: str) -> dict[str, Any]:
    """The example as a request: a context fragment becomes a whole request for its hook."""
    data: dict[str, Any] = load_json(relative)
    if "hook" in data or "hookInstance" in data:
        return data
    hook = REQUESTS[relative][0]
    context = data.get("context", data)
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}


def target(relative: str) -> str:
    """The service the example is sent to: the one for its hook, else a patient-view one."""
    return SERVICE_FOR_HOOK.get(REQUESTS[relative][0], "mpox-vaccination")


def _problems(found: list[Any], severities: tuple[str, ...] = ("error",)) -> set[str]:
    """Where each problem is; an invariant's id is added to its place."""
    return {
        f"{p.where} {p.message}" if p.message.startswith("cds-") else p.where
        for p in found
        if p.severity in severities
    }


# -- the example inventory -----------------------------------------------------------------


def test_every_request_example_in_the_folder_has_a_verdict() -> None:
    folder = conformance_dir()
    found = set()
    for path in folder.glob("*/*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        context = data.get("context") if isinstance(data, dict) else None
        is_fragment = isinstance(context, dict) and set(data) == {"context"}
        if isinstance(data, dict) and ("hook" in data or "hookInstance" in data or (
            is_fragment and path.parent.name == "hooks-library"
        )):  # fmt: skip
            found.add(path.relative_to(folder).as_posix())
    found.add("inferno-crd-test-kit/order_select_context.json")
    assert found == set(REQUESTS)


def test_every_invariant_of_the_hl7_file_is_checked() -> None:
    for invariant in invariants():
        assert invariant.context in INVARIANT_CONTEXTS, invariant.id


def test_our_required_context_is_at_least_the_logical_models() -> None:
    folder = conformance_dir() / "fhir-tools-ig-logical-models"
    names = {
        "patient-view": "PatientView",
        "order-select": "OrderSelect",
        "order-sign": "OrderSign",
    }
    for hook, name in names.items():
        definition = json.loads(
            (folder / f"structuredefinition-CDSHook{name}Context.json").read_text()
        )
        required = {
            element["path"].split(".", 1)[1]
            for element in definition["differential"]["element"]
            if "." in element["path"] and element.get("min", 0) >= 1
        }
        assert required <= set(REQUIRED_CONTEXT[hook]), hook
    # The hook's own page (CDS Hooks library, order-select 1.0) makes selections REQUIRED;
    # the logical model has 0..*. We follow the hook.
    assert "selections" in REQUIRED_CONTEXT["order-select"]


# -- requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", sorted(REQUESTS))
def test_request_examples_are_accepted_or_rejected_as_the_spec_says(relative: str) -> None:
    hook, accepted, why = REQUESTS[relative]
    service = SERVICES[target(relative)]
    body = request_body(relative)
    if accepted:
        parsed = parse_request(body, service)
        assert parsed.hook == hook, why
        # cds-r-1 and cds-r-2 hold for every accepted example.
        assert not [
            p for p in invariant_problems(body, invariants("cds-r-")) if p.severity == "error"
        ]
    else:
        with pytest.raises(InputError) as refused:
            parse_request(body, service)
        assert refused.value.location, why


@pytest.mark.parametrize("relative", sorted(r for r, v in REQUESTS.items() if v[1]))
async def test_accepted_examples_get_a_valid_answer_over_http(
    relative: str, make_settings: Any, tmp_path: Path
) -> None:
    key = make_key("ES384")
    settings = cds_settings(
        make_settings, write_jwks(tmp_path / "jwks.json", key), allowed_fhir_servers=HTTPS_SERVERS
    )
    body = request_body(relative)
    service = target(relative)
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        for server in HTTPS_SERVERS:
            mock.get(url__regex=re.escape(server) + r"/Patient/[^/?]+$").mock(side_effect=_patient)
            mock.get(url__startswith=server + "/").respond(
                200, json={"resourceType": "Bundle", "type": "searchset", "entry": []}
            )
        async with cds_client(settings) as (client, _):
            path = f"/cds-services/{service}"
            answer = await client.post(path, json=body, headers=bearer(key, path))
        called = {str(call.request.url.copy_with(query=None)) for call in mock.calls}
    server = body.get("fhirServer", "")
    if service != "mpox-vaccination":
        # No draft order of these is an mpox vaccine: answered from the request alone.
        assert (answer.status_code, answer.json()) == (200, {"cards": []})
        assert not called
    elif server in HTTPS_SERVERS:
        assert answer.status_code == 200, answer.text
        assert all(url.startswith(server) for url in called)
        assert not _problems(response_problems(answer.json(), invariants("cds-resp")))
    else:
        # Missing data and a fhirServer that is not allowlisted (or none): 412, no call made.
        assert answer.status_code == 412, answer.text
        assert not called


def _patient(request: httpx.Request) -> httpx.Response:
    patient_id = request.url.path.rsplit("/", 1)[1]
    return httpx.Response(
        200, json={"resourceType": "Patient", "id": patient_id, "birthDate": "1980-02-01"}
    )


# -- responses -----------------------------------------------------------------------------


@pytest.mark.parametrize("relative", sorted(RESPONSES))
def test_the_checker_judges_third_party_responses_as_known(relative: str) -> None:
    found = response_problems(load_json(relative), invariants("cds-resp"))
    assert _problems(found) == RESPONSES[relative]


@pytest.mark.parametrize("relative", sorted(CARDS))
def test_the_checker_judges_inferno_cards_as_known(relative: str) -> None:
    found = response_problems({"cards": [load_json(relative)]}, invariants("cds-resp"))
    assert _problems(found) == CARDS[relative]


def test_inferno_valid_cards_have_uuids_the_logical_model_does_not_accept() -> None:
    cards = load_json("inferno-crd-test-kit/valid_cards.json")
    found = _problems(response_problems({"cards": cards}, invariants("cds-resp")))
    assert found == {f"$.cards[{i}].uuid" for i in range(len(cards))}


def test_discovery_documents_pass_and_ours_too() -> None:
    for relative in (
        "spec-2.0.1/01-discovery-response.json",
        "spec-2.0.1/27-discovery-with-extension.json",
        "davinci-crd/CRDServices.json",
        "inferno-crd-test-kit/inferno-mock-discovery-cds-services.json",
    ):
        assert not discovery_problems(load_json(relative)), relative
    assert not discovery_problems(discovery())


# -- feedback ------------------------------------------------------------------------------


async def test_feedback_examples_are_accepted_and_stored(
    make_settings: Any, tmp_path: Path
) -> None:
    key = make_key("ES384")
    settings = cds_settings(make_settings, write_jwks(tmp_path / "jwks.json", key))
    async with cds_client(settings) as (client, app):
        path = "/cds-services/mpox-vaccination/feedback"
        for relative in FEEDBACK:
            body = load_json(relative)
            assert not [
                p for p in invariant_problems(body, invariants("cds-fb-")) if p.severity == "error"
            ]
            answer = await client.post(path, json=body, headers=bearer(key, path))
            assert answer.status_code == 200, (relative, answer.text)
        stored = app.state.cds.feedback.all()
    assert len(stored) == len(FEEDBACK)
    epic = [
        json.loads(row["override_reason"])
        for row in stored
        if row["card"] == "card-0042" and row["override_reason"]
    ]
    assert any("extension" in reason for reason in epic)
    assert any(reason.get("reason", {}).get("code") == "contraindicated" for reason in epic)


# -- every answer the services give --------------------------------------------------------


async def test_every_answer_for_every_vignette_is_valid(make_settings: Any, tmp_path: Path) -> None:
    """All services, for every clinical vignette (both countries), with an mpox vaccine order
    as the draft for the order services: no answer breaks a rule or invariant of the spec."""
    key = make_key("RS384")
    settings = cds_settings(make_settings, write_jwks(tmp_path / "jwks.json", key))
    order = {
        "resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx",
                                                  "code": "206"}]},
        "subject": {"reference": "Patient/patient"},
    }  # fmt: skip
    checked = cards = 0
    async with cds_client(settings) as (client, app):
        for path in sorted((VIGNETTES / "cases").glob("*.yaml")):
            patient, others, day, jurisdiction = vignette_resources(path.stem)
            app.state.cds.today = lambda _j, day=day: day
            prefetch = prefetch_of(patient, others)
            for service in SERVICES.values():
                drafts = {"resourceType": "Bundle", "entry": [{"resource": order}]}
                context = {"draftOrders": drafts, "selections": ["MedicationRequest/draft-1"]}
                body = hook_request(
                    service.hook, patient["id"], prefetch,
                    context=context if service.hook != "patient-view" else {},
                    extension={"org.mpox-adapter.jurisdiction": jurisdiction},
                )  # fmt: skip
                url = f"/cds-services/{service.id}"
                answer = await client.post(url, json=body, headers=bearer(key, url))
                assert answer.status_code == 200, (path.stem, url, answer.text)
                problems = response_problems(answer.json(), invariants("cds-resp"))
                assert not problems, (path.stem, url, [str(p) for p in problems])
                checked += 1
                cards += len(answer.json()["cards"])
    assert checked >= 4 * 90
    assert cards > checked // 2  # they say something, not just pass
