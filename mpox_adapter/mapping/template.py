"""Resource templates: FHIR JSON with placeholders, compiled once into render functions.

In a template, a string ``"$name"`` or ``"$name.part"`` is replaced by that field's value,
keeping its type (a number stays a number, a coding stays an object); ``"{name}"`` inside a
longer string is replaced by the value as text; ``"$$"`` is a literal ``$``. ``{ref: id}``
becomes a reference to another resource of the same record. An object with ``$when: name``
is left out unless that field has a value. Whatever renders to nothing
(a missing value, an empty object or list) is left out, so optional source columns need no
special handling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from mpox_adapter.errors import ConfigurationError

Scope = Mapping[str, Any]
Render = Callable[[Scope], Any]

_WHOLE = re.compile(r"^\$([A-Za-z_][\w-]*(?:\.[\w-]+)*)$")
_INLINE = re.compile(r"\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}")


def lookup(scope: Scope, dotted: str) -> Any:
    head, _, rest = dotted.partition(".")
    value = scope.get(head)
    while rest and value is not None:
        part, _, rest = rest.partition(".")
        value = value.get(part) if isinstance(value, dict) else None
    return value


def compile_text(text: str, where: str, names: set[str] | None = None) -> Callable[[Scope], str]:
    """A ``"{a}|{b.c}"`` key or label template; missing values render as ''."""
    parts: list[str | tuple[str]] = []
    position = 0
    for match in _INLINE.finditer(text):
        parts.append(text[position : match.start()])
        parts.append((match.group(1),))
        _check_name(match.group(1), names, where)
        position = match.end()
    parts.append(text[position:])

    def render(scope: Scope) -> str:
        out = []
        for part in parts:
            if isinstance(part, tuple):
                value = lookup(scope, part[0])
                out.append("" if value is None else str(value))
            else:
                out.append(part)
        return "".join(out)

    return render


def compile_template(
    node: Any,
    where: str,
    names: set[str],
    references: Callable[[Any, str], Render],
    sources: dict[str, str],
    json_path: str,
) -> Render:
    """Compile `node`; `sources` receives json_path -> field name for every placeholder,
    so that a validation error can be traced back to the column it came from."""
    if isinstance(node, dict):
        if set(node) == {"ref"}:
            return references(node["ref"], where)
        guard = node.get("$when")
        if guard is not None:
            _check_name(str(guard), names, where)
        compiled = [
            (
                key,
                compile_template(
                    value, f"{where}.{key}", names, references, sources, f"{json_path}.{key}"
                ),
            )
            for key, value in node.items()
            if key != "$when"
        ]

        def render_object(scope: Scope) -> Any:
            if guard is not None and not lookup(scope, guard):
                return None
            result = {}
            for key, render in compiled:
                value = render(scope)
                if value is not None:
                    result[key] = value
            return result or None

        if guard is None and all(_is_constant(render) for _, render in compiled):
            return _constant(render_object({}))
        return render_object
    if isinstance(node, list):
        items = [
            compile_template(v, f"{where}[{i}]", names, references, sources, json_path)
            for i, v in enumerate(node)
        ]

        def render_list(scope: Scope) -> Any:
            result = []
            for render in items:
                value = render(scope)
                if isinstance(value, list):
                    result.extend(value)
                elif value is not None:
                    result.append(value)
            return result or None

        if all(_is_constant(render) for render in items):
            return _constant(render_list({}))
        return render_list
    if isinstance(node, str):
        return _compile_string(node, where, names, sources, json_path)
    return _constant(node)


def _constant(value: Any) -> Render:
    """A part of a template without placeholders, rendered once. Objects and lists are
    handed out as fresh copies (decoded from their JSON, faster than rebuilding them), so
    that no two resources share a mutable part."""
    if isinstance(value, dict | list):
        encoded = orjson.dumps(value)

        def render_copy(_: Scope) -> Any:
            return orjson.loads(encoded)

        render_copy.constant = True  # type: ignore[attr-defined]
        return render_copy

    def render(_: Scope) -> Any:
        return value

    render.constant = True  # type: ignore[attr-defined]
    return render


def _is_constant(render: Render) -> bool:
    return getattr(render, "constant", False)


def _compile_string(
    text: str, where: str, names: set[str], sources: dict[str, str], json_path: str
) -> Render:
    if text.startswith("$$"):
        return _constant(text[1:])
    whole = _WHOLE.match(text)
    if whole:
        dotted = whole.group(1)
        _check_name(dotted, names, where)
        sources[json_path] = dotted.split(".", 1)[0]

        def render_value(scope: Scope) -> Any:
            value = lookup(scope, dotted)
            return None if value == "" else value

        return render_value
    if _INLINE.search(text):
        for match in _INLINE.finditer(text):
            sources.setdefault(json_path, match.group(1).split(".", 1)[0])
        inline = compile_text(text, where, names)
        return lambda scope: inline(scope) or None
    return _constant(text)


def _check_name(dotted: str, names: set[str] | None, where: str) -> None:
    head = dotted.split(".", 1)[0]
    if names is not None and head not in names:
        raise ConfigurationError(
            f"{where}: unknown field {head!r} (defined: {', '.join(sorted(names))})"
        )
