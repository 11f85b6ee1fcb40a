"""Check CDS Hooks JSON against the spec's rules: the structure of the 2.0.1 response and
discovery documents (the HL7 logical models CDSHooksResponse / CDSHooksServices) and the
FHIRPath invariants that go with them (cds-resp-*, cds-fb-*, cds-r-*).

The service uses this on its own answers in tests, and the conformance tests use it to judge
third-party examples. An invariant is given as the HL7 file states it (id, severity, context,
expression); `INVARIANT_CONTEXTS` says where in the JSON each context is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mpox_adapter.validation.fhirpath import EvalContext, compile_expression, is_true

INVARIANT_CONTEXTS: Mapping[str, tuple[str, ...]] = {
    "CDSHooksResponse.cards": ("cards",),
    "cards.suggestions.actions": ("cards", "suggestions", "actions"),
    "cards.links": ("cards", "links"),
    "cards.overrideReasons": ("cards", "overrideReasons"),
    "cards.suggestions": ("cards", "suggestions"),
    "CDSHooksFeedback": ("feedback",),
    "feedback.overrideReason": ("feedback", "overrideReason"),
    "CDSHooksRequest": (),
    "CDSHooksRequest.fhirAuthorization": ("fhirAuthorization",),
}
_RESPONSE_KEYS = frozenset({"cards", "systemActions", "extension"})
_CARD_KEYS = frozenset(
    {"uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior",
     "overrideReasons", "links", "extension"}
)  # fmt: skip
_SOURCE_KEYS = frozenset({"label", "url", "icon", "topic", "extension"})
_SUGGESTION_KEYS = frozenset(
    {"label", "uuid", "isRecommended", "actions", "actionSelectionBehavior", "extension"}
)
_ACTION_KEYS = frozenset({"type", "description", "resource", "resourceId", "extension"})
_LINK_KEYS = frozenset({"label", "url", "type", "appContext", "autolaunchable", "extension"})
_CODING_KEYS = frozenset({"system", "version", "code", "display", "userSelected"})
_SERVICE_KEYS = frozenset(
    {"hook", "title", "description", "id", "prefetch", "usageRequirements", "extension"}
)


@dataclass(frozen=True, slots=True)
class Invariant:
    id: str
    severity: str
    context: str
    expression: str


@dataclass(frozen=True, slots=True)
class Problem:
    severity: str
    """error or warning (spec and invariants), style (an empty optional element)."""
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.where}: {self.message}"


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem("error", where, message))

    def keys(self, value: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        for key in sorted(set(value) - allowed):
            self.error(f"{where}.{key}", "not an element of the spec (use extension)")
        for key, item in value.items():
            if item in ("", [], {}) and key not in ("cards", "prefetch"):
                # Not a spec rule (only good form), hence its own severity.
                self.problems.append(Problem("style", f"{where}.{key}", "empty: leave it out"))

    def string(self, value: Mapping[str, Any], key: str, where: str, required: bool) -> None:
        if key not in value:
            if required:
                self.error(f"{where}.{key}", "required")
        elif not isinstance(value[key], str) or not value[key]:
            self.error(f"{where}.{key}", "must be a non-empty string")

    def url(self, value: Mapping[str, Any], key: str, where: str, required: bool) -> None:
        self.string(value, key, where, required)
        item = value.get(key)
        if isinstance(item, str) and not (urlsplit(item).scheme and urlsplit(item).netloc):
            self.error(f"{where}.{key}", "must be an absolute URL")

    def code(self, value: Mapping[str, Any], key: str, allowed: Sequence[str], where: str) -> None:
        if key in value and value[key] not in allowed:
            self.error(f"{where}.{key}", f"must be one of {', '.join(allowed)}")

    def uuid(self, value: Mapping[str, Any], key: str, where: str) -> None:
        item = value.get(key)
        if item is None:
            return
        try:
            uuid.UUID(str(item))
        except ValueError:
            self.error(f"{where}.{key}", "must be a UUID")

    def objects(self, value: Mapping[str, Any], key: str, where: str) -> Iterator[tuple[str, Any]]:
        items = value.get(key, [])
        if not isinstance(items, list):
            self.error(f"{where}.{key}", "must be an array")
            return
        for index, item in enumerate(items):
            place = f"{where}.{key}[{index}]"
            if isinstance(item, Mapping):
                yield place, item
            else:
                self.error(place, "must be a JSON object")

    def coding(self, value: Mapping[str, Any], where: str) -> None:
        self.keys(value, _CODING_KEYS, where)
        for key in ("system", "code", "display"):
            self.string(value, key, where, required=False)

    def action(self, action: Mapping[str, Any], where: str) -> None:
        self.keys(action, _ACTION_KEYS, where)
        self.code(action, "type", ("create", "update", "delete"), where)
        self.string(action, "type", where, required=True)
        # 2.0.1: "description REQUIRED" (the logical model's cds-resp-5 says it for suggestions).
        self.string(action, "description", where, required=True)
        resource = action.get("resource")
        if action.get("type") in ("create", "update") and not (
            isinstance(resource, Mapping) and isinstance(resource.get("resourceType"), str)
        ):
            self.error(f"{where}.resource", "create and update need a FHIR resource")

    def card(self, card: Mapping[str, Any], where: str) -> None:
        self.keys(card, _CARD_KEYS, where)
        self.uuid(card, "uuid", where)
        self.string(card, "summary", where, required=True)
        if isinstance(card.get("summary"), str) and len(card["summary"]) >= 140:
            self.error(f"{where}.summary", f"{len(card['summary'])} characters, must be < 140")
        self.string(card, "detail", where, required=False)
        self.string(card, "indicator", where, required=True)
        self.code(card, "indicator", ("info", "warning", "critical"), where)
        self.code(card, "selectionBehavior", ("at-most-one", "any"), where)
        source = card.get("source")
        if not isinstance(source, Mapping):
            self.error(f"{where}.source", "required, a JSON object")
        else:
            self.keys(source, _SOURCE_KEYS, f"{where}.source")
            self.string(source, "label", f"{where}.source", required=True)
            self.url(source, "url", f"{where}.source", required=False)
            self.url(source, "icon", f"{where}.source", required=False)
            if isinstance(source.get("topic"), Mapping):
                self.coding(source["topic"], f"{where}.source.topic")
        for place, suggestion in self.objects(card, "suggestions", where):
            self.keys(suggestion, _SUGGESTION_KEYS, place)
            self.string(suggestion, "label", place, required=True)
            self.uuid(suggestion, "uuid", place)
            if not isinstance(suggestion.get("isRecommended", False), bool):
                self.error(f"{place}.isRecommended", "must be a boolean")
            for action_place, action in self.objects(suggestion, "actions", place):
                self.action(action, action_place)
        for place, reason in self.objects(card, "overrideReasons", where):
            self.coding(reason, place)
        for place, link in self.objects(card, "links", where):
            self.keys(link, _LINK_KEYS, place)
            self.string(link, "label", place, required=True)
            self.url(link, "url", place, required=True)
            self.string(link, "type", place, required=True)
            self.code(link, "type", ("absolute", "smart"), place)
        if "extension" in card and not isinstance(card["extension"], Mapping):
            self.error(f"{where}.extension", "must be a JSON object")


def response_problems(response: Any, invariants: Sequence[Invariant] = ()) -> list[Problem]:
    """What is wrong with a CDS Hooks response body (empty when it is valid)."""
    checker = _Checker()
    if not isinstance(response, Mapping):
        return [Problem("error", "$", "a response must be a JSON object")]
    checker.keys(response, _RESPONSE_KEYS, "$")
    if not isinstance(response.get("cards"), list):
        checker.error("$.cards", "required, an array (empty when there is nothing to say)")
    for place, card in checker.objects(response, "cards", "$"):
        checker.card(card, place)
    for place, action in checker.objects(response, "systemActions", "$"):
        checker.action(action, place)
    return checker.problems + invariant_problems(response, invariants)


def discovery_problems(document: Any) -> list[Problem]:
    checker = _Checker()
    if not isinstance(document, Mapping) or not isinstance(document.get("services"), list):
        return [Problem("error", "$.services", "required, an array")]
    for place, service in checker.objects(document, "services", "$"):
        checker.keys(service, _SERVICE_KEYS, place)
        for key in ("hook", "description", "id"):
            checker.string(service, key, place, required=True)
        prefetch = service.get("prefetch", {})
        if not isinstance(prefetch, Mapping) or not all(
            isinstance(v, str) for v in prefetch.values()
        ):
            checker.error(f"{place}.prefetch", "must map keys to query strings")
    return checker.problems


def invariant_problems(document: Any, invariants: Sequence[Invariant]) -> list[Problem]:
    """Evaluate FHIRPath invariants at the places their contexts name."""
    problems: list[Problem] = []
    for invariant in invariants:
        path = INVARIANT_CONTEXTS.get(invariant.context)
        if path is None:
            raise ValueError(f"{invariant.id}: unknown context {invariant.context!r}")
        evaluate = compile_expression(invariant.expression)
        for where, focus in _walk(document, path, "$"):
            if not is_true(evaluate(focus, EvalContext(resource=focus))):
                problems.append(Problem(invariant.severity, where, invariant.id))
    return problems


def _walk(value: Any, path: Sequence[str], where: str) -> Iterator[tuple[str, Any]]:
    if not path:
        if isinstance(value, Mapping):
            yield where, value
        return
    if not isinstance(value, Mapping):
        return
    child = value.get(path[0])
    items = child if isinstance(child, list) else [child] if child is not None else []
    for index, item in enumerate(items):
        place = f"{where}.{path[0]}" + (f"[{index}]" if isinstance(child, list) else "")
        yield from _walk(item, path[1:], place)
