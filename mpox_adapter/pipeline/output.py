"""Where converted records go: NDJSON or a transaction Bundle of resources, NDJSON errors."""

from __future__ import annotations

from typing import BinaryIO

import orjson

from mpox_adapter.delivery.bundles import request_for, rewrite_references
from mpox_adapter.mapping.engine import Mapped


class NdjsonWriter:
    """One resource per line, in the order the records came."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, result: Mapped) -> None:
        if result.encoded is not None:
            self.stream.write(result.encoded)
            return
        for resource, _ in result.resources:
            self.stream.write(orjson.dumps(resource) + b"\n")

    def close(self) -> None:
        self.stream.flush()


class BundleWriter:
    """One transaction Bundle, written as it goes so that memory stays flat.

    Resources with an identifier are conditional creates (``ifNoneExist``), so that loading
    the same Bundle twice creates nothing new; the others are updates at their deterministic
    id. References between resources of one record point at the entry's ``urn:uuid``, which
    the server resolves to whatever id it gives the resource.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.first = True
        stream.write(b'{"resourceType":"Bundle","type":"transaction","entry":[')

    def write(self, result: Mapped) -> None:
        if result.encoded is not None:
            raise ValueError("a Bundle needs whole resources: convert in one process")
        ids = {r["id"] for r, _ in result.resources}
        for resource, _ in result.resources:
            entry = {
                "fullUrl": f"urn:uuid:{resource['id']}",
                "resource": rewrite_references(resource, ids, _no_server_ids),
                "request": request_for(resource, "conditional-create"),
            }
            self.stream.write((b"" if self.first else b",") + orjson.dumps(entry))
            self.first = False

    def close(self) -> None:
        self.stream.write(b"]}\n")
        self.stream.flush()


def _no_server_ids(_: str, __: str) -> None:
    """A file is not delivered: no server has given any of its resources an id."""
    return None


class ErrorWriter:
    """One JSON object per rejected record: source, line and the issues (docs/contract.md)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, result: Mapped) -> None:
        line = {
            "source": result.source,
            "line": result.line,
            "issues": [issue.as_dict() for issue in result.issues],
        }
        self.stream.write(orjson.dumps(line) + b"\n")

    def close(self) -> None:
        self.stream.flush()
