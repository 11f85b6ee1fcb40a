"""Requests for a destination: entries of transaction and batch Bundles, references, receipts.

Delivery is idempotent in effect. A resource with an identifier is a conditional create
(``ifNoneExist``: sending it twice finds the first copy), one without is an update at its
deterministic id; a destination may ask for updates throughout (`idempotency = "put"`).

References between resources are kept valid whatever ids the server assigns: inside one
transaction they point at the entry's ``urn:uuid``, which the server resolves; to a resource
delivered earlier they use the id the server gave it (its receipt); otherwise they stay as
written (the deterministic id, which is the server's id under `put`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")
_LOCATION = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$"
)

ServerIds = Callable[[str, str], str | None]
"""(resource type, our id) -> the id the destination gave it, if it was delivered."""


def request_for(resource: dict[str, Any], idempotency: str) -> dict[str, str]:
    resource_type, resource_id = resource["resourceType"], resource["id"]
    if idempotency == "conditional-create":
        identifier = next(
            (
                i
                for i in resource.get("identifier", [])
                if isinstance(i, dict) and i.get("system") and i.get("value")
            ),
            None,
        )
        if identifier is not None:
            return {
                "method": "POST",
                "url": resource_type,
                "ifNoneExist": f"identifier={identifier['system']}|{identifier['value']}",
            }
    return {"method": "PUT", "url": f"{resource_type}/{resource_id}"}


def rewrite_references(node: Any, in_bundle: set[str] | None, server_ids: ServerIds) -> Any:
    """References to `in_bundle` ids become ``urn:uuid:``; others use the server's id, if known."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                out[key] = _rewrite(value, in_bundle, server_ids)
            else:
                out[key] = rewrite_references(value, in_bundle, server_ids)
        return out
    if isinstance(node, list):
        return [rewrite_references(item, in_bundle, server_ids) for item in node]
    return node


def references(node: Any) -> set[tuple[str, str]]:
    """(type, id) of every relative reference (``Type/id``) in a resource."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                match = _REFERENCE.match(value)
                if match:
                    found.add((match.group(1), match.group(2)))
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def _rewrite(reference: str, in_bundle: set[str] | None, server_ids: ServerIds) -> str:
    match = _REFERENCE.match(reference)
    if match is None:
        return reference
    resource_type, resource_id = match.groups()
    if in_bundle is not None and resource_id in in_bundle:
        return f"urn:uuid:{resource_id}"
    known = server_ids(resource_type, resource_id)
    return f"{resource_type}/{known}" if known else reference


def bundle(
    kind: str, resources: Iterable[dict[str, Any]], idempotency: str, server_ids: ServerIds
) -> dict[str, Any]:
    """A transaction or batch Bundle of `resources`, in order."""
    resources = list(resources)
    # Batches are not resolved as a unit: their entries cannot point at each other's urn:uuid.
    in_bundle = {r["id"] for r in resources} if kind == "transaction" else None
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": rewrite_references(r, in_bundle, server_ids),
                "request": request_for(r, idempotency),
            }
            for r in resources
        ],
    }


def receipt(status: str | int, location: str | None, body: dict[str, Any] | None) -> dict[str, Any]:
    """What the destination said about one resource: its id, version, location and status."""
    code = int(str(status).split(" ", 1)[0]) if str(status).split(" ", 1)[0].isdigit() else 0
    result: dict[str, Any] = {"status": code}
    if location:
        result["location"] = location
        match = _LOCATION.search(location.split("?", 1)[0])
        if match:
            result["id"], result["version"] = match.group(2), match.group(3)
    if body and "id" not in result and isinstance(body.get("id"), str):
        result["id"] = body["id"]
        version = (
            body.get("meta", {}).get("versionId") if isinstance(body.get("meta"), dict) else None
        )
        result["version"] = version
    if result.get("version") is None:
        result.pop("version", None)
    return result


def entry_status(entry: dict[str, Any]) -> int:
    response = entry.get("response") if isinstance(entry, dict) else None
    status = str(response.get("status", "")) if isinstance(response, dict) else ""
    head = status.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0
