"""Decoded physical lines of a byte stream, in bounded memory, with bad lines set aside.

The line-based readers (CSV, NDJSON) need three things the standard library does not give
together: memory bounded by a line rather than by the file, one undecodable line costing one
record rather than the whole file, and speed. Decoding a whole chunk at once and splitting it
in C (`io.StringIO`) is several times faster than decoding line by line, so lines are decoded
one at a time only in a chunk that failed to decode as a whole.
"""

from __future__ import annotations

import codecs
import io
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import BinaryIO

from mpox_adapter.errors import ConfigurationError, InputError

CHUNK_BYTES = 1 << 16
MAX_LINE_BYTES = 8 << 20
"""A longer line is skipped (and reported): bounds memory for a file without line ends.

Checked as chunks arrive, so a line may reach ``MAX_LINE_BYTES + CHUNK_BYTES`` before it is.
"""

_PROBE = "\r\n,;\t|\"'azAZ09 "


def resolve_encoding(encoding: str | None) -> str:
    """The codec name to decode with; `ConfigurationError` for one the readers cannot use."""
    name = encoding or "utf-8"
    try:
        canonical = codecs.lookup(name).name
        # A BOM is stripped once at the start of the file: "utf-8-sig" per chunk would also
        # eat a U+FEFF that happens to start a later chunk.
        if canonical == "utf-8-sig":
            canonical = "utf-8"
        # Line ends are looked for in the raw bytes, which only works when ASCII is itself.
        compatible = _PROBE.encode(canonical) == _PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        raise ConfigurationError(f"unknown or unusable text encoding {name!r}") from None
    if not compatible:
        raise ConfigurationError(
            f"encoding {name!r} is not ASCII-compatible (UTF-16/32?): convert the file to UTF-8"
        )
    return canonical


def first_bytes(stream: BinaryIO, encoding: str, source: str, size: int | None = None) -> bytes:
    """The first bytes of the stream (at least four unless it is shorter), BOM removed."""
    size = size or CHUNK_BYTES
    data = stream.read(size)
    while 0 < len(data) < 4:
        more = stream.read(size)
        if not more:
            break
        data += more
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding == "utf-8":
        raise InputError("the file starts with a UTF-16 byte-order mark: save it as UTF-8", source)
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    return data


class LineSource:
    """The physical lines (``\\n``-terminated, line end kept) of a stream, decoded.

    A line that does not decode is replaced by its decoding with U+FFFD, and a line longer
    than `MAX_LINE_BYTES` by an empty line, so that a CSV parser keeps its place; either is
    noted in `bad` as ``(line number, message)`` in line order, for the reader to turn the
    record that holds it into a `ReadError`.
    """

    __slots__ = ("_encoding", "_source", "_stream", "bad")

    def __init__(self, stream: BinaryIO, encoding: str, source: str) -> None:
        self._stream = stream
        self._encoding = encoding
        self._source = source
        self.bad: deque[tuple[int, str]] = deque()

    def lines(self) -> Iterator[str]:
        return chain.from_iterable(self._pieces())

    def pop_bad(self, upto: int) -> list[str]:
        """Messages for the bad lines up to and including line `upto`, removed from `bad`."""
        found = []
        while self.bad and self.bad[0][0] <= upto:
            found.append(self.bad.popleft()[1])
        return found

    def _pieces(self) -> Iterator[Iterable[str]]:
        read = self._stream.read
        pending = bytearray()
        done = 0  # lines handed out so far
        skipping = False  # inside an over-long line: drop bytes up to its end
        data = first_bytes(self._stream, self._encoding, self._source)
        while data:
            if skipping:
                end = data.find(b"\n")
                if end >= 0:
                    data = data[end + 1 :]
                    skipping = False
            if not skipping:
                end = data.rfind(b"\n")
                if end < 0:
                    pending += data
                else:
                    cut = len(pending) + end + 1
                    pending += data
                    body = bytes(pending[:cut])
                    del pending[:cut]
                    yield self._decode(body, done)
                    done += body.count(b"\n")
                if len(pending) > MAX_LINE_BYTES:
                    done += 1
                    self.bad.append((done, f"line {done} is longer than {MAX_LINE_BYTES} bytes"))
                    pending.clear()
                    skipping = True
                    yield ("\n",)
            data = read(CHUNK_BYTES)
        if pending:
            yield self._decode(bytes(pending), done)

    def _decode(self, body: bytes, done: int) -> Iterable[str]:
        try:
            # newline="\n": split on LF only and keep CR, so that line numbers match what
            # editors and `wc -l` show and the csv module still sees the CRLF.
            return io.StringIO(body.decode(self._encoding), newline="\n")
        except UnicodeDecodeError:
            return self._decode_each(body, done)

    def _decode_each(self, body: bytes, done: int) -> list[str]:
        decoded = []
        for number, raw in enumerate(io.BytesIO(body), done + 1):
            try:
                decoded.append(raw.decode(self._encoding))
            except UnicodeDecodeError as exc:
                self.bad.append(
                    (
                        number,
                        f"line {number} is not valid {self._encoding}: byte 0x{raw[exc.start]:02x}"
                        f" at byte offset {exc.start} of the line",
                    )
                )
                decoded.append(raw.decode(self._encoding, "replace"))
        return decoded
