"""Render the settings reference (``docs/configuration.md``) from the settings model itself.

Every key comes from `Settings.model_fields`, walked recursively: its TOML section, type,
default, environment variable and description (the attribute docstring under the field).
Nothing here names a particular key, so a new or changed setting shows up by regenerating::

    python -m mpox_adapter.settings_reference > docs/configuration.md

A unit test compares the file with `render()`. Defaults that depend on the machine (paths in
the user's cache directory, beside the installed package, under the home directory) are
written with a placeholder, so the text is the same everywhere.
"""

from __future__ import annotations

import enum
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import platformdirs
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import mpox_adapter
from mpox_adapter.settings import CONFIG_ENV_VAR, Settings

REGENERATE = "python -m mpox_adapter.settings_reference > docs/configuration.md"
ENV_PREFIX = "MPOX_"
ENV_DELIMITER = "__"
NAME_PLACEHOLDER = "NAME"
"""Stands for a key of your choice in a table of sections (``[destinations.NAME]``)."""

_HEADER = f"""\
# Configuration reference

<!-- Generated from mpox_adapter/settings.py; do not edit by hand. Regenerate with:
     {REGENERATE}
     (tests/unit/test_settings_reference.py fails while this file is out of date.) -->

This file is generated from the settings model (`mpox_adapter/settings.py`). To change it,
change the model or the docstrings under its fields, then run, from the repository root:

```sh
.venv/bin/{REGENERATE}
```

## Where settings come from

The adapter builds one settings object when it starts. Each key is taken from the first of
these that sets it:

1. a command-line flag, where the command has one (for example `serve --port`);
2. an environment variable `{ENV_PREFIX}<SECTION>{ENV_DELIMITER}<KEY>` (nested keys joined by
   `{ENV_DELIMITER}`; lists and tables written as JSON, for example
   `{ENV_PREFIX}CDS{ENV_DELIMITER}ALLOWED_FHIR_SERVERS='["https://ehr.example.org/fhir"]'`);
3. the TOML file given by `--config FILE`, or else by the environment variable
   `{CONFIG_ENV_VAR}`;
4. the default below.

A key the model does not know, in the file or in a `{ENV_PREFIX}` variable, stops the adapter
with a configuration error (exit code 2) that names it; so does a value of the wrong type or
out of range.

How to read the tables: *unset* means the key is left out (Python `None`); *required* means
the section is refused without it; `{NAME_PLACEHOLDER}` is a name you choose, the same in the
section header and in the environment variable. Paths may be relative (to the directory the
adapter is started in). Placeholders in defaults: `<user cache>` is the user's cache
folder for the adapter (on Linux `~/.cache/mpox-adapter`, or `$XDG_CACHE_HOME/mpox-adapter`;
on macOS `~/Library/Caches/mpox-adapter`); `<package>` is the folder of the installed
`mpox_adapter` package; `<root>` is the folder that holds it (the repository root in a
checkout).
"""


EXAMPLE = """\
jurisdiction = "NO"
data_dir = "var"

[server]
host = "0.0.0.0"
port = 8000

[store]
url = "postgresql://adapter@db.example.org/mpox"

[destinations.registry]
base_url = "https://registry.example.org/fhir"
resource_types = ["Patient", "Immunization"]
mode = "transaction"
auth = { type = "smart-backend", token_url = "https://auth.example.org/token", \
client_id = "mpox-adapter", key_file = "keys/client.pem", \
scope = "system/Immunization.write system/Patient.write" }

[cds]
trusted_issuers = { "https://ehr.example.org" = "https://ehr.example.org/.well-known/jwks.json" }
allowed_fhir_servers = ["https://ehr.example.org/fhir"]
public_base_url = "https://adapter.example.org"
"""
"""A configuration file that sets a few keys (the test loads it, so it stays valid)."""


@dataclass(frozen=True, slots=True)
class Key:
    """One setting as the reference shows it."""

    toml_key: str
    type: str
    default: str
    env: str
    description: str


@dataclass(frozen=True, slots=True)
class Section:
    """One TOML table (or the top level) and its keys."""

    title: str
    """``[server]``, ``[destinations.NAME.auth]`` (type = "bearer"), or the top level."""
    description: str
    keys: tuple[Key, ...]


def render(model: type[BaseModel] = Settings) -> str:
    """The whole Markdown reference for `model` (the adapter's `Settings` by default)."""
    parts = [_HEADER]
    parts.append("## Example\n\n```toml\n" + EXAMPLE + "```\n")
    for section in sections(model):
        parts.append(_render_section(section))
    return "\n".join(parts)


def sections(model: type[BaseModel] = Settings) -> list[Section]:
    """The top-level keys first, then every nested table in field order."""
    top = Section("Top level", _doc(model), tuple(_keys(model, ())))
    return [top, *_nested(model, (), ())]


# --- walking the model ---------------------------------------------------------------------


def _keys(
    model: type[BaseModel], env: tuple[str, ...], discriminator: str | None = None
) -> Iterator[Key]:
    """The scalar keys of one table (nested tables are sections of their own)."""
    for name, info in model.model_fields.items():
        if _table_of(info) is not None:
            continue
        description = _description(info)
        if name == discriminator and not description:
            description = "Chooses this kind."
        yield Key(
            toml_key=name,
            type=_type_text(info.annotation, info),
            default=_default_text(info),
            env=_env_name((*env, name)),
            description=description,
        )


@dataclass(frozen=True, slots=True)
class _Table:
    models: tuple[type[BaseModel], ...]
    keyed: bool
    """A table of tables, one per name (``dict[str, Model]``)."""
    optional: bool
    discriminator: str | None


def _table_of(info: FieldInfo) -> _Table | None:
    """How a field nests, or None for a plain value."""
    annotation = info.annotation
    keyed = False
    if get_origin(annotation) is dict:
        key_type, annotation = get_args(annotation)
        if key_type is not str:
            return None
        keyed = True
    members = _union_members(annotation)
    optional = type(None) in members
    models = tuple(m for m in members if isinstance(m, type) and issubclass(m, BaseModel))
    if not models or len(models) + optional != len(members):
        return None
    discriminator = info.discriminator if isinstance(info.discriminator, str) else None
    return _Table(models, keyed, optional, discriminator)


def _nested(model: type[BaseModel], toml: tuple[str, ...], env: tuple[str, ...]) -> list[Section]:
    found: list[Section] = []
    for name, info in model.model_fields.items():
        table = _table_of(info)
        if table is None:
            continue
        inner_toml = (*toml, name, NAME_PLACEHOLDER) if table.keyed else (*toml, name)
        inner_env = (*env, name, NAME_PLACEHOLDER) if table.keyed else (*env, name)
        title = f"[{'.'.join(inner_toml)}]"
        if table.discriminator is None:
            member = table.models[0]
            texts = [_doc(member), _description(info)]
            if not texts[1]:
                texts.append(_table_note(table))
            found.append(Section(title, _join(texts), tuple(_keys(member, inner_env))))
            found.extend(_nested(member, inner_toml, inner_env))
            continue
        # A choice between kinds of table: an introduction, then one section per kind.
        kinds = [(m, _discriminator_value(m, table.discriminator)) for m in table.models]
        choices = ", ".join(f"`{value}`" for _, value in kinds if value is not None)
        intro = (
            f"The key `{table.discriminator}` chooses the kind: {choices}. The section may also"
            f' be written inline: `{name} = {{ {table.discriminator} = "...", ... }}`.'
        )
        found.append(Section(title, _join([_description(info), intro]), ()))
        for member, value in kinds:
            found.append(
                Section(
                    f'{title} with {table.discriminator} = "{value}"',
                    _doc(member),
                    tuple(_keys(member, inner_env, table.discriminator)),
                )
            )
            found.extend(_nested(member, inner_toml, inner_env))
    return found


def _table_note(table: _Table) -> str:
    if table.keyed:
        return "A table of sections: write one for each name you choose."
    if table.optional:
        return "Optional: leave the section out to do without it."
    return ""


def _join(texts: list[str]) -> str:
    return " ".join(text for text in texts if text)


def _discriminator_value(model: type[BaseModel], discriminator: str | None) -> str | None:
    if discriminator is None:
        return None
    info = model.model_fields.get(discriminator)
    values = get_args(info.annotation) if info is not None else ()
    return str(values[0]) if len(values) == 1 else None


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


# --- text ----------------------------------------------------------------------------------


def _env_name(path: tuple[str, ...]) -> str:
    return ENV_PREFIX + ENV_DELIMITER.join(part.upper() for part in path)


def _doc(model: type[BaseModel]) -> str:
    own = model.__dict__.get("__doc__")
    return _clean(own) if isinstance(own, str) else ""


def _description(info: FieldInfo) -> str:
    return _clean(info.description or "")


def _clean(text: str) -> str:
    """One line of Markdown: reStructuredText literals become Markdown code."""
    return " ".join(text.split()).replace("``", "`")


def _type_text(annotation: Any, info: FieldInfo | None = None) -> str:
    members = _union_members(annotation)
    if len(members) > 1:
        optional = type(None) in members
        named = [_type_text(m) for m in members if m is not type(None)]
        text = " or ".join(named)
        return f"{text}, or unset" if optional else text
    origin = get_origin(annotation)
    if origin is Literal and len(get_args(annotation)) == 1:
        return f"`{_toml(get_args(annotation)[0])}`"
    if origin is Literal:
        return "one of " + ", ".join(f"`{_toml(value)}`" for value in get_args(annotation))
    if origin is tuple:
        return f"list of {_plural(_type_text(get_args(annotation)[0]))}"
    if origin in (list, set, frozenset):
        return f"list of {_plural(_type_text(get_args(annotation)[0]))}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"table of {_type_text(key)} → {_type_text(value)}"
    base = _SIMPLE.get(annotation)
    if base is None:
        base = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    bounds = _bounds(info) if info is not None else ""
    return f"{base} {bounds}".strip()


_SIMPLE: Mapping[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    Path: "path",
}


def _plural(text: str) -> str:
    return text + "s" if text in _SIMPLE.values() else text


def _bounds(info: FieldInfo) -> str:
    limits = []
    for item in info.metadata:
        for attribute, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(item, attribute, None)
            if isinstance(item, annotated_types.BaseMetadata) and value is not None:
                limits.append(f"{sign} {value}")
        min_length = getattr(item, "min_length", None)
        if isinstance(item, annotated_types.BaseMetadata) and min_length:
            limits.append("not empty")
    return f"({', '.join(limits)})" if limits else ""


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "*required*"
    value = info.get_default(call_default_factory=True, validated_data={})
    if value is None:
        return "*unset*"
    text = _toml(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text += _binary_size(value)
    return f"`{text}`"


def _binary_size(value: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if value >= size and value % size == 0:
            return f" ({value // size} {unit})"
    return ""


def _toml(value: Any) -> str:
    """A value as TOML writes it, with machine-dependent paths made generic."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _toml(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return _toml(_portable_path(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, BaseModel):
        return "(see its section)"
    return str(value)


def _anchors() -> list[tuple[Path, str]]:
    package = Path(mpox_adapter.__file__).resolve().parent
    anchors = [
        (Path(platformdirs.user_cache_dir("mpox-adapter")).resolve(), "<user cache>"),
        (package, "<package>"),
        (package.parent, "<root>"),
        (Path.home().resolve(), "~"),
    ]
    # The most specific folder first: the cache lies under the home directory.
    return sorted(anchors, key=lambda anchor: len(anchor[0].parts), reverse=True)


def _portable_path(path: Path) -> str:
    if not path.is_absolute():
        return path.as_posix()
    resolved = path.resolve()
    for folder, placeholder in _anchors():
        if resolved == folder or folder in resolved.parents:
            rest = resolved.relative_to(folder).as_posix()
            return placeholder if rest == "." else f"{placeholder}/{rest}"
    return resolved.as_posix()


# --- Markdown ------------------------------------------------------------------------------


def _render_section(section: Section) -> str:
    lines = [f"## {section.title}", ""]
    if section.description:
        lines += [section.description, ""]
    if section.keys:
        lines += [
            "| key | type | default | environment variable | description |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{key.toml_key}` | {_cell(key.type)} | {_cell(key.default)} | "
            f"`{key.env}` | {_cell(key.description)} |"
            for key in section.keys
        ]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
