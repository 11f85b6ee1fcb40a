"""Checks every occurrence of an element gets after its content: fixed values and bindings,
references, extensions against their definitions, and invariants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpox_adapter.validation.fhirpath import EvalContext, element_node
from mpox_adapter.validation.issues import Issue, Severity
from mpox_adapter.validation.references import check_reference
from mpox_adapter.validation.structure import ElementNode
from mpox_adapter.validation.value_rules import check_value_rules

if TYPE_CHECKING:
    from mpox_adapter.validation.engine import _Run

EXTENSION_NAMES = frozenset({"extension", "modifierExtension"})


def common_checks(
    run: _Run,
    value: Any,
    node: ElementNode,
    path: str,
    context: EvalContext,
    type_code: str,
    extra: Any = None,
) -> None:
    if node.has_value_rules:
        check_value_rules(run, value, node, path, type_code)
    if type_code == "Reference" and isinstance(value, dict):
        check_reference(run, value, node, path, context)
    if (
        node.name in EXTENSION_NAMES
        and isinstance(value, dict)
        and not any(t.profiles for t in node.types)
    ):
        check_extension(run, value, node, path, context)
    focus = element_node(value, extra, type_code) if isinstance(extra, dict) else value
    bound = run.validator.context_bound_expressions
    at_root = focus is context.resource
    memo = run.validator.invariant_memo
    for constraint, check in run.validator.invariants_of(node):
        if constraint.expression in bound:
            run.context_bound = True
        key = memo.key(constraint.expression, focus) if at_root else None
        holds = memo.get(key) if key is not None else None
        if holds is None:
            try:
                holds = bool(check(focus, context))
            except Exception as exc:
                run.report(
                    "warning",
                    "processing",
                    path,
                    f"{constraint.key}: could not evaluate ({type(exc).__name__}: {exc})",
                )
                continue
            if key is not None:
                memo.keep(key, holds)
        if not holds:
            severity: Severity = "error" if constraint.severity == "error" else "warning"
            message = f"{constraint.key}: {constraint.human} (from {constraint.source})"
            run.issues.append(Issue(severity, "invariant", path, message, constraint.expression))


def check_extension(
    run: _Run, value: dict[str, Any], node: ElementNode, path: str, context: EvalContext
) -> None:
    url = value.get("url")
    if not isinstance(url, str):
        return
    definition = run.registry.get(url)
    if definition is None:
        if node.name == "modifierExtension":
            run.report(
                "error",
                "structure",
                path,
                f"modifier extension {url} is not known and cannot be ignored",
            )
        else:
            run.report(
                "warning",
                "not-found",
                path,
                f"extension {url} is not known; its content was not checked",
            )
        return
    if definition.type != "Extension":
        run.report("error", "structure", path, f"{url} is not an extension definition")
        return
    is_modifier = definition.root.is_modifier
    if is_modifier and node.name == "extension":
        run.report(
            "error",
            "structure",
            path,
            f"{url} is a modifier extension and must be used as modifierExtension",
        )
    elif not is_modifier and node.name == "modifierExtension":
        run.report(
            "error",
            "structure",
            path,
            f"{url} is not a modifier extension and must be used as extension",
        )
    run.complex(value, definition.root, path, context, "Extension", 0)
    common_checks(run, value, definition.root, path, context, "Extension")
