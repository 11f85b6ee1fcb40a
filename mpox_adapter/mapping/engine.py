"""A mapping file compiled into a function from one source record to FHIR resources."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha1
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

import orjson

from mpox_adapter import __version__
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.mapping.folders import MappingFolders
from mpox_adapter.mapping.spec import Condition, FieldSpec, MappingSpec, ResourceSpec, load_spec
from mpox_adapter.mapping.template import Render, Scope, compile_template, compile_text, lookup
from mpox_adapter.mapping.transforms import Step, StepContext, TransformError, compile_steps

PROFILE_BASE = "http://mpox-adapter.org/fhir/StructureDefinition/"
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "http://mpox-adapter.org/fhir")
_NAMESPACE_BYTES = ID_NAMESPACE.bytes
PROVENANCE_SOURCE = "urn:mpox-adapter:source-record"
_INDEX = re.compile(r"\[\d+\]")


class SourceRecord(Protocol):
    """What a mapping reads of a record; `ingest.records.Record` is one (the pipeline joins
    the two stages, so that mapping need not import ingest)."""

    @property
    def source(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def fields(self) -> dict[str, Any]: ...


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_OF_TYPE = re.compile(r"\.ofType\((\w)(\w*)\)")


def resource_id(mapping: str, system: str, resource: str, key: str) -> str:
    """Deterministic: the same record mapped twice gets the same ids: the UUIDv5 of
    `mapping|system|resource|key`, built here without `uuid.UUID` objects (3 per record)."""
    name = f"{mapping}|{system}|{resource}|{key}".encode()
    # SHA-1 because RFC 9562 defines version 5 with it; it names, it does not protect.
    digest = bytearray(sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True, slots=True)
class FieldIssue:
    severity: str
    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "field": self.field,
            "message": self.message,
        }


@dataclass(slots=True)
class Mapped:
    """One source record's result: its resources (each with its profile) or its issues."""

    source: str
    line: int
    key: str
    resources: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    issues: list[FieldIssue] = field(default_factory=list)
    encoded: bytes | None = None
    """The resources as NDJSON, once `encode` has run; `resources` then keeps only the
    resource types and ids (cheap to pass between processes)."""

    def encode(self) -> None:
        if self.encoded is None:
            self.encoded = b"".join(orjson.dumps(r) + b"\n" for r, _ in self.resources)
            self.resources = [
                ({"resourceType": r["resourceType"], "id": r["id"]}, p) for r, p in self.resources
            ]

    @property
    def rejected(self) -> bool:
        return any(issue.severity in ("error", "fatal") for issue in self.issues)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    columns: tuple[str, ...]
    extract: Callable[[dict[str, Any]], Any]
    steps: list[Step]
    required: bool


@dataclass(frozen=True, slots=True)
class _Resource:
    name: str
    type: str
    profile: str | None
    key: Callable[[Scope], str]
    when: Callable[[Scope], bool] | None
    for_each: str | None
    render: Render
    sources: dict[str, str]


class CompiledMapping:
    def __init__(
        self,
        spec: MappingSpec,
        definitions: Definitions,
        folders: MappingFolders,
        base_dir: Traversable,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.mapping
        self.version = spec.version
        self.system = spec.source.system
        self.folders = folders
        """Where the mappings this one refers to are found."""
        self.base_dir = base_dir
        self.clock = clock or (lambda: datetime.now(UTC))
        context = StepContext(spec.timezone, definitions, base_dir)
        self.fields = [self._field(name, f, context) for name, f in spec.fields.items()]
        self.columns = {f.name: f.columns for f in self.fields}
        names = {f.name for f in self.fields} | {"item", "id"}
        self.record_key = compile_text(spec.key, f"{self.name}: key", names)
        self._types = {name: r.type for name, r in spec.resources.items()}
        self.resources = [self._resource(name, r, names) for name, r in spec.resources.items()]

    # -- compiling ---------------------------------------------------------------------

    def _field(self, name: str, spec: FieldSpec, context: StepContext) -> _Field:
        where = f"{self.name}: fields.{name}"
        source = spec.source
        if source is None:
            const = spec.const
            extract: Callable[[dict[str, Any]], Any] = lambda _: const  # noqa: E731
            columns: tuple[str, ...] = ()
        elif isinstance(source, str):
            extract, columns = _getter(source), (source,)
        elif isinstance(source, list):
            getters = [_getter(s) for s in source]
            join = spec.join

            def extract(fields: dict[str, Any]) -> Any:
                parts = [str(v) for g in getters if (v := g(fields)) is not None]
                return join.join(parts) if parts else None

            columns = tuple(source)
        else:
            named = {key: _getter(path) for key, path in source.items()}

            def extract(fields: dict[str, Any]) -> Any:
                gathered = {key: g(fields) for key, g in named.items()}
                return gathered if any(v is not None for v in gathered.values()) else None

            columns = tuple(source.values())
        return _Field(
            name, columns, extract, compile_steps(spec.transform, context, where), spec.required
        )

    def _resource(self, name: str, spec: ResourceSpec, names: set[str]) -> _Resource:
        where = f"{self.name}: resources.{name}"
        sources: dict[str, str] = {}
        render = compile_template(spec.template, where, names, self._reference, sources, spec.type)
        profile = None
        if spec.profile:
            profile = spec.profile if "://" in spec.profile else PROFILE_BASE + spec.profile
        return _Resource(
            name=name,
            type=spec.type,
            profile=profile,
            key=compile_text(spec.key, f"{where}.key", names),
            when=_condition(spec.when, names, where),
            for_each=spec.for_each,
            render=render,
            sources=sources,
        )

    def _reference(self, target: Any, where: str) -> Render:
        if isinstance(target, str):
            if target not in self._types:
                raise ConfigurationError(f"{where}: reference to unknown resource {target!r}")
            resource_type = self._types[target]
            return lambda scope: (
                f"{resource_type}/{scope['$ids'][target]}" if target in scope["$ids"] else None
            )
        if isinstance(target, dict) and {"mapping", "resource", "key"} <= set(target):
            other = self.folders.spec(str(target["mapping"]))
            resource = other.resources.get(target["resource"])
            if resource is None:
                raise ConfigurationError(
                    f"{where}: mapping {other.mapping} has no resource {target['resource']!r}"
                )
            key = compile_text(str(target["key"]), f"{where}.key")
            mapping, system, name, resource_type = (
                other.mapping,
                other.source.system,
                target["resource"],
                resource.type,
            )

            def render(scope: Scope) -> Any:
                value = key(scope)
                return (
                    f"{resource_type}/{resource_id(mapping, system, name, value)}"
                    if value
                    else None
                )

            return render
        raise ConfigurationError(
            f"{where}: `ref` takes a resource name or {{mapping, resource, key}}"
        )

    # -- mapping one record ------------------------------------------------------------

    def map(self, record: SourceRecord) -> Mapped:
        scope: dict[str, Any] = {}
        issues: list[FieldIssue] = []
        for field_spec in self.fields:
            try:
                value = field_spec.extract(record.fields)
                for step in field_spec.steps:
                    value = step(value)
            except TransformError as exc:
                issue = FieldIssue("error", exc.code, _label(field_spec), exc.message)
                if issue not in issues:  # two fields read from one column fail alike
                    issues.append(issue)
                continue
            if value is None and field_spec.required:
                issues.append(
                    FieldIssue("error", "required", _label(field_spec), "a value is required")
                )
            scope[field_spec.name] = value
        key = self.record_key(scope) if not issues else ""
        mapped = Mapped(record.source, record.line, key, issues=issues)
        if issues:
            return mapped
        ids: dict[str, str] = {}
        scope["$ids"] = ids
        for spec in self.resources:
            if spec.when is not None and not spec.when(scope):
                continue
            items = scope.get(spec.for_each) if spec.for_each else [None]
            for item in items if isinstance(items, list) else [items]:
                if item is None and spec.for_each:
                    continue
                scope["item"] = item
                business_key = spec.key(scope)
                identity = resource_id(self.name, self.system, spec.name, business_key)
                if not spec.for_each:
                    ids[spec.name] = identity
                scope["id"] = identity
                body = spec.render(scope) or {}
                resource: dict[str, Any] = {"resourceType": spec.type, "id": identity}
                if spec.profile:
                    resource["meta"] = {"profile": [spec.profile]}
                resource.update(body)
                mapped.resources.append((resource, spec.profile))
        mapped.resources.append((self._provenance(record, key, mapped.resources), None))
        return mapped

    def _provenance(
        self, record: SourceRecord, key: str, resources: list[tuple[dict[str, Any], str | None]]
    ) -> dict[str, Any]:
        return {
            "resourceType": "Provenance",
            "id": resource_id(self.name, self.system, "provenance", key),
            "target": [{"reference": f"{r['resourceType']}/{r['id']}"} for r, _ in resources],
            "recorded": self.clock().isoformat(timespec="seconds"),
            "policy": [f"http://mpox-adapter.org/fhir/mapping/{self.name}|{self.version}"],
            "agent": [{
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "code": "assembler",
                }]},
                "who": {"display": f"mpox-adapter {__version__}, mapping {self.name} "
                                   f"{self.version}"},
            }],
            "entity": [{
                "role": "source",
                "what": {
                    "identifier": {
                        "system": PROVENANCE_SOURCE,
                        "value": f"{self.system}|{record.source}#{record.line}",
                    },
                    "display": f"{record.source} line {record.line}",
                },
            }],
        }  # fmt: skip

    def fields_in_invariant(self, resource_type: str, invariant: str) -> str | None:
        """The fields behind the elements a failed resource-level invariant names."""
        spec = next((r for r in self.resources if r.type == resource_type), None)
        if spec is None:
            return None
        words = set(_WORD.findall(invariant))
        labels: list[str] = []
        for path, name in spec.sources.items():
            top = path.split(".")[1] if "." in path else ""
            if any(
                top == w or (top.startswith(w) and top[len(w) : len(w) + 1].isupper())
                for w in words
            ):
                field_spec = next((f for f in self.fields if f.name == name), None)
                label = _label(field_spec) if field_spec else name
                if label not in labels:
                    labels.append(label)
        return ", ".join(labels) or None

    def field_for(self, resource_name: str, expression: str) -> str | None:
        """The mapping field (and so the source columns) an invalid element came from."""
        spec = next(
            (r for r in self.resources if r.type == resource_name.split(".", maxsplit=1)[0]), None
        )
        if spec is None:
            return None
        target = _json_path(expression)
        best = ""
        for path in spec.sources:
            inside = target == path or target.startswith(path + ".")
            # A problem with an element that holds placeholders (not with the whole resource).
            around = "." in target and path.startswith(target + ".")
            if (inside or around) and len(path) > len(best):
                best = path
        if not best:
            return None
        name = spec.sources[best]
        field_spec = next((f for f in self.fields if f.name == name), None)
        return _label(field_spec) if field_spec else name


def load_mapping(
    path: Path, definitions: Definitions, clock: Callable[[], datetime] | None = None
) -> CompiledMapping:
    """The mapping file at `path`; the mappings it refers to are looked up in its folder
    first, then among the shipped ones."""
    folder = path.parent
    return CompiledMapping(load_spec(path), definitions, MappingFolders(folder), folder, clock)


def load_named_mapping(
    name: str,
    folders: MappingFolders,
    definitions: Definitions,
    clock: Callable[[], datetime] | None = None,
) -> CompiledMapping:
    """The mapping `name`, from the first of `folders` that has it."""
    found = folders.find(name)
    return CompiledMapping(load_spec(found.path), definitions, folders, found.folder, clock)


def _label(spec: _Field) -> str:
    """How an issue names its field: the source columns, which the user knows."""
    return ", ".join(spec.columns) if spec.columns else spec.name


def _getter(path: str) -> Callable[[dict[str, Any]], Any]:
    parts = path.split(".")

    def get(fields: dict[str, Any]) -> Any:
        value = (
            fields.get(path) if path in fields else lookup(fields, path) if len(parts) > 1 else None
        )
        if isinstance(value, str) and not value.strip():
            return None
        return value

    return get


def _condition(
    when: str | Condition | None, names: set[str], where: str
) -> Callable[[Scope], bool] | None:
    if when is None:
        return None
    if isinstance(when, str):
        if when.split(".")[0] not in names:
            raise ConfigurationError(f"{where}.when: unknown field {when!r}")
        return lambda scope: bool(lookup(scope, when))
    if when.field.split(".")[0] not in names:
        raise ConfigurationError(f"{where}.when: unknown field {when.field!r}")
    if when.one_of is not None:
        allowed = list(when.one_of)
        return lambda scope: lookup(scope, when.field) in allowed
    expected = when.equals
    return lambda scope: lookup(scope, when.field) == expected


def _json_path(expression: str) -> str:
    """``Immunization.occurrence.ofType(dateTime)`` -> ``Immunization.occurrenceDateTime``;
    indexes dropped, so that it lines up with template paths."""
    path = _INDEX.sub("", expression)
    return _OF_TYPE.sub(lambda m: m.group(1).upper() + m.group(2), path)
