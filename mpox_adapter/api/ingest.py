"""`POST /ingest/{mapping}` and `GET /ingest/jobs/{id}`: local export files in, jobs out.

The upload is streamed to disk under the job's folder and the job is recorded before the
answer, so a 202 means the file is safe; conversion happens later, in `JobWorker`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry, Counter
from starlette.responses import Response

from mpox_adapter.api.responses import FhirResponse, error_response
from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.mapping.engine import Mapped
from mpox_adapter.mapping.folders import MappingFolders
from mpox_adapter.mapping.spec import load_spec
from mpox_adapter.pipeline.convert import Converter, build_converter
from mpox_adapter.pipeline.jobs import INPUT, OUTPUT, Job, JobStore, JobWorker, Status
from mpox_adapter.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter()

JSON = "application/json"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Counter(
            "mpox_ingest_jobs_total",
            "Ingest jobs queued and finished, by status.",
            ["status"],
            registry=registry,
        )
        self.records_total = Counter(
            "mpox_ingest_records_total",
            "Records converted by ingest jobs, by outcome.",
            ["outcome"],
            registry=registry,
        )
        for status in ("queued", "done", "failed"):
            self.jobs.labels(status)
        for outcome in ("accepted", "rejected"):
            self.records_total.labels(outcome)

    def job_finished(self, status: Status) -> None:
        self.jobs.labels(status).inc()

    def records(self, accepted: int, rejected: int) -> None:
        self.records_total.labels("accepted").inc(accepted)
        self.records_total.labels("rejected").inc(rejected)


class Ingest:
    """The app's job store and worker; started and stopped by the app's lifespan."""

    def __init__(self, settings: Settings, registry: CollectorRegistry) -> None:
        self.settings = settings
        self.store = JobStore(settings.data_dir / "ingest")
        self.metrics = IngestMetrics(registry)
        self.definitions: Definitions | None = None
        self._converters: dict[str, Converter] = {}
        self.sink: Callable[[Iterable[Mapped]], Iterable[Mapped]] | None = None
        """Set by the app when destinations are configured: accepted records go to the outbox."""
        self._worker: JobWorker | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, definitions: Definitions | None) -> None:
        self.definitions = definitions
        if definitions is None:
            # Jobs stay queued, not failed: they run once the definitions are there.
            log.error("ingest worker not started: FHIR definitions unavailable")
            return
        self._worker = JobWorker(self.store, self._converter_for, self.metrics, sink=self.sink)
        self._task = asyncio.create_task(self._worker.run(), name="ingest-worker")

    async def stop(self) -> None:
        if self._worker is not None and self._task is not None:
            await self._worker.stop(self._task)
        self._worker = self._task = None
        self.store.close()

    def notify(self) -> None:
        if self._worker is not None:
            self._worker.notify()

    def _converter_for(self, mapping: str) -> Converter:
        # Building compiles the mapping; a server sees the same few mappings again and again.
        if mapping not in self._converters:
            self._converters[mapping] = build_converter(self.settings, mapping, self.definitions)
        return self._converters[mapping]


class _TooLargeError(Exception):
    pass


@router.post("/ingest/{mapping}", status_code=202)
async def post_ingest(mapping: str, request: Request, source: str | None = None) -> Response:
    ingest: Ingest = request.app.state.ingest
    settings = ingest.settings
    try:
        found = MappingFolders(settings.mappings_dir).find(mapping)
    except ConfigurationError as exc:
        return error_response(404, str(exc))
    reader_format = load_spec(found.path).source.reader.format
    limit = settings.server.ingest_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(limit)
    job_id = JobStore.new_id()
    folder = ingest.store.folder(job_id)
    try:
        size = await _receive(request, folder, limit)
    except _TooLargeError:
        return _too_large(limit)
    if size == 0:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise InputError("request body is empty: send the export file as the body")
    name = _source_name(source) or f"upload.{reader_format}"
    try:
        job = await asyncio.to_thread(ingest.store.create, job_id, mapping, name)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    ingest.metrics.jobs.labels("queued").inc()
    ingest.notify()
    log.info("ingest job queued", extra={"job": job.id, "mapping": mapping, "bytes": size})
    href = f"/ingest/jobs/{job.id}"
    body = {"id": job.id, "status": job.status, "href": href}
    return FhirResponse(body, status_code=202, headers={"Location": href}, media_type=JSON)


@router.get("/ingest/jobs/{job_id}")
async def get_job(job_id: str, request: Request) -> Response:
    ingest: Ingest = request.app.state.ingest
    job = await asyncio.to_thread(ingest.store.get, job_id)
    if job is None:
        return error_response(404, f"no ingest job {job_id!r}")
    return FhirResponse(_describe(job), media_type=JSON)


async def _receive(request: Request, folder: Path, limit: int) -> int:
    """Stream the body to `folder/input`; the folder is removed unless all of it arrives."""
    await asyncio.to_thread(folder.mkdir, parents=True)
    size = 0
    try:
        with (folder / INPUT).open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _TooLargeError
                fh.write(chunk)
            fh.flush()
            # The 202 promises the file survives a crash, so it must reach the disk first.
            await asyncio.to_thread(_sync, fh.fileno(), folder)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    return size


def _sync(fileno: int, folder: Path) -> None:
    os.fsync(fileno)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _source_name(source: str | None) -> str | None:
    # The name lands in every error line and Provenance: keep it a short plain file name.
    if not source:
        return None
    name = _UNSAFE_NAME.sub("_", source.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or None


def _too_large(limit: int) -> Response:
    return error_response(413, f"export file larger than the limit of {limit} bytes")


def _describe(job: Job) -> dict[str, Any]:
    counts = {"records": 0, "accepted": 0, "rejected": 0, "resources": {}} | job.counts
    output = None
    if job.status == "done":
        output = (Path("ingest") / job.id / OUTPUT).as_posix()
    described: dict[str, Any] = {
        "id": job.id,
        "mapping": job.mapping,
        "source": job.source,
        "status": job.status,
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
        "counts": counts,
        "errors": job.first_errors,
    }
    if job.error:
        described["error"] = job.error
    described["output"] = output
    return described
