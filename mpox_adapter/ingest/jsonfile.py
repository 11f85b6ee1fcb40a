"""JSON: the records are the elements of an array somewhere in the document, streamed.

ijson's C parser reads the file through `_Feed`, which hands it UTF-8 without a BOM, notes
the byte range of each chunk (to locate a syntax error) and shows the first chunks to a
second, event-level parser until the pointer's target starts: that tells "not an array" and
"nothing there" apart from "an empty array" without reading the file twice. The push
interface (``items_coro``) would make the probe simpler but parses 2.5x slower.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO

import ijson

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.ingest.lines import first_bytes, resolve_encoding
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record

CHUNK_BYTES = 1 << 16


def _backend() -> Any:
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # no C extension on this platform: the pure-Python parser, slower
        return ijson


BACKEND = _backend()


def pointer_to_prefix(pointer: str) -> str:
    """An RFC 6901 pointer as an ijson prefix: ``/a~1b/c`` -> ``a/b.c``."""
    if pointer == "":
        return ""
    if not pointer.startswith("/"):
        raise ConfigurationError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]
    if "" in tokens:
        # ijson names the top-level value and a member "" alike: the pointer would be ambiguous.
        raise ConfigurationError(f"JSON pointer {pointer!r} has an empty member name")
    return ".".join(tokens)


def json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def read_json(
    stream: BinaryIO, options: ReaderOptions, source: str
) -> Iterator[Record | ReadError]:
    pointer = options.pointer
    prefix = pointer_to_prefix(pointer)
    feed = _Feed(stream, options.encoding, source, prefix, pointer)
    count = 0
    try:
        # Not use_float=True: yajl then fails on integers beyond 64 bits ("integer
        # overflow"), losing the rest of the file; Decimals are turned into floats below.
        for item in BACKEND.items(feed, f"{prefix}.item" if prefix else "item"):
            count += 1
            yield _record(item, count, source)
    except (ijson.JSONError, UnicodeDecodeError, _TranscodeError) as exc:
        if not feed.located:
            raise InputError(f"not a JSON document: {_describe(exc)}", source) from None
        yield ReadError(
            source,
            count + 1,
            f"the JSON breaks after record {count}, within bytes {feed.start}-{feed.end} of "
            f"the file: {_describe(exc)}; reading stopped",
        )
        return
    finally:
        feed.close()
    if not feed.located:
        raise InputError(f"there is nothing at JSON pointer {pointer!r}", source)


class _Feed:
    """The stream as ijson reads it (``read``), watched until the target array starts."""

    def __init__(
        self, stream: BinaryIO, encoding: str | None, source: str, prefix: str, pointer: str
    ) -> None:
        self._chunks = _utf8_chunks(stream, encoding, source)
        self._source = source
        self._prefix = prefix
        self._pointer = pointer
        self._events = ijson.sendable_list()
        self._probe: Any = BACKEND.parse_coro(self._events)
        self.located = False
        self.start = 0
        self.end = 0

    def read(self, size: int) -> bytes:
        if size == 0:  # ijson checks that the file gives bytes
            return b""
        for end, chunk in self._chunks:
            self.start, self.end = self.end, end
            if not self.located:
                self._watch(chunk)
            return chunk
        return b""

    def close(self) -> None:
        # A parser closed before the end of the document complains that the document ended
        # early; left open, it would complain while being garbage-collected instead.
        with contextlib.suppress(ijson.JSONError, UnicodeDecodeError):
            self._probe.close()

    def _watch(self, chunk: bytes) -> None:
        try:
            self._probe.send(chunk)
        except ijson.JSONError:
            # The chunk may hold the start of the array and, later, a broken record: that
            # is the records' problem, which the main parser reports; otherwise it reports
            # that this is not JSON.
            self.located = self._target_started()
            return
        self.located = self._target_started()
        if self.located:
            self.close()

    def _target_started(self) -> bool:
        """Whether the pointer's target has started; `InputError` if it is not an array."""
        for path, event, _ in self._events:
            if path != self._prefix or event == "map_key":
                continue
            if event == "start_array":
                return True
            kind = "an object" if event == "start_map" else "a single value"
            raise InputError(
                f"JSON pointer {self._pointer!r} points at {kind}, not an array", self._source
            )
        del self._events[:]
        return False


def _record(item: Any, index: int, source: str) -> Record | ReadError:
    if isinstance(item, dict):
        _decimals_to_floats(item)
        return Record(source, index, item)
    return ReadError(source, index, f"record {index} is {json_type(item)}, not an object")


def _decimals_to_floats(value: dict[str, Any] | list[Any]) -> None:
    """Replace, in place, the Decimals ijson makes of non-integer numbers by floats.

    Decimal is not JSON-serialisable (orjson, json) downstream, and a double round-trips
    every realistic value (dose volumes). About 1 µs a record.
    """
    pairs = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in pairs:
        kind = type(item)
        if kind is Decimal:
            value[key] = float(item)  # type: ignore[index]
        elif kind is dict or kind is list:
            _decimals_to_floats(item)


def _utf8_chunks(
    stream: BinaryIO, encoding: str | None, source: str
) -> Iterator[tuple[int, bytes]]:
    """``(end offset in the file, UTF-8 bytes)`` chunks; other encodings are transcoded."""
    codec = resolve_encoding(encoding)
    data = first_bytes(stream, codec, source, CHUNK_BYTES)
    offset = 0
    decoder = None if codec == "utf-8" else codecs.getincrementaldecoder(codec)()
    while data:
        chunk = data if decoder is None else _transcode(decoder, data, codec, offset)
        offset += len(data)
        if chunk:  # an empty chunk tells ijson the document has ended
            yield offset, chunk
        data = stream.read(CHUNK_BYTES)
    if decoder is not None and (rest := _transcode(decoder, b"", codec, offset, final=True)):
        yield offset, rest


class _TranscodeError(ValueError):
    """Bytes that the declared encoding cannot decode (with where, not what)."""


def _transcode(
    decoder: codecs.IncrementalDecoder, data: bytes, codec: str, offset: int, final: bool = False
) -> bytes:
    try:
        return decoder.decode(data, final).encode("utf-8")
    except UnicodeDecodeError as exc:
        at = offset + exc.start
        raise _TranscodeError(f"not valid {codec} at byte offset {at} of the file") from None


def _describe(exc: Exception) -> str:
    """The parser's complaint without the excerpt of the document yajl appends to it."""
    if isinstance(exc, _TranscodeError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):  # from the pure-Python backend
        return f"not valid {exc.encoding} ({exc.reason})"
    text = str(exc)
    if text[:2] in ("b'", 'b"'):
        text = text[2:]
    first = text.replace("\\n", "\n").split("\n", 1)[0].strip()
    return first[:120] or type(exc).__name__
