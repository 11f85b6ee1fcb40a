"""Read records from a local export, whatever its format, one at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.ingest.csvfile import read_csv
from mpox_adapter.ingest.jsonfile import read_json
from mpox_adapter.ingest.ndjson import read_ndjson
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record
from mpox_adapter.ingest.xlsxfile import read_xlsx

Reader = Callable[[BinaryIO, ReaderOptions, str], Iterator[Record | ReadError]]

READERS: dict[str, Reader] = {
    "csv": read_csv,
    "json": read_json,
    "ndjson": read_ndjson,
    "xlsx": read_xlsx,
}


def read_records(
    stream: BinaryIO, options: ReaderOptions, source: str
) -> Iterator[Record | ReadError]:
    """The records of `stream`, in order, each a `Record` or, if it cannot be read, a `ReadError`.

    Memory stays bounded by one record (and a chunk of input) whatever the size of the
    stream. Problems with the whole stream (empty, not the format, no header, JSON pointer
    not at an array) raise `InputError` when iteration reaches them, located at `source`;
    bad options raise `ConfigurationError`. XLSX needs a seekable stream.
    """
    reader = READERS.get(options.format)
    if reader is None:
        raise ConfigurationError(f"unknown input format {options.format!r}")
    return reader(stream, options, source)


def open_records(path: Path, options: ReaderOptions) -> Iterator[Record | ReadError]:
    """`read_records` on the file at `path`, named by its file name; closed when done.

    A missing file raises `InputError` at once; the file is opened on first iteration.
    """
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise InputError(f"the input file {what}", path.name)
    if options.format not in READERS:
        raise ConfigurationError(f"unknown input format {options.format!r}")
    return _read_file(path, options)


def _read_file(path: Path, options: ReaderOptions) -> Iterator[Record | ReadError]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InputError(f"the input file cannot be opened: {exc.strerror}", path.name) from None
    with stream:
        yield from read_records(stream, options, path.name)
