"""Where converted records go: NDJSON or a transaction Bundle of resources, NDJSON errors."""

from __future__ import annotations

import re
from typing import Any, BinaryIO

import orjson

from adapter.mapping.engine import Mapped

_LOCAL_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([0-9a-f-]{36})$")


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
                "resource": _localise(resource, ids),
                "request": request_for(resource),
            }
            self.stream.write((b"" if self.first else b",") + orjson.dumps(entry))
            self.first = False

    def close(self) -> None:
        self.stream.write(b"]}\n")
        self.stream.flush()


def request_for(resource: dict[str, Any]) -> dict[str, str]:
    resource_type = resource["resourceType"]
    identifier = next(
        (i for i in resource.get("identifier", []) if i.get("system") and i.get("value")), None
    )
    if identifier is not None:
        return {
            "method": "POST",
            "url": resource_type,
            "ifNoneExist": f"identifier={identifier['system']}|{identifier['value']}",
        }
    return {"method": "PUT", "url": f"{resource_type}/{resource['id']}"}


def _localise(node: Any, ids: set[str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                match = _LOCAL_REFERENCE.match(value)
                out[key] = (
                    f"urn:uuid:{match.group(2)}" if match and match.group(2) in ids else value
                )
            else:
                out[key] = _localise(value, ids)
        return out
    if isinstance(node, list):
        return [_localise(item, ids) for item in node]
    return node


class ErrorWriter:
    """One JSON object per rejected record: source, line and the issues (DESIGN.md)."""

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
