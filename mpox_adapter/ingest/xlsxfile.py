"""XLSX: the first non-empty row of a sheet names the fields; cells become text.

Cells are turned into the text a user would see in a CSV export of the same sheet, so that
mappings need not care whether a source was delivered as CSV or XLSX: dates as ISO 8601,
whole numbers without ``.0``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import openpyxl

from mpox_adapter.errors import InputError
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record

_MIDNIGHT = dt.time(0)


def cell_text(value: object) -> str:
    """A cell's value as text: ``''`` for empty, ISO 8601 for dates and times."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows and exports them
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # 15 significant digits is what Excel shows: 0.1 + 0.2 is "0.3", not 0.30000000000000004.
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day; the conversion back lands a microsecond off.
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == _MIDNIGHT and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        if value.microsecond >= 500_000 and value < dt.time(23, 59, 59):
            value = (dt.datetime.combine(dt.date.min, value) + dt.timedelta(seconds=1)).timetz()
        return value.replace(microsecond=0).isoformat()
    return str(value)


def read_xlsx(
    stream: BinaryIO, options: ReaderOptions, source: str
) -> Iterator[Record | ReadError]:
    workbook = _open(stream, source)
    try:
        if options.sheet is None:
            if not workbook.worksheets:
                raise InputError("the workbook has no worksheet", source)
            sheet = workbook.worksheets[0]
        elif options.sheet in workbook.sheetnames:
            sheet = workbook[options.sheet]
        else:
            raise InputError(f"the workbook has no sheet named {options.sheet!r}", source)
        if not hasattr(sheet, "reset_dimensions"):
            raise InputError("the sheet is a chart sheet, not a worksheet", source)
        # The stored dimensions are often wrong (some writers never update them) and
        # would cut rows and columns off: read what is there.
        sheet.reset_dimensions()
        yield from _rows(sheet.iter_rows(min_row=1, values_only=True), source)
    finally:
        workbook.close()


def _open(stream: BinaryIO, source: str) -> Any:
    if not stream.seekable():
        # A ZIP archive's directory is at its end.
        raise InputError("an XLSX workbook can only be read from a seekable file", source)
    try:
        # Warnings about features openpyxl drops (data validation, styles) say nothing
        # about the values, which are all that is read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:
        # Corrupt workbooks surface as any of a dozen exception types (zipfile, XML,
        # KeyError for a missing part): all mean the same to the user.
        raise InputError(f"not an XLSX workbook ({type(exc).__name__})", source) from None


def _rows(rows: Iterator[Sequence[Any]], source: str) -> Iterator[Record | ReadError]:
    header: tuple[str, ...] | None = None
    number = 0
    try:
        for number, values in enumerate(rows, 1):
            if all(value is None or value == "" for value in values):
                continue
            if header is None:
                header = _header(values, source, number)
                width = len(header)
                continue
            if len(values) > width and any(
                value is not None and value != "" for value in values[width:]
            ):
                yield ReadError(
                    source, number, f"the row has values beyond the header's {width} columns"
                )
                continue
            texts = [cell_text(value) for value in values[:width]]
            texts.extend([""] * (width - len(texts)))
            yield Record(source, number, dict(zip(header, texts, strict=True)))
    except InputError:
        raise
    except Exception as exc:
        # The sheet's XML is parsed as it streams, so corruption shows up mid-way.
        yield ReadError(
            source, number + 1, f"the sheet cannot be read past here ({type(exc).__name__})"
        )
        return
    if header is None:
        raise InputError("the sheet is empty: no header row", source)


def _header(values: Sequence[Any], source: str, number: int) -> tuple[str, ...]:
    names = [cell_text(value).strip() for value in values]
    while names and not names[-1]:
        names.pop()  # formatted but empty cells right of the header
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if name in seen:
            raise InputError(
                f"header columns {seen[name]} and {column} have the same name", f"{source}:{number}"
            )
        seen[name] = column
    return tuple(names)
