"""`create_app(settings)`: the FastAPI application, wired from one settings object."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

import mpox_adapter
from mpox_adapter.api import cds, deliveries, forecast, ingest, operations, validation
from mpox_adapter.api.body import BodyMiddleware
from mpox_adapter.api.metadata import Capabilities
from mpox_adapter.api.metrics import HttpMetrics, MetricsMiddleware
from mpox_adapter.api.responses import FhirResponse, error_response
from mpox_adapter.cds.runtime import CdsRuntime
from mpox_adapter.delivery.service import DeliveryService
from mpox_adapter.errors import AdapterError, ConfigurationError, InputError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.mapping.engine import Mapped
from mpox_adapter.outbox.location import StoreLocation
from mpox_adapter.outbox.store import Store
from mpox_adapter.pipeline.enqueue import enqueue
from mpox_adapter.settings import Settings
from mpox_adapter.validation.engine import Validator
from mpox_adapter.validation.service import PROJECT_CANONICAL, load_definitions

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
    validator: Validator | None = None
    published: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """The project's conformance resources by (resourceType, id)."""
    outbox: Store | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def create_app(
    settings: Settings,
    definitions: Definitions | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the app. `definitions` may be given (tests); otherwise they load at start-up.
    `transport` carries the delivery worker's requests (tests pass a mock)."""
    runtime = Runtime(settings=settings, store=StoreLocation.parse(settings.store.url))
    if definitions is not None:
        _use_definitions(runtime, definitions)
    jobs = ingest.Ingest(settings, runtime.registry)
    delivery = DeliveryService(settings, runtime.registry, transport)
    cds_runtime = CdsRuntime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime.definitions is None:
            _load_definitions(runtime)
            # What start-up loaded lives as long as the process. Frozen, the collector stops
            # walking it on every full collection: a pause of about 250 ms with the core
            # definitions, which broke the CDS Hooks latency target (bench/bench_cds.py).
            gc.collect()
            gc.freeze()
        await delivery.start()
        runtime.outbox = delivery.store
        if settings.destinations and delivery.store is not None:
            outbox = delivery.store

            def sink(results: Iterable[Mapped]) -> Iterable[Mapped]:
                # Accepted records into the outbox, for every destination that takes them.
                return enqueue(outbox, results, settings.destinations, datetime.now(UTC))

            jobs.sink = sink
        await jobs.start(runtime.definitions)
        try:
            yield
        finally:
            await jobs.stop()
            await delivery.stop()
            await cds_runtime.aclose()

    app = FastAPI(
        title="mpox FHIR adapter",
        version=mpox_adapter.__version__,
        lifespan=lifespan,
        default_response_class=FhirResponse,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.ingest = jobs
    app.state.cds = cds_runtime
    app.add_middleware(
        BodyMiddleware,
        max_bytes=settings.server.max_body_bytes,
        streaming_prefixes=STREAMING_PREFIXES,
    )
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(runtime.registry))
    if settings.cds.cors_origins:
        # Outermost, so that preflights are answered before authentication and body checks.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cds.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language"],
            max_age=600,
        )
    _install_error_handlers(app)
    app.include_router(operations.router)
    app.include_router(validation.router)
    app.include_router(forecast.router)
    app.include_router(ingest.router)
    app.include_router(deliveries.router)
    app.include_router(cds.router)
    return app


def _load_definitions(runtime: Runtime) -> None:
    try:
        definitions, report = load_definitions(runtime.settings.definitions)
    except ConfigurationError as exc:
        runtime.definitions_error = str(exc)
        log.error("FHIR definitions unavailable: %s", exc)
        return
    for problem in report.skipped:
        log.warning("conformance file skipped: %s", problem)
    _use_definitions(runtime, definitions)
    log.info(
        "FHIR definitions loaded", extra={"count": len(definitions), "added": len(report.loaded)}
    )


def _use_definitions(runtime: Runtime, definitions: Definitions) -> None:
    runtime.definitions = definitions
    runtime.validator = Validator(definitions)
    capabilities = runtime.capabilities
    capabilities.operations["validate"] = validation.VALIDATE_DEFINITION
    capabilities.operations["immds-forecast"] = forecast.FORECAST_DEFINITION
    for resource_type in validation.PUBLISHED_TYPES:
        for url in definitions.urls(resource_type):
            resource = definitions.get(url)
            if url.startswith(PROJECT_CANONICAL) and resource is not None and "id" in resource:
                runtime.published[(resource_type, str(resource["id"]))] = resource
                capabilities.add_resource_interaction(resource_type, "read")
                if resource_type == "StructureDefinition" and resource.get("kind") == "resource":
                    capabilities.add_profile(str(resource["type"]), url)


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
