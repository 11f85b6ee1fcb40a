"""Operational endpoints: liveness, readiness, metrics and the CapabilityStatement."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from mpox_adapter.api.metadata import capability_statement
from mpox_adapter.api.responses import FhirResponse
from mpox_adapter.errors import TransientError
from mpox_adapter.fhir.outcome import issue, operation_outcome

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and serving; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """Ready when the outbox store answers and the FHIR definitions are loaded."""
    runtime = request.app.state.runtime
    problems: list[dict[str, Any]] = []
    if runtime.definitions is None:
        problems.append(
            issue(
                "error", "not-found", runtime.definitions_error or "FHIR definitions still loading"
            )
        )
    try:
        await asyncio.to_thread(runtime.store.ping)
    except TransientError as exc:
        problems.append(issue("error", "transient", str(exc)))
    if problems:
        return FhirResponse(operation_outcome(*problems), status_code=503)
    return FhirResponse(
        operation_outcome(issue("information", "informational", "ready")), status_code=200
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.runtime.registry), media_type=CONTENT_TYPE_LATEST
    )


@router.get("/fhir/metadata")
async def metadata(request: Request) -> dict[str, Any]:
    runtime = request.app.state.runtime
    return capability_statement(runtime.capabilities, runtime.started)
