"""Ingest jobs: a durable queue of uploaded export files and the loop that converts them.

A job is recorded in SQLite only once its input file is on disk, so a queued job always has
its whole input. The worker converts one job at a time in a thread (conversion is CPU-bound
and must not stall the event loop). A job found ``running`` at start-up was cut off by a
crash and is redone from the start: resource ids are deterministic, so redoing is harmless.
That makes one serving process per data folder the rule.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.mapping.engine import Mapped
from mpox_adapter.pipeline.convert import Converter, Counts, run_file
from mpox_adapter.pipeline.output import ErrorWriter, NdjsonWriter

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed"]
INPUT, OUTPUT, ERRORS = "input", "output.ndjson", "errors.ndjson"
FIRST_ERRORS = 100
PROGRESS_EVERY = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, mapping TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    created TEXT NOT NULL, started TEXT, finished TEXT,
    counts TEXT NOT NULL DEFAULT '{}', first_errors TEXT NOT NULL DEFAULT '[]', error TEXT
)"""
_SELECT = "SELECT id, mapping, source, status, created, started, finished, counts, first_errors, \
error FROM jobs"
_INSERT = "INSERT INTO jobs (id, mapping, source, status, created) VALUES (?, ?, ?, 'queued', ?)"
_NEXT = _SELECT + " WHERE status = 'queued' ORDER BY created, rowid LIMIT 1"
_CLAIM = (
    "UPDATE jobs SET status = 'running', started = ?, finished = NULL, error = NULL WHERE id = ?"
)
_REQUEUE = """UPDATE jobs SET status = 'queued', started = NULL
WHERE status = 'running' AND (? IS NULL OR id = ?)"""
_UPDATE = """UPDATE jobs SET counts = ?, first_errors = ?, status = coalesce(?, status),
finished = coalesce(?, finished), error = ? WHERE id = ?"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    mapping: str
    source: str
    status: Status
    created: str
    started: str | None = None
    finished: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    first_errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class JobStore:
    """Jobs in ``<root>/jobs.db``, their files in ``<root>/<id>/``; safe to share by threads.

    The database is created by the first job, so an app that never ingests leaves no files.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "jobs.db"
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def create(self, job_id: str, mapping: str, source: str) -> Job:
        """Record a job whose input is already at `folder(job_id)/input`."""
        job = Job(job_id, mapping, source, "queued", _now())
        self._run(_INSERT, (job.id, job.mapping, job.source, job.created), create=True)
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._run(_SELECT + " WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def claim_next(self) -> Job | None:
        """The oldest queued job, now marked running."""
        with self._transaction() as conn:
            row = conn.execute(_NEXT).fetchone() if conn else None
            if conn is None or row is None:
                return None
            job = replace(_job(row), status="running", started=_now())
            conn.execute(_CLAIM, (job.started, job.id))
        return job

    def requeue(self, job_id: str | None = None) -> None:
        """Put one running job (or, with no id, every running job) back in the queue."""
        self._run(_REQUEUE, (job_id, job_id))

    def update(
        self,
        job_id: str,
        counts: dict[str, Any],
        first_errors: list[dict[str, Any]],
        status: Status | None = None,
        error: str | None = None,
    ) -> None:
        """Record progress; with a final `status`, also the end of the job."""
        finished = _now() if status else None
        details = (orjson.dumps(counts).decode(), orjson.dumps(first_errors).decode())
        self._run(_UPDATE, (*details, status, finished, error, job_id), create=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _run(self, sql: str, args: tuple[Any, ...], create: bool = False) -> list[sqlite3.Row]:
        with self._transaction(create) as conn:
            return conn.execute(sql, args).fetchall() if conn else []

    @contextmanager
    def _transaction(self, create: bool = False) -> Iterator[sqlite3.Connection | None]:
        """The connection, locked and in a transaction; None while there is no database."""
        with self._lock:
            if self._conn is None and (create or self.path.exists()):
                self._conn = self._open()
            if self._conn is None:
                yield None
                return
            with self._conn:
                yield self._conn

    def _open(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a job acknowledged with 202 must survive a power cut, not just a crash.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(_SCHEMA)
        conn.commit()
        return conn


def _job(row: sqlite3.Row) -> Job:
    values = dict(row)
    values["counts"] = orjson.loads(values["counts"])
    values["first_errors"] = orjson.loads(values["first_errors"])
    return Job(**values)


class JobEvents(Protocol):
    """What the worker reports as it goes (metrics); called from the worker thread."""

    def job_finished(self, status: Status) -> None: ...

    def records(self, accepted: int, rejected: int) -> None: ...


class _StoppedError(Exception):
    """The worker is shutting down; the job goes back to the queue."""


class JobWorker:
    """Takes queued jobs in creation order and converts them, one at a time."""

    def __init__(
        self,
        store: JobStore,
        converter_for: Callable[[str], Converter],
        events: JobEvents,
        poll_seconds: float = 3.0,
        sink: Callable[[Iterable[Mapped]], Iterable[Mapped]] | None = None,
    ) -> None:
        self.store = store
        self.converter_for = converter_for
        self.events = events
        self.sink = sink
        """Passes results on to the next stage (the outbox) as they go by."""
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = threading.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ingest")

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        # Whatever is still `running` was cut off when the last process died: redo it.
        await loop.run_in_executor(self._executor, self.store.requeue, None)
        while not self._stopping.is_set():
            # Clear before looking, so that a notify() during the look is not lost.
            self._wake.clear()
            job = await loop.run_in_executor(self._executor, self.store.claim_next)
            if job is None:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                continue
            await loop.run_in_executor(self._executor, self.process, job)

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop `task` (running `run`); a job cut short goes back to the queue."""
        self._stopping.set()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        # The thread sees the flag at its next record; wait for it so no write outlives us.
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    def process(self, job: Job) -> None:
        """Convert one claimed job to the end and record how it went."""
        log.info("ingest job started", extra={"job": job.id, "mapping": job.mapping})
        progress = _Progress()
        status: Status = "done"
        error: str | None = None
        try:
            self._convert(job, progress)
        except _StoppedError:
            self.store.requeue(job.id)
            log.info("ingest job interrupted by shutdown", extra={"job": job.id})
            return
        except (InputError, ConfigurationError) as exc:
            status, error = "failed", str(exc)
        except OSError as exc:
            log.error("ingest job files unusable", extra={"job": job.id}, exc_info=exc)
            status, error = "failed", f"job files unusable ({type(exc).__name__})"
        except Exception as exc:
            log.error("ingest job failed", extra={"job": job.id}, exc_info=exc)
            status, error = "failed", f"internal error while converting ({type(exc).__name__})"
        self._report(job, progress, status, error)
        self.events.job_finished(status)
        log.info("ingest job %s", status, extra={"job": job.id, **progress.counts.as_dict()})

    def _convert(self, job: Job, progress: _Progress) -> None:
        folder = self.store.folder(job.id)
        converter = self.converter_for(job.mapping)
        counts = progress.counts
        with (
            (folder / INPUT).open("rb") as stream,
            (folder / OUTPUT).open("wb") as out,
            (folder / ERRORS).open("wb") as err,
        ):
            output, errors = NdjsonWriter(out), ErrorWriter(err)
            results: Iterable[Mapped] = run_file(converter, stream, job.source, workers=1)
            for result in self.sink(results) if self.sink else results:
                if self._stopping.is_set():
                    raise _StoppedError
                counts.add(result)
                if result.rejected:
                    errors.write(result)
                    if len(progress.first_errors) < FIRST_ERRORS:
                        progress.first_errors.append(_error_line(result))
                else:
                    output.write(result)
                if counts.records % PROGRESS_EVERY == 0:
                    self._report(job, progress)
            output.close()
            errors.close()

    def _report(
        self, job: Job, progress: _Progress, status: Status | None = None, error: str | None = None
    ) -> None:
        counts = progress.counts
        self.store.update(job.id, counts.as_dict(), progress.first_errors, status, error)
        accepted, rejected = progress.reported
        self.events.records(counts.accepted - accepted, counts.rejected - rejected)
        progress.reported = (counts.accepted, counts.rejected)


@dataclass(slots=True)
class _Progress:
    counts: Counts = field(default_factory=Counts)
    first_errors: list[dict[str, Any]] = field(default_factory=list)
    reported: tuple[int, int] = (0, 0)
    """Accepted and rejected records already counted in the metrics."""


def _error_line(result: Mapped) -> dict[str, Any]:
    # The same shape ErrorWriter writes, so the job answer and errors.ndjson agree.
    return {
        "source": result.source,
        "line": result.line,
        "issues": [issue.as_dict() for issue in result.issues],
    }
