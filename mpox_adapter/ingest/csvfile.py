"""CSV: the header line names the fields; one record per row, read as it streams."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING, BinaryIO

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.ingest.lines import LineSource, resolve_encoding
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record

if TYPE_CHECKING:
    from _csv import Reader

DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(line: str, quotechar: str = '"') -> str:
    """The one of `DELIMITERS` that splits `line` into the most fields; ties go to ``,``."""
    best, most = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            count = len(next(_reader([line], delimiter, quotechar), []))
        except csv.Error:
            count = line.count(delimiter) + 1
        if count > most:
            best, most = delimiter, count
    return best


def read_csv(stream: BinaryIO, options: ReaderOptions, source: str) -> Iterator[Record | ReadError]:
    encoding = resolve_encoding(options.encoding)
    quotechar = options.quotechar
    if len(quotechar) > 1 or (quotechar and quotechar in "\r\n"):
        raise ConfigurationError(f"CSV quotechar must be one character or empty, not {quotechar!r}")
    lines_source = LineSource(stream, encoding, source)
    lines = lines_source.lines()
    peeked: list[str] = []
    for text in lines:
        peeked.append(text)
        if text.strip() or lines_source.bad:  # a bad line stands in as blank: stop at it
            break
    else:
        raise InputError("the file is empty: no header line", source)
    delimiter = options.delimiter or sniff_delimiter(peeked[-1], quotechar)
    if len(delimiter) != 1 or delimiter in "\r\n" or delimiter == quotechar:
        raise ConfigurationError(f"CSV delimiter must be one character, not {delimiter!r}")
    reader = _reader(chain(peeked, lines), delimiter, quotechar)
    header = _header(reader, lines_source, source)
    yield from _rows(reader, header, delimiter, lines_source, source)


def _reader(lines: Iterator[str] | list[str], delimiter: str, quotechar: str) -> Reader:
    # strict: an unclosed quote at the end of the file is an error rather than a last field
    # that silently swallowed every line after it; text after a closing quote is too.
    if quotechar:
        return csv.reader(lines, delimiter=delimiter, quotechar=quotechar, strict=True)
    return csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE, strict=True)


def _header(reader: Reader, lines: LineSource, source: str) -> tuple[str, ...]:
    row: list[str] = []
    while not any(name.strip() for name in row):
        try:
            row = next(reader)
        except StopIteration:
            raise InputError("the file is empty: no header line", source) from None
        except csv.Error as exc:
            raise InputError(f"the header cannot be read: {_csv_message(exc)}", source) from None
        where = f"{source}:{reader.line_num}"
        if problems := lines.pop_bad(reader.line_num):
            raise InputError(f"the header cannot be read: {'; '.join(problems)}", where)
    names = [name.strip() for name in row]
    while not names[-1]:
        names.pop()  # spreadsheet exports end lines with empty columns: "a;b;;"
    header = tuple(names)
    seen: dict[str, int] = {}
    for column, name in enumerate(header, 1):
        if name in seen:
            # Not the name itself: a file without a header has personal data in its first line.
            raise InputError(f"header columns {seen[name]} and {column} have the same name", where)
        seen[name] = column
    return header


def _rows(
    reader: Reader,
    header: tuple[str, ...],
    delimiter: str,
    lines: LineSource,
    source: str,
) -> Iterator[Record | ReadError]:
    width = len(header)
    bad = lines.bad
    last = reader.line_num  # physical lines consumed so far: the next record starts after it
    while True:
        try:
            # The hot loop: everything per row is a C call, except the rare branches.
            for row in reader:
                start = last + 1
                last = reader.line_num
                if bad and bad[0][0] <= last:
                    yield ReadError(source, start, "; ".join(lines.pop_bad(last)))
                elif len(row) == width:
                    if any(row):
                        yield Record(source, start, dict(zip(header, row, strict=True)))
                elif len(row) > width and not any(row[width:]):
                    if any(row):
                        yield Record(source, start, dict(zip(header, row[:width], strict=True)))
                elif any(value.strip() for value in row):
                    yield ReadError(
                        source, start, _count_message(width, len(row), delimiter, start, last)
                    )
            return
        except csv.Error as exc:
            start = last + 1
            last = reader.line_num
            problems = [*lines.pop_bad(last), _csv_message(exc) + _span(start, last)]
            yield ReadError(source, start, "; ".join(problems))


def _count_message(width: int, found: int, delimiter: str, start: int, last: int) -> str:
    found_text = f"expected {width} fields as in the header, found {found}"
    return f"{found_text} (delimiter {delimiter!r}){_span(start, last)}"


def _span(start: int, last: int) -> str:
    # A broken record over several lines is almost always an unclosed quote, and the lines
    # it swallowed are not read as records of their own: say which they are.
    if last == start:
        return ""
    return f"; the record runs over lines {start}-{last}: an unclosed quote?"


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "new-line character" in text:
        # The csv module's hint (newline='') is about how to open files, useless to a user.
        return "a carriage return (CR) inside an unquoted field"
    return f"not valid CSV: {text}"
