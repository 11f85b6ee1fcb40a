"""Local export files in, valid resources or located errors out.

The stages do not know each other; this module joins them. A record is accepted whole or
rejected whole: if any resource it yields breaks its profile, none of them is kept, and the
record's errors name its file, line and the source columns at fault. Large inputs are spread
over worker processes in chunks; results come back in input order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.ingest.readers import read_records
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record
from mpox_adapter.mapping.engine import CompiledMapping, FieldIssue, Mapped, load_named_mapping
from mpox_adapter.mapping.folders import MappingFolders
from mpox_adapter.settings import Settings
from mpox_adapter.validation.engine import Validator
from mpox_adapter.validation.issues import Issue
from mpox_adapter.validation.memo import fingerprint

CHUNK = 256
VALID_CACHE = 20_000
PARALLEL_FROM_BYTES = 4 * 1024 * 1024


@dataclass
class Counts:
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    resources: dict[str, int] = field(default_factory=dict)

    def add(self, result: Mapped) -> None:
        self.records += 1
        if result.rejected:
            self.rejected += 1
            return
        self.accepted += 1
        for resource, _ in result.resources:
            self.resources[resource["resourceType"]] = (
                self.resources.get(resource["resourceType"], 0) + 1
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "resources": dict(sorted(self.resources.items())),
        }


class Converter:
    """Maps and validates records with one mapping; cheap to call, costly to build."""

    def __init__(
        self, mapping: CompiledMapping, validator: Validator, settings: Settings | None = None
    ) -> None:
        self.mapping = mapping
        self.validator = validator
        self.settings = settings
        """What worker processes need to build their own converter; None: no parallel runs."""
        self._valid: OrderedDict[bytes, None] = OrderedDict()
        """Resources already found valid, by their JSON: the same person's Patient comes
        back with every dose, and need not be validated again."""

    @property
    def reader_options(self) -> ReaderOptions:
        reader = self.mapping.spec.source.reader
        return ReaderOptions(
            format=reader.format,
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            pointer=reader.pointer,
            sheet=reader.sheet,
        )

    def convert(self, record: Record) -> Mapped:
        result = self.mapping.map(record)
        if result.rejected:
            return result
        for resource, _ in result.resources:
            for issue in self._issues(resource):
                if issue.is_error:
                    resource_type = resource["resourceType"]
                    where = (
                        self.mapping.field_for(resource_type, issue.expression)
                        or (
                            issue.invariant
                            and self.mapping.fields_in_invariant(resource_type, issue.invariant)
                        )
                        or issue.expression
                    )
                    result.issues.append(
                        FieldIssue(
                            issue.severity,
                            issue.code,
                            where,
                            f"{issue.expression}: {issue.diagnostics}",
                        )
                    )
        if result.rejected:
            result.resources = []
        return result

    def _issues(self, resource: dict[str, Any]) -> list[Issue]:
        if resource["resourceType"] == "Provenance":  # one per record: never seen twice
            return self.validator.issues(resource)
        encoded = fingerprint(orjson.dumps(resource))
        if encoded in self._valid:
            self._valid.move_to_end(encoded)
            return []
        issues = self.validator.issues(resource)
        if not any(issue.is_error for issue in issues):
            self._valid[encoded] = None
            if len(self._valid) > VALID_CACHE:
                self._valid.popitem(last=False)
        return issues

    def convert_all(self, records: Iterable[Record | ReadError]) -> Iterator[Mapped]:
        for item in records:
            yield self.convert(item) if isinstance(item, Record) else read_failure(item)


def read_failure(error: ReadError) -> Mapped:
    return Mapped(
        error.source, error.line, "", issues=[FieldIssue("error", "structure", "", error.message)]
    )


def build_converter(settings: Settings, mapping_name: str, definitions: Definitions | None = None,
                    clock: Callable[[], datetime] | None = None) -> Converter:  # fmt: skip
    """The converter for a mapping: the user's (`mappings_dir`) or a shipped one."""
    from mpox_adapter.validation.service import load_definitions

    if definitions is None:
        definitions, _ = load_definitions(settings.definitions)
    folders = MappingFolders(settings.mappings_dir)
    mapping = load_named_mapping(mapping_name, folders, definitions, clock)
    return Converter(mapping, Validator(definitions), settings)


def run_file(
    converter: Converter, stream: BinaryIO, source: str, workers: int = 1
) -> Iterator[Mapped]:
    """Convert every record of one source, in order, with `workers` processes (1: in this one)."""
    records = read_records(stream, converter.reader_options, source)
    if workers <= 1 or converter.settings is None:
        yield from converter.convert_all(records)
        return
    yield from _parallel(converter, records, workers)


def convert_file(converter: Converter, path: str | Path, workers: int = 1) -> Iterator[Mapped]:
    """Convert every record of the file at `path`, in order (see `run_file`)."""
    path = Path(path)
    with path.open("rb") as stream:
        yield from run_file(converter, stream, path.name, workers)


def workers_for(size: int) -> int:
    """Both cores for large inputs; process start-up is not worth it for small ones."""
    return (os.cpu_count() or 1) if size >= PARALLEL_FROM_BYTES else 1


# -- parallel conversion -----------------------------------------------------------------

_worker: Converter | None = None


def _init_worker(settings: Settings, mapping_name: str, recorded: datetime) -> None:
    global _worker  # noqa: PLW0603 - one converter per worker process, built once
    _worker = build_converter(settings, mapping_name, clock=lambda: recorded)


_settled = False


Packed = tuple[str, tuple[str, ...], list[tuple[int, tuple[Any, ...]] | ReadError]]


def _pack(chunk: list[Record | ReadError]) -> Packed:
    """Records as (line, values) under one shared header: a list of dataclasses holding
    dicts costs several times more to pickle, and the reading process has no time to spare."""
    first = next((r for r in chunk if isinstance(r, Record)), None)
    keys = tuple(first.fields) if first else ()
    source = first.source if first else ""
    rows: list[tuple[int, tuple[Any, ...]] | ReadError] = []
    for item in chunk:
        if isinstance(item, Record) and tuple(item.fields) == keys and item.source == source:
            rows.append((item.line, tuple(item.fields.values())))
        elif isinstance(item, Record):
            rows.append((item.line, tuple(item.fields.items())))
        else:
            rows.append(item)
    return source, keys, rows


def _unpack(packed: Packed) -> list[Record | ReadError]:
    source, keys, rows = packed
    records: list[Record | ReadError] = []
    for row in rows:
        if isinstance(row, ReadError):
            records.append(row)
        elif len(row[1]) == len(keys) and not (row[1] and isinstance(row[1][0], tuple)):
            records.append(Record(source, row[0], dict(zip(keys, row[1], strict=True))))
        else:
            records.append(Record(source, row[0], dict(row[1])))
    return records


def _convert_chunk(packed: Packed) -> list[Mapped]:
    global _settled  # noqa: PLW0603 - once per worker process
    assert _worker is not None
    results = list(_worker.convert_all(_unpack(packed)))
    if not _settled:
        # The definitions and the profiles compiled by the first chunk are a great many
        # long-lived objects; left in the cyclic collector's view, every full collection
        # (frequent here, as chunks come and go) walks them all again: a fifth of the time.
        gc.freeze()
        _settled = True
    for result in results:
        # Serialised here, in parallel, rather than pickled as dicts and serialised by the
        # one process that writes the output.
        result.encode()
    return results


def _chunks(records: Iterable[Record | ReadError]) -> Iterator[list[Record | ReadError]]:
    chunk: list[Record | ReadError] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parallel(
    converter: Converter, records: Iterable[Record | ReadError], workers: int
) -> Iterator[Mapped]:
    assert converter.settings is not None
    recorded = converter.mapping.clock()
    gc.freeze()  # the reading process's definitions too: see _convert_chunk
    context = multiprocessing.get_context("forkserver")
    initargs = (converter.settings, converter.mapping.name, recorded)
    with context.Pool(workers, _init_worker, initargs) as pool:
        # Submit a few chunks ahead and no more: Pool.imap would read the whole input
        # into memory when the workers are slower than the reader.
        pending: deque[AsyncResult[list[Mapped]]] = deque()
        for chunk in _chunks(records):
            pending.append(pool.apply_async(_convert_chunk, (_pack(chunk),)))
            if len(pending) > workers * 3:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
