"""NDJSON (JSON Lines): one JSON object per line; blank lines are skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, NoReturn

from mpox_adapter.ingest.jsonfile import json_type
from mpox_adapter.ingest.lines import LineSource, resolve_encoding
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record


def _reject_constant(name: str) -> NoReturn:
    # NaN and Infinity are not JSON; the JSON reader (ijson) rejects them too.
    raise ValueError(f"{name} is not a JSON value")


# The json module, not orjson (3x faster): orjson turns integers beyond 64 bits into floats,
# silently changing them, and the JSON reader keeps them exact.
_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def read_ndjson(
    stream: BinaryIO, options: ReaderOptions, source: str
) -> Iterator[Record | ReadError]:
    lines = LineSource(stream, resolve_encoding(options.encoding), source)
    bad = lines.bad
    for number, text in enumerate(lines.lines(), 1):
        if bad and bad[0][0] <= number:
            yield ReadError(source, number, "; ".join(lines.pop_bad(number)))
            continue
        if not text.strip():
            continue
        try:
            value = _decode(text)
        except json.JSONDecodeError as exc:
            yield ReadError(source, number, f"not valid JSON at column {exc.colno}: {exc.msg}")
            continue
        except ValueError as exc:
            yield ReadError(source, number, f"not valid JSON: {exc}")
            continue
        except RecursionError:
            yield ReadError(source, number, "not readable JSON: nested too deeply")
            continue
        if isinstance(value, dict):
            yield Record(source, number, value)
        else:
            yield ReadError(source, number, f"the line holds {json_type(value)}, not an object")
