"""Build CDS Hooks cards and suggestions that are valid by construction.

Every card gets a `uuid`, a summary under 140 characters, a `source` with label, guideline URL
and topic, coded `overrideReasons` with displays, guideline links and the ids of the rules
behind it in `extension["org.mpox-adapter.rules"]`. Optional fields that would be empty are
left out, and suggestions always come with `selectionBehavior` (cds-resp-6).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

JsonObject = dict[str, Any]
Indicator = Literal["info", "warning", "critical"]

RULES_EXTENSION = "org.mpox-adapter.rules"
CANONICAL = "http://mpox-adapter.org/fhir"
OVERRIDE_REASON_SYSTEM = f"{CANONICAL}/CodeSystem/cds-override-reason"
TOPIC_SYSTEM = f"{CANONICAL}/CodeSystem/cds-topic"
MAX_SUMMARY = 139
"""The spec asks for fewer than 140 characters."""


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str

    def to_json(self) -> JsonObject:
        return {"label": self.label, "url": self.url, "type": "absolute"}


@dataclass(frozen=True, slots=True)
class Source:
    label: str
    url: str
    topic_code: str
    topic_display: str

    def to_json(self) -> JsonObject:
        return {
            "label": self.label,
            "url": self.url,
            "topic": {
                "system": TOPIC_SYSTEM,
                "code": self.topic_code,
                "display": self.topic_display,
            },
        }


@dataclass(frozen=True, slots=True)
class Action:
    type: Literal["create", "update", "delete"]
    description: str
    resource: JsonObject | None = None
    resource_id: str | None = None

    def to_json(self) -> JsonObject:
        action: JsonObject = {"type": self.type, "description": self.description}
        if self.type == "delete":
            # cds-resp-2: a delete names the resource, it does not carry it.
            action["resourceId"] = self.resource_id
        else:
            action["resource"] = self.resource
        return action


@dataclass(frozen=True, slots=True)
class Suggestion:
    label: str
    actions: tuple[Action, ...]
    recommended: bool = False

    def to_json(self) -> JsonObject:
        suggestion: JsonObject = {
            "label": self.label,
            "uuid": str(uuid.uuid4()),
            "actions": [action.to_json() for action in self.actions],
        }
        if self.recommended:
            suggestion["isRecommended"] = True
        return suggestion


@dataclass(frozen=True, slots=True)
class OverrideReason:
    code: str
    display: str

    def to_json(self) -> JsonObject:
        return {"system": OVERRIDE_REASON_SYSTEM, "code": self.code, "display": self.display}


@dataclass
class Card:
    summary: str
    indicator: Indicator
    source: Source
    detail: str = ""
    rules: Sequence[str] = ()
    suggestions: list[Suggestion] = field(default_factory=list)
    override_reasons: Sequence[OverrideReason] = ()
    links: Sequence[Link] = ()
    selection_behavior: Literal["at-most-one", "any"] = "at-most-one"

    def to_json(self) -> JsonObject:
        card: JsonObject = {
            "uuid": str(uuid.uuid4()),
            "summary": shorten(self.summary),
            "indicator": self.indicator,
            "source": self.source.to_json(),
        }
        if self.detail:
            card["detail"] = self.detail
        if self.suggestions:
            suggestions = self.suggestions
            if self.selection_behavior == "at-most-one":
                # Then at most one suggestion may be marked recommended (cds-resp-1).
                first = next((s for s in suggestions if s.recommended), None)
                suggestions = [Suggestion(s.label, s.actions, s is first) for s in suggestions]
            card["suggestions"] = [suggestion.to_json() for suggestion in suggestions]
            card["selectionBehavior"] = self.selection_behavior
        if self.override_reasons:
            card["overrideReasons"] = [reason.to_json() for reason in self.override_reasons]
        if self.links:
            card["links"] = [link.to_json() for link in dict.fromkeys(self.links)]
        if self.rules:
            card["extension"] = {RULES_EXTENSION: list(dict.fromkeys(self.rules))}
        return card


def shorten(summary: str) -> str:
    text = " ".join(summary.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def response(cards: Sequence[Card]) -> JsonObject:
    return {"cards": [card.to_json() for card in cards]}
