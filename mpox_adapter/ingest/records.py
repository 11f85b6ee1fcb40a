"""What the readers yield, and how they are told to read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a source, with where it starts.

    `line` is the 1-based physical line where the record starts (CSV, NDJSON), the 1-based
    index in the JSON array (JSON) or the sheet's row number (XLSX). `fields` maps the
    source's own header names to ``str`` values for CSV and XLSX, and is the parsed object
    for JSON and NDJSON.
    """

    source: str
    line: int
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReadError:
    """A record that could not be read; reading goes on with the next one.

    `message` says what is wrong and where (column count, byte offset, encoding), never the
    record's values: they may be identity numbers or names, and messages end up in logs.
    """

    source: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """How to read a source.

    encoding
        ``None`` reads UTF-8 with or without a byte-order mark; otherwise a Python codec
        name such as ``"latin-1"`` or ``"windows-1252"``. Only ASCII-compatible encodings
        are supported (line ends are found in the raw bytes).
    delimiter
        CSV only; ``None`` picks the one of ``, ; TAB |`` that splits the header line into
        the most fields (ties go to ``,``).
    pointer
        JSON only; an RFC 6901 pointer to the array of records, ``""`` for the document
        itself. It may only step through object members.
    sheet
        XLSX only; a sheet name, ``None`` for the first sheet.
    """

    format: Literal["csv", "json", "ndjson", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    quotechar: str = '"'
    pointer: str = ""
    sheet: str | None = None
