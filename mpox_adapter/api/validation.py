"""`$validate` and the conformance resources the project publishes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from mpox_adapter.api.body import json_body
from mpox_adapter.errors import InputError
from mpox_adapter.validation.engine import Validator

router = APIRouter()

PUBLISHED_TYPES = (
    "StructureDefinition",
    "ValueSet",
    "CodeSystem",
    "ConceptMap",
    "OperationDefinition",
)
VALIDATE_DEFINITION = "http://hl7.org/fhir/OperationDefinition/Resource-validate"

JsonBody = Annotated[Any, Depends(json_body)]


def _validator(request: Request) -> Validator:
    validator: Validator | None = request.app.state.runtime.validator
    if validator is None:
        raise HTTPException(503, "FHIR definitions are not loaded; see /readyz")
    return validator


@router.post("/fhir/$validate")
async def validate_any(
    request: Request, body: JsonBody, profile: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    return await _validate(_validator(request), body, None, profile)


@router.post("/fhir/{resource_type}/$validate")
async def validate_typed(
    request: Request,
    resource_type: str,
    body: JsonBody,
    profile: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    validator = _validator(request)
    if validator.registry.resource_type(resource_type) is None:
        raise HTTPException(404, f"unknown resource type {resource_type!r}")
    return await _validate(validator, body, resource_type, profile)


async def _validate(
    validator: Validator, body: Any, resource_type: str | None, profile: str | None
) -> dict[str, Any]:
    resource, profiles = _unwrap(body, profile)
    if resource_type is not None and resource.get("resourceType") != resource_type:
        raise InputError(
            f"the body is a {resource.get('resourceType')}, but this is {resource_type}/$validate",
            "resourceType",
        )
    # Validation is CPU work; keep the event loop free for other requests.
    return await asyncio.to_thread(validator.validate, resource, profiles)


def _unwrap(body: Any, profile: str | None) -> tuple[dict[str, Any], list[str]]:
    """The resource to validate and the profiles asked for, from a resource or a Parameters."""
    if not isinstance(body, dict):
        raise InputError("the body must be a FHIR resource (a JSON object)")
    profiles = [profile] if profile else []
    resource: Any = body
    if body.get("resourceType") == "Parameters":
        parameters = body.get("parameter")
        named = (
            [p for p in parameters if isinstance(p, dict)] if isinstance(parameters, list) else []
        )
        resources = [p.get("resource") for p in named if p.get("name") == "resource"]
        if resources:
            resource = resources[0]
            for parameter in named:
                url = parameter.get("valueUri") or parameter.get("valueCanonical")
                if parameter.get("name") == "profile" and isinstance(url, str):
                    profiles.append(url)
    if not isinstance(resource, dict):
        raise InputError(
            "the resource to validate must be a JSON object", "Parameters.parameter.resource"
        )
    if not isinstance(resource.get("resourceType"), str):
        raise InputError("resourceType is missing: the body is not a FHIR resource", "resourceType")
    return resource, profiles


@router.get("/fhir/{resource_type}/{resource_id}")
async def read_conformance(
    request: Request, resource_type: str, resource_id: str
) -> dict[str, Any]:
    if resource_type not in PUBLISHED_TYPES:
        raise HTTPException(404, f"{resource_type} resources are not served here")
    published: dict[tuple[str, str], dict[str, Any]] = request.app.state.runtime.published
    found = published.get((resource_type, resource_id))
    if found is None:
        raise HTTPException(404, f"{resource_type}/{resource_id} is not known")
    return found
