"""`POST /fhir/$immds-forecast`: the rules engine as a FHIR operation (docs/contract.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from mpox_adapter.api.body import json_body
from mpox_adapter.rules.forecast import immds_forecast

router = APIRouter()

FORECAST_DEFINITION = "http://mpox-adapter.org/fhir/OperationDefinition/immds-forecast"

JsonBody = Annotated[Any, Depends(json_body)]


@router.post("/fhir/$immds-forecast")
async def forecast(request: Request, body: JsonBody) -> dict[str, Any]:
    # Bodies that are not Parameters or Bundle are refused by the rules (InputError -> 400).
    # A forecast takes about a millisecond: cheaper to run here than to hand to a thread.
    return immds_forecast(body, request.app.state.runtime.settings.jurisdiction)
