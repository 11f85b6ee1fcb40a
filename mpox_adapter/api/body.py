"""Read and check request bodies at the edge, before any handler runs.

A body over the size limit is refused with 413 while it is still arriving; a body that says
it is JSON but does not parse is refused with 400 and the place where parsing stopped. The
parsed JSON is handed to the handler (`json_body`), so it is parsed once. Routes that stream
their body to disk (large local exports) are exempt and read the stream themselves.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mpox_adapter.api.responses import error_response
from mpox_adapter.errors import InputError

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_STATE_KEY = "json_body"


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in ("application/json", "text/json") or media_type.endswith("+json")


class BodyMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, streaming_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streaming_prefixes = streaming_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _WITH_BODY
            or scope["path"].startswith(self.streaming_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and is_json_media_type(headers.get("content-type", "")):
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                response = error_response(400, f"request body is not valid JSON: {exc}")
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})[_STATE_KEY] = parsed

        async def replay() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, f"request body larger than the limit of {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


def json_body(request: Request) -> Any:
    """The request's parsed JSON body; `InputError` when there is none."""
    state: dict[str, Any] = request.scope.get("state", {})
    if _STATE_KEY not in state:
        content_type = request.headers.get("content-type", "")
        if not is_json_media_type(content_type):
            raise HTTPException(
                415, f"expected application/fhir+json, got {content_type or 'no content type'}"
            )
        raise InputError("request body is empty")
    return state[_STATE_KEY]
