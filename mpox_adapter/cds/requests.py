"""Check a CDS Hooks request body and read it into a `HookRequest`.

What the spec requires is enforced (the hook, a UUID `hookInstance`, the context fields each
hook needs, `fhirServer` with `fhirAuthorization`, prefetch values that are resources or
null); what real EHRs add is tolerated: `Patient/123` where an id is due, vendor extensions,
unknown prefetch keys. Every refusal is an `InputError` located by a JSONPath-like expression.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mpox_adapter.cds.services import ORDER_SELECT, ORDER_SIGN, PATIENT_VIEW, Service
from mpox_adapter.errors import InputError

JURISDICTION_EXTENSION = "org.mpox-adapter.jurisdiction"
JURISDICTIONS = ("NO", "DK")

# Context fields each hook requires, and their JSON kind (CDS Hooks library, v1.0 hooks).
REQUIRED_CONTEXT: Mapping[str, Mapping[str, type]] = {
    PATIENT_VIEW: {"userId": str, "patientId": str},
    ORDER_SELECT: {"userId": str, "patientId": str, "selections": list, "draftOrders": dict},
    ORDER_SIGN: {"userId": str, "patientId": str, "draftOrders": dict},
}
_OPTIONAL_CONTEXT: Mapping[str, type] = {"encounterId": str}
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_REFERENCE = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True, slots=True)
class FhirAuthorization:
    access_token: str
    token_type: str
    scope: str | None
    patient: str | None


@dataclass(frozen=True, slots=True)
class HookRequest:
    hook: str
    hook_instance: str
    patient_id: str
    user_id: str
    context: Mapping[str, Any]
    prefetch: Mapping[str, Any]
    """Only keys the client sent; a value may be None (the client found nothing)."""
    fhir_server: str | None
    authorization: FhirAuthorization | None
    jurisdiction: str | None
    """The request's `org.mpox-adapter.jurisdiction` extension, if it has one."""

    @property
    def draft_orders(self) -> Mapping[str, Any]:
        orders = self.context.get("draftOrders")
        return orders if isinstance(orders, Mapping) else {}

    @property
    def selections(self) -> tuple[str, ...]:
        return tuple(self.context.get("selections") or ())


def parse_request(body: Any, service: Service) -> HookRequest:
    """The request for `service`; `InputError` (400) says what is wrong and where."""
    if not isinstance(body, Mapping):
        raise InputError("a CDS Hooks request must be a JSON object", "$")
    hook = body.get("hook")
    if hook != service.hook:
        raise InputError(
            f"service {service.id} answers the {service.hook} hook, not {hook!r}", "hook"
        )
    hook_instance = _uuid(body.get("hookInstance"))
    fhir_server = _fhir_server(body.get("fhirServer"))
    authorization = _authorization(body.get("fhirAuthorization"))
    if authorization is not None and fhir_server is None:
        # cds-r-1: a token is only meaningful together with the server it is for.
        raise InputError("fhirAuthorization is given without fhirServer", "fhirServer")
    context = _context(body.get("context"), service.hook)
    extension = body.get("extension", {})
    if not isinstance(extension, Mapping):
        raise InputError("extension must be a JSON object", "extension")
    return HookRequest(
        hook=service.hook,
        hook_instance=hook_instance,
        patient_id=_id_of(context["patientId"], "Patient", "context.patientId"),
        user_id=context["userId"],
        context=context,
        prefetch=_prefetch(body.get("prefetch")),
        fhir_server=fhir_server,
        authorization=authorization,
        jurisdiction=_jurisdiction(extension.get(JURISDICTION_EXTENSION)),
    )


def _uuid(value: Any) -> str:
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    # uuid.UUID also takes braces, "urn:uuid:" and no hyphens; the spec means the plain form.
    if parsed is None or str(parsed) != value.lower():
        raise InputError("hookInstance must be a UUID", "hookInstance")
    return str(value)


def _fhir_server(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("fhirServer must be an absolute http(s) URL", "fhirServer")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError("fhirServer must be a FHIR base URL", "fhirServer")
    return str(value).rstrip("/")


def _authorization(value: Any) -> FhirAuthorization | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError("fhirAuthorization must be a JSON object", "fhirAuthorization")
    token = value.get("access_token")
    if not isinstance(token, str) or not token:
        raise InputError("access_token is required", "fhirAuthorization.access_token")
    token_type = value.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise InputError("token_type must be Bearer", "fhirAuthorization.token_type")
    for name, kind in (("expires_in", int), ("scope", str), ("subject", str), ("patient", str)):
        if name in value and not isinstance(value[name], kind):
            raise InputError(f"{name} has the wrong type", f"fhirAuthorization.{name}")
    return FhirAuthorization(token, "Bearer", value.get("scope"), value.get("patient"))


def _context(value: Any, hook: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError("context must be a JSON object", "context")
    context = dict(value)
    for name, kind in {**_OPTIONAL_CONTEXT, **REQUIRED_CONTEXT[hook]}.items():
        if name not in context:
            if name in REQUIRED_CONTEXT[hook]:
                raise InputError(f"the {hook} context requires {name}", f"context.{name}")
            continue
        item = context[name]
        if not isinstance(item, kind) or (kind is str and not item):
            raise InputError(f"{name} has the wrong type or is empty", f"context.{name}")
    if "selections" in context:
        selections = context["selections"]
        if not selections or not all(
            isinstance(s, str) and _REFERENCE.fullmatch(s) for s in selections
        ):
            raise InputError(
                "selections must be a non-empty list of references such as MedicationRequest/1",
                "context.selections",
            )
    if "draftOrders" in context:
        _bundle(context["draftOrders"], "context.draftOrders")
    return context


def _bundle(value: Mapping[str, Any], where: str) -> None:
    if value.get("resourceType") != "Bundle":
        raise InputError("must be a FHIR Bundle", f"{where}.resourceType")
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("entry must be a list", f"{where}.entry")
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise InputError("each entry needs a resource", f"{where}.entry[{index}].resource")


def _prefetch(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError("prefetch must be a JSON object", "prefetch")
    for key, item in value.items():
        # A prefetch result is a resource (often a searchset Bundle) or null; the pre-1.0
        # {"response", "resource"} wrapper and bare strings are not.
        if item is not None and not (
            isinstance(item, Mapping) and isinstance(item.get("resourceType"), str)
        ):
            raise InputError("a prefetch value must be a FHIR resource or null", f"prefetch.{key}")
    return dict(value)


def _id_of(value: str, resource_type: str, where: str) -> str:
    """A FHIR id; `Patient/123` (a reference where an id is due, as some EHRs send) -> 123."""
    prefix = f"{resource_type}/"
    found = value[len(prefix) :] if value.startswith(prefix) else value
    if not _FHIR_ID.fullmatch(found):
        raise InputError(f"not a FHIR {resource_type} id", where)
    return found


def _jurisdiction(value: Any) -> str | None:
    if value is None:
        return None
    if value not in JURISDICTIONS:
        raise InputError(
            f"jurisdiction must be one of {', '.join(JURISDICTIONS)}",
            f"extension.{JURISDICTION_EXTENSION}",
        )
    return str(value)
