"""FHIR JSON responses and OperationOutcome error answers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from mpox_adapter.fhir.outcome import issue, operation_outcome

FHIR_JSON = "application/fhir+json"

# HTTP status -> FHIR IssueType, for errors raised by the framework itself.
_ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "processing",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
}


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    status: int,
    diagnostics: str,
    expression: str | None = None,
    headers: dict[str, str] | None = None,
) -> FhirResponse:
    code = _ISSUE_TYPE.get(status, "exception")
    body = operation_outcome(
        issue("error" if status < 500 else "fatal", code, diagnostics, expression)
    )
    return FhirResponse(body, status_code=status, headers=headers)
