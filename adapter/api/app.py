"""`create_app(settings)`: the FastAPI application, wired from one settings object."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from prometheus_client import CollectorRegistry
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

import adapter
from adapter.api import operations
from adapter.api.body import BodyMiddleware
from adapter.api.metadata import Capabilities
from adapter.api.metrics import HttpMetrics, MetricsMiddleware
from adapter.api.responses import FhirResponse, error_response
from adapter.errors import AdapterError, DefinitionsUnavailableError, InputError
from adapter.fhir.definitions import Definitions
from adapter.outbox.location import StoreLocation
from adapter.settings import Settings

log = logging.getLogger(__name__)

STREAMING_PREFIXES = ("/ingest/",)


@dataclass
class Runtime:
    """What the request handlers share; one per app."""

    settings: Settings
    store: StoreLocation
    capabilities: Capabilities = field(default_factory=Capabilities)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    definitions: Definitions | None = None
    definitions_error: str | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def create_app(settings: Settings, definitions: Definitions | None = None) -> FastAPI:
    """Build the app. `definitions` may be given (tests); otherwise they load at start-up."""
    runtime = Runtime(settings=settings, store=StoreLocation.parse(settings.store.url))
    runtime.definitions = definitions

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime.definitions is None:
            _load_definitions(runtime)
        yield

    app = FastAPI(
        title="mpox FHIR adapter",
        version=adapter.__version__,
        lifespan=lifespan,
        default_response_class=FhirResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.add_middleware(
        BodyMiddleware,
        max_bytes=settings.server.max_body_bytes,
        streaming_prefixes=STREAMING_PREFIXES,
    )
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(runtime.registry))
    _install_error_handlers(app)
    app.include_router(operations.router)
    return app


def _load_definitions(runtime: Runtime) -> None:
    try:
        runtime.definitions = Definitions.from_core_package(runtime.settings.definitions.cache_dir)
    except DefinitionsUnavailableError as exc:
        runtime.definitions_error = str(exc)
        log.error("FHIR definitions unavailable: %s", exc)
    else:
        log.info("FHIR core definitions indexed", extra={"count": len(runtime.definitions)})


def _install_error_handlers(app: FastAPI) -> None:
    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response(400, f"invalid request: {where}: {first.get('msg')}")

    async def input_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError)
        return error_response(400, exc.message, exc.location)

    async def adapter_error(_: Request, exc: Exception) -> Response:
        log.error("request failed: %s", type(exc).__name__, exc_info=exc)
        return error_response(503, "the adapter cannot answer right now; try again later")

    async def unexpected_error(_: Request, exc: Exception) -> Response:
        # The client gets no stack trace and no echo of its input; the log gets the detail.
        log.error("unexpected error", exc_info=exc)
        return error_response(500, "internal error")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(InputError, input_error)
    app.add_exception_handler(AdapterError, adapter_error)
    app.add_exception_handler(Exception, unexpected_error)
