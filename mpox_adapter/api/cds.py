"""CDS Hooks 2.0 over HTTP: discovery, service calls and feedback.

Every call, discovery included, must carry a JWT the service trusts (`mpox_adapter.cds.trust`);
anything else gets a bare 401. Then: 404 for an unknown service, 415 for a body that is not
JSON, 400 for a request the spec does not allow, 412 when the data the answer needs cannot be
had. Answers are plain `application/json`, as CDS Hooks asks; errors are OperationOutcomes.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from mpox_adapter.api.body import json_body
from mpox_adapter.api.responses import error_response
from mpox_adapter.cds.answer import answer
from mpox_adapter.cds.feedback import parse_feedback
from mpox_adapter.cds.prefetch import PrefetchUnavailable
from mpox_adapter.cds.runtime import CdsRuntime
from mpox_adapter.cds.services import SERVICES, discovery
from mpox_adapter.cds.trust import Unauthorized

log = logging.getLogger(__name__)
router = APIRouter()


class CdsJson(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _runtime(request: Request) -> CdsRuntime:
    runtime: CdsRuntime = request.app.state.cds
    return runtime


def _url(request: Request, runtime: CdsRuntime) -> str:
    """The endpoint's URL as the caller addressed it: what the JWT's `aud` must name."""
    base = runtime.settings.cds.public_base_url
    if base is not None:
        return base + request.url.path
    return str(request.url.replace(query="", fragment=""))


async def _refused(request: Request, *audiences: str) -> Response | None:
    runtime = _runtime(request)
    if not runtime.settings.cds.verify_jwt:
        return None
    try:
        await runtime.verifier.verify(request.headers.get("authorization"), audiences)
    except Unauthorized as exc:
        # The reason is for the operator; the caller learns nothing it could probe with.
        log.warning("CDS Hooks call refused: %s", exc.reason)
        return error_response(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return None


@router.get("/cds-services")
async def services(request: Request) -> Response:
    refused = await _refused(request, _url(request, _runtime(request)))
    return refused or CdsJson(discovery())


@router.post("/cds-services/{service_id}")
async def call(request: Request, service_id: str) -> Response:
    runtime = _runtime(request)
    refused = await _refused(request, _url(request, runtime))
    if refused is not None:
        return refused
    service = SERVICES.get(service_id)
    if service is None:
        return error_response(404, f"no CDS service {service_id!r}; see GET /cds-services")
    body = json_body(request)
    try:
        result = await answer(runtime, service, body, request.headers.get("accept-language"))
    except PrefetchUnavailable as exc:
        return error_response(412, exc.reason)
    return CdsJson(result)


@router.get("/cds-services/{service_id}")
async def not_a_service_method(request: Request, service_id: str) -> Response:
    """A service is called by POST; like the reference service, a GET finds nothing."""
    refused = await _refused(request, _url(request, _runtime(request)))
    return refused or error_response(404, "CDS services are called with POST")


@router.post("/cds-services/{service_id}/feedback")
async def feedback(request: Request, service_id: str) -> Response:
    runtime = _runtime(request)
    url = _url(request, runtime)
    # Clients differ on the audience of a feedback call: the feedback URL or the service's.
    refused = await _refused(request, url, url.removesuffix("/feedback"))
    if refused is not None:
        return refused
    if service_id not in SERVICES:
        return error_response(404, f"no CDS service {service_id!r}; see GET /cds-services")
    entries = parse_feedback(json_body(request))
    await runtime.feedback.add(service_id, entries)
    return CdsJson({})
