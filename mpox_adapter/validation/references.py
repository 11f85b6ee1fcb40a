"""References: resolve them inside the resource and its Bundle, and check their targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpox_adapter.validation.fhirpath import EvalContext
from mpox_adapter.validation.structure import STRUCTURE_DEFINITION_BASE, ElementNode

if TYPE_CHECKING:
    from mpox_adapter.validation.engine import _Run


class ReferenceIndex:
    """The resources of the Bundle being validated, by fullUrl and by ``Type/id``."""

    def __init__(self) -> None:
        self.by_url: dict[str, dict[str, Any]] = {}
        self.in_bundle = False

    def index(self, resource: dict[str, Any], _: str) -> None:
        if resource.get("resourceType") != "Bundle" or not isinstance(resource.get("entry"), list):
            return
        self.in_bundle = True
        for entry in resource["entry"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                continue
            target = entry["resource"]
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str):
                self.by_url[full_url] = target
            if isinstance(target.get("resourceType"), str) and isinstance(target.get("id"), str):
                self.by_url.setdefault(f"{target['resourceType']}/{target['id']}", target)

    def resolve(self, reference: str, context: EvalContext) -> dict[str, Any] | None:
        if reference.startswith("#"):
            for item in context.resource.get("contained", []) or []:
                if isinstance(item, dict) and f"#{item.get('id')}" == reference:
                    return item
            return context.root_resource if reference == "#" else None
        found = self.by_url.get(reference)
        if found is None and "/" in reference and "://" in reference:
            parts = reference.rstrip("/").split("/")
            if "_history" in parts:
                parts = parts[: parts.index("_history")]
            found = self.by_url.get("/".join(parts[-2:]))
        return found


def check_reference(
    run: _Run, value: dict[str, Any], node: ElementNode, path: str, context: EvalContext
) -> None:
    reference = value.get("reference")
    if not isinstance(reference, str):
        return
    run.context_bound = True
    type_ref = node.type_for("Reference")
    targets = type_ref.target_profiles if type_ref else ()
    resolved = run.references.resolve(reference, context)
    if resolved is None:
        if reference.startswith("#") and reference != "#":
            run.report("error", "not-found", path, f"contained resource {reference} not found")
        elif reference.startswith(("urn:uuid:", "urn:oid:")) and run.references.in_bundle:
            run.report(
                "error",
                "not-found",
                path,
                f"{reference} does not resolve to an entry of the Bundle",
            )
    actual = resolved.get("resourceType") if resolved else _type_of(reference, value)
    allowed = {_target_type(run, url) for url in targets}
    if resolved is not None:
        # The target is here to be checked, so a profile we cannot resolve is a gap we must report.
        for url in targets:
            if not _target_type(run, url):
                run.report(
                    "error",
                    "not-found",
                    path,
                    f"the target profile {url} cannot be resolved; load the guide that defines it",
                )
    decidable = "" not in allowed and "Resource" not in allowed
    if actual and allowed and decidable and actual not in allowed:
        run.report(
            "error",
            "structure",
            path,
            f"reference to a {actual} is not allowed here "
            f"(allowed: {', '.join(sorted(t for t in allowed if t))})",
        )
        return
    if resolved is None:
        return
    candidates = [url for url in targets if _is_constraint_on(run, url, actual)]
    if candidates and not any(run.conforms(resolved, url) for url in candidates):
        run.report(
            "error",
            "structure",
            path,
            f"the referenced {actual} does not conform to {' or '.join(candidates)}",
        )


def _is_constraint_on(run: _Run, url: str, resource_type: str | None) -> bool:
    compiled = run.registry.get(url)
    return (
        compiled is not None
        and compiled.derivation == "constraint"
        and compiled.type == resource_type
    )


def _type_of(reference: str, value: dict[str, Any]) -> str | None:
    declared = value.get("type")
    if isinstance(declared, str):
        return declared.rsplit("/", 1)[-1]
    if reference.startswith(("#", "urn:")):
        return None
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts[-2] if len(parts) >= 2 and parts[-2][:1].isupper() else None


def _target_type(run: _Run, url: str) -> str:
    if url.startswith(STRUCTURE_DEFINITION_BASE) and "/" not in url.removeprefix(
        STRUCTURE_DEFINITION_BASE
    ):
        return url.removeprefix(STRUCTURE_DEFINITION_BASE)
    compiled = run.registry.get(url)
    return compiled.type if compiled else ""
