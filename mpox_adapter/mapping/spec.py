"""The mapping file format (``<name>.yaml``), checked when it is loaded.

See docs/mappings.md for every key with examples. A mistake in a mapping file is a
`ConfigurationError` naming the file and the key, raised before any record is read.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mpox_adapter.errors import ConfigurationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReaderSpec(_Strict):
    format: Literal["csv", "json", "ndjson", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    pointer: str = ""
    sheet: str | None = None


class SourceSpec(_Strict):
    system: str = Field(min_length=1)
    """A URI naming the source system; part of every resource id and of the Provenance."""
    reader: ReaderSpec


class FieldSpec(_Strict):
    source: str | list[str] | dict[str, str] | None = Field(default=None, alias="from")
    """A column (or dotted JSON path), several columns joined by `join`, or named columns
    gathered into one value (``{value: person_id, type: id_type}``)."""
    const: Any = None
    join: str = " "
    required: bool = False
    transform: list[Any] = Field(default_factory=list)


class Condition(_Strict):
    field: str
    equals: Any = None
    one_of: list[Any] | None = Field(default=None, alias="in")


class ResourceSpec(_Strict):
    type: str
    key: str = Field(min_length=1)
    """Business key template, e.g. ``"{person.value}|{occurrence}"``; with the mapping and the
    source system it gives the resource its deterministic id."""
    profile: str | None = None
    when: str | Condition | None = None
    for_each: str | None = None
    template: dict[str, Any]

    @field_validator("template")
    @classmethod
    def _has_type(cls, template: dict[str, Any]) -> dict[str, Any]:
        if "resourceType" in template:
            raise ValueError("leave resourceType out of the template: it comes from `type`")
        return template


class MappingSpec(_Strict):
    mapping: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    source: SourceSpec
    timezone: str = "UTC"
    key: str = Field(min_length=1)
    """Business key of one source record (for messages and the Provenance)."""
    fields: dict[str, FieldSpec]
    resources: dict[str, ResourceSpec] = Field(min_length=1)


def load_spec(path: Traversable) -> MappingSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read mapping {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: a mapping file is a YAML mapping")
    try:
        spec = MappingSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"{path}: {problems}") from exc
    if spec.mapping != path.name.rsplit(".", 1)[0]:
        raise ConfigurationError(f"{path}: `mapping: {spec.mapping}` must match the file name")
    return spec
